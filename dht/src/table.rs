//! The k-bucket routing table: for each distance range from this node, at most `k` peers,
//! least recently seen first.
//!
//! Kademlia prefers peers it has known longest: a full bucket takes a new peer only once its
//! least recently seen one fails. The table does not probe anyone itself (it is pure): it
//! answers [`Inserted::Full`] with the peer to probe, and the caller removes that peer if the
//! probe fails, or marks it seen if it answers, and offers the new one again.

use sift_core::NodeId;

use crate::key::Key;

/// What [`RoutingTable::seen`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new peer, now in its bucket.
    New,
    /// A known peer, now the most recently seen of its bucket.
    Refreshed,
    /// The peer's bucket is full: probe its least recently seen peer, given here.
    Full { least_recent: NodeId },
    /// The node itself, which the table never holds.
    Me,
}

#[derive(Debug)]
pub struct RoutingTable {
    me: Key,
    k: usize,
    /// By bucket index (see [`crate::Distance::bucket`]); each least recently seen first.
    buckets: Vec<Vec<(Key, NodeId)>>,
}

impl RoutingTable {
    /// An empty table for the node `me`, with buckets of `k` peers (at least one).
    pub fn new(me: &NodeId, k: usize) -> RoutingTable {
        RoutingTable {
            me: Key::of_node(me),
            k: k.max(1),
            buckets: vec![Vec::new(); 256],
        }
    }

    /// This node's key.
    pub fn me(&self) -> Key {
        self.me
    }

    /// Peers held, at most 256 · k.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `peer` was heard from: it becomes its bucket's most recently seen peer.
    pub fn seen(&mut self, peer: NodeId) -> Inserted {
        let key = Key::of_node(&peer);
        let Some(index) = self.me.distance(&key).bucket() else {
            return Inserted::Me;
        };
        let bucket = &mut self.buckets[index];
        if let Some(at) = bucket.iter().position(|&(_, p)| p == peer) {
            let entry = bucket.remove(at);
            bucket.push(entry);
            return Inserted::Refreshed;
        }
        if bucket.len() >= self.k {
            return Inserted::Full {
                least_recent: bucket[0].1,
            };
        }
        bucket.push((key, peer));
        Inserted::New
    }

    /// `peer` failed; returns whether it was held.
    pub fn remove(&mut self, peer: &NodeId) -> bool {
        let key = Key::of_node(peer);
        let Some(index) = self.me.distance(&key).bucket() else {
            return false;
        };
        let bucket = &mut self.buckets[index];
        let before = bucket.len();
        bucket.retain(|(_, p)| p != peer);
        bucket.len() < before
    }

    /// The `n` peers held closest to `target`, closest first.
    pub fn closest(&self, target: &Key, n: usize) -> Vec<NodeId> {
        let mut all: Vec<&(Key, NodeId)> = self.buckets.iter().flatten().collect();
        all.sort_unstable_by_key(|(key, _)| key.distance(target));
        all.into_iter().take(n).map(|&(_, peer)| peer).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u16) -> NodeId {
        let mut bytes = [0u8; 32];
        bytes[..2].copy_from_slice(&n.to_be_bytes());
        NodeId::from_bytes(bytes)
    }

    #[test]
    fn buckets_hold_k_and_prefer_the_peers_seen_longest() {
        let me = node(0);
        let mut table = RoutingTable::new(&me, 2);
        assert_eq!(table.seen(me), Inserted::Me);
        // Half the keyspace falls in bucket 255: fill it.
        let far: Vec<NodeId> = (1..200)
            .map(node)
            .filter(|p| table.me().distance(&Key::of_node(p)).bucket() == Some(255))
            .take(3)
            .collect();
        assert_eq!(table.seen(far[0]), Inserted::New);
        assert_eq!(table.seen(far[1]), Inserted::New);
        assert_eq!(
            table.seen(far[2]),
            Inserted::Full {
                least_recent: far[0]
            }
        );
        // The oldest answered the probe: it is kept, and the newcomer still waits.
        assert_eq!(table.seen(far[0]), Inserted::Refreshed);
        assert_eq!(
            table.seen(far[2]),
            Inserted::Full {
                least_recent: far[1]
            }
        );
        // It failed: its place goes to the newcomer.
        assert!(table.remove(&far[1]));
        assert!(!table.remove(&far[1]));
        assert_eq!(table.seen(far[2]), Inserted::New);
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn closest_orders_by_xor_distance_to_the_target() {
        let mut table = RoutingTable::new(&node(0), 20);
        let peers: Vec<NodeId> = (1..300).map(node).collect();
        for &peer in &peers {
            table.seen(peer);
        }
        let target = Key::of_content(b"symbol=ACME");
        let closest = table.closest(&target, 5);
        assert_eq!(closest.len(), 5);
        let distances: Vec<_> = closest
            .iter()
            .map(|p| Key::of_node(p).distance(&target))
            .collect();
        assert!(distances.windows(2).all(|w| w[0] < w[1]));
        // Nothing held is closer than the fifth.
        let held: Vec<NodeId> = peers
            .iter()
            .copied()
            .filter(|p| table.buckets.iter().flatten().any(|(_, q)| q == p))
            .collect();
        let closer = held
            .iter()
            .filter(|p| Key::of_node(p).distance(&target) < distances[4])
            .count();
        assert_eq!(closer, 4);
    }
}
