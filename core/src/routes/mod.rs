//! Reverse-path routing state, shared by the strategies that route events along the paths
//! subscriptions took: `selective` (one spanning tree) and `dht` (one tree per rendezvous
//! key, in sift-dht).
//!
//! A node holds what its children announced ([`ChildTables`]) and remembers what it announced
//! to each parent ([`Upward`]), holding back what an announced filter covers. Both are keyed
//! by a route: `selective` routes a subscription once, so its routes are [`SubId`]s; `dht`
//! routes a subscription toward each of its rendezvous keys, so its routes are [`RouteId`]s.

mod children;
mod upward;

use std::fmt::Debug;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::id::SubId;
use crate::keyspace::Key;
use crate::selective::Announcement;

pub use children::{ChildTables, Holder, Learned, Learnt};
pub use upward::{Offer, Upward};

/// The number a node gives a route when it announces it to a parent: it counts up and is never
/// reused, not even for another parent (a parent left and found again may still hold old
/// routes under old tags). The parent names the route by it in the lists of matched routes it
/// sends down with events, a few bytes where the route's id takes about fifty.
pub type RouteTag = u64;

/// What names a route in the tables: small, copyable, hashable and ordered (tables list their
/// routes in order, so runs repeat).
pub trait RouteKey: Copy + Eq + Hash + Ord + Debug {}

impl<T: Copy + Eq + Hash + Ord + Debug> RouteKey for T {}

/// A subscription routed toward one rendezvous key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RouteId {
    pub sub: SubId,
    pub key: Key,
}

/// A subscription as announced toward one of its rendezvous keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteAnnouncement {
    pub key: Key,
    pub sub: Announcement,
}

impl RouteAnnouncement {
    pub fn route(&self) -> RouteId {
        RouteId {
            sub: self.sub.id,
            key: self.key,
        }
    }
}
