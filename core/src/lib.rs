//! sift's protocols as pure, deterministic state machines.
//!
//! Nothing here touches a socket, a clock, a thread or a global RNG: a [`Strategy`] takes
//! [`Input`]s stamped with the caller's `now` and answers with [`Outputs`] (messages to send,
//! local deliveries, timers to set, counters). The daemon and the simulator drive the same
//! state machines, so whatever the simulator shows of a strategy holds for the daemon's logic.

pub mod anchor;
pub mod announced;
pub mod brokers;
pub mod dht;
pub mod flood;
pub mod fuzzing;
pub mod gossip;
pub mod id;
pub mod keyspace;
pub mod local;
pub mod membership;
pub mod routes;
pub mod sample;
pub mod seen;
pub mod selective;
pub mod strategy;
pub mod tree;
pub mod wire;

pub use id::{EventId, NodeId, SubId};
pub use strategy::{
    Delivery, Input, Micros, Outputs, Publication, Reach, Send, Strategy, StrategyConfig,
    StrategyKind, Subscription, Timer,
};
pub use wire::{DecodeError, Message};
