//! The `dht` strategy's parameters. The strategy itself is in sift-dht, above the core (it
//! implements the core's interface); its parameters live here so that [`StrategyConfig`]
//! carries every strategy's, and the drivers configure them all alike.
//!
//! [`StrategyConfig`]: crate::StrategyConfig

use crate::strategy::Micros;

#[derive(Clone, Debug, PartialEq)]
pub struct DhtConfig {
    /// Peers per k-bucket: Kademlia's k.
    pub bucket_size: usize,
    /// Questions a lookup keeps in flight: Kademlia's α.
    pub parallelism: usize,
    /// A lookup's question unanswered this long counts as failed.
    pub lookup_timeout: Micros,
    /// How often a node looks up its own key and the buckets that are not full, so that its
    /// table keeps up with nodes joining and leaving.
    pub bucket_refresh: Micros,
    /// How long a route lives at a hop without a renewal; renewals come every third of it,
    /// which is the period a tree is rebuilt in after a hop on it dies.
    pub lease: Micros,
    /// Rendezvous nodes per key: a subscription joins every replica's tree, an event visits
    /// one replica of each key, picked by its id. More replicas spread a popular key's
    /// events over that many nodes, for that many times the subscription traffic.
    pub replicas: u8,
    /// Most routes a node holds for its children together.
    pub max_entries: usize,
    /// How long an event sent toward a key is kept to be routed again around the peer it went
    /// to, should that peer be reported down: longer than the driver takes to report a
    /// failure (the daemon: a 10 s dial timeout, then a 10 s message timeout).
    pub resend_window: Micros,
    /// Who fills the routing table.
    pub discovery: Discovery,
}

/// Who fills a node's routing table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discovery {
    /// The strategy itself, by Kademlia lookups over sift's own messages: the simulator.
    Lookups,
    /// The driver, which tells the strategy of every peer its own Kademlia adds
    /// ([`crate::Input::Contact`]) or loses ([`crate::Input::PeerDown`]): the daemon, whose
    /// libp2p Kademlia keeps the buckets.
    Driver,
}

impl Default for DhtConfig {
    fn default() -> Self {
        DhtConfig {
            bucket_size: 20,
            parallelism: 3,
            lookup_timeout: 2_000_000,
            bucket_refresh: 60_000_000,
            lease: 30_000_000,
            replicas: 1,
            max_entries: 1_000_000,
            resend_window: 25_000_000,
            discovery: Discovery::Lookups,
        }
    }
}
