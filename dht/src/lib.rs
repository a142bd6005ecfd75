//! sift's structured overlay, pure like the core: the k-bucket routing table of Kademlia, its
//! lookups, and the `dht` strategy's rendezvous trees over them.
//!
//! The keyspace itself ([`sift_core::keyspace`]) is the core's, because wire messages carry
//! keys. This crate sits above the core, so it is also where every strategy can be built:
//! [`build`].

pub mod content;
pub mod lookup;
pub mod lost;
pub mod strategy;
pub mod table;
pub mod trees;

use rand_chacha::ChaCha8Rng;
use sift_core::{NodeId, Strategy, StrategyConfig, StrategyKind};

pub use sift_core::keyspace::{Distance, Key};
pub use strategy::Dht;
pub use table::{Inserted, RoutingTable};

/// Builds the strategy `kind` for node `me`, joining through `bootstrap` when started: the
/// `dht` here, every other by [`sift_core::strategy::build`].
pub fn build(
    kind: StrategyKind,
    me: NodeId,
    bootstrap: Vec<NodeId>,
    rng: ChaCha8Rng,
    config: &StrategyConfig,
) -> Box<dyn Strategy> {
    match kind {
        StrategyKind::Dht => Box::new(Dht::new(me, bootstrap, rng, config)),
        _ => sift_core::strategy::build(kind, me, bootstrap, rng, config)
            .expect("the core builds every strategy but the dht"),
    }
}
