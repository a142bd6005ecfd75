//! The k-bucket routing table: for each distance range from this node, at most `k` peers,
//! least recently seen first.
//!
//! Kademlia prefers peers it has known longest: a full bucket takes a new peer only once one
//! of its own fails and is removed (the driver reports failures as messages to a peer fail).

use rand::{Rng, RngExt};
use sift_core::NodeId;
use sift_core::keyspace::{Distance, Key};

/// What [`RoutingTable::seen`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new peer, now in its bucket.
    New,
    /// A known peer, now the most recently seen of its bucket.
    Refreshed,
    /// The peer's bucket is full; the peer is not held.
    Full,
    /// The node itself, which the table never holds.
    Me,
}

#[derive(Debug)]
pub struct RoutingTable {
    me: Key,
    k: usize,
    /// By bucket index (see [`crate::Distance::bucket`]); each least recently seen first.
    buckets: Vec<Vec<(Key, NodeId)>>,
    /// Every peer held, in no particular order.
    peers: Vec<NodeId>,
}

impl RoutingTable {
    /// An empty table for the node `me`, with buckets of `k` peers (at least one).
    pub fn new(me: &NodeId, k: usize) -> RoutingTable {
        RoutingTable {
            me: Key::of_node(me),
            k: k.max(1),
            buckets: vec![Vec::new(); 256],
            peers: Vec::new(),
        }
    }

    /// This node's key.
    pub fn me(&self) -> Key {
        self.me
    }

    /// Every peer held, at most 256 · k.
    pub fn peers(&self) -> &[NodeId] {
        &self.peers
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
            return Inserted::Full;
        }
        bucket.push((key, peer));
        self.peers.push(peer);
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
        if bucket.len() == before {
            return false;
        }
        self.peers.retain(|p| p != peer);
        true
    }

    /// The `n` peers held closest to `target`, closest first.
    pub fn closest(&self, target: &Key, n: usize) -> Vec<NodeId> {
        let mut all: Vec<(Distance, NodeId)> = self
            .buckets
            .iter()
            .flatten()
            .map(|(key, peer)| (key.distance(target), *peer))
            .collect();
        if n < all.len() {
            all.select_nth_unstable_by_key(n, |&(distance, _)| distance);
            all.truncate(n);
        }
        all.sort_unstable_by_key(|&(distance, _)| distance);
        all.into_iter().map(|(_, peer)| peer).collect()
    }

    /// The next hop toward `target`: the peer held closest to it, if it is closer than this
    /// node. With every bucket holding a peer whenever some live node falls in its range,
    /// each hop shares at least one more leading bit with the target than the last, and the
    /// walk ends at the live node closest to it (Kademlia's greedy routing).
    ///
    /// The closest peer is in the bucket the target falls in, if that one holds any: their
    /// distances to the target lack its leading bit, every other peer's has it or a higher
    /// one. Failing that, it is in a lower bucket, whose distances share the target's leading
    /// bit and differ below.
    pub fn next_hop(&self, target: &Key) -> Option<NodeId> {
        let to_me = self.me.distance(target);
        let top = to_me.bucket()?;
        let closest = |bucket: &[(Key, NodeId)]| {
            bucket
                .iter()
                .min_by_key(|(key, _)| key.distance(target))
                .copied()
        };
        if let Some((_, peer)) = closest(&self.buckets[top]) {
            return Some(peer);
        }
        self.buckets[..top]
            .iter()
            .filter_map(|bucket| closest(bucket))
            .min_by_key(|(key, _)| key.distance(target))
            .filter(|(key, _)| key.distance(target) < to_me)
            .map(|(_, peer)| peer)
    }

    /// The buckets a refresh should look up: from the nearest one holding a peer up to the
    /// farthest, those not full. Nodes in a range this node has heard of none from are found
    /// by a lookup of a key in it.
    pub fn buckets_to_refresh(&self) -> Vec<usize> {
        let Some(nearest) = self.buckets.iter().position(|b| !b.is_empty()) else {
            return Vec::new();
        };
        (nearest..256)
            .filter(|&index| self.buckets[index].len() < self.k)
            .collect()
    }

    /// A random key in bucket `index`'s range: its distance from this node has its leading
    /// bit at `index`.
    pub fn random_key_in(&self, index: usize, rng: &mut impl Rng) -> Key {
        let mut distance: [u8; 32] = rng.random();
        let leading = 255 - index.min(255);
        for bit in 0..leading {
            distance[bit / 8] &= !(0x80 >> (bit % 8));
        }
        distance[leading / 8] |= 0x80 >> (leading % 8);
        let mut key = self.me.0;
        for (k, d) in key.iter_mut().zip(distance) {
            *k ^= d;
        }
        Key(key)
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
        assert_eq!(table.seen(far[2]), Inserted::Full);
        // Heard from again, the oldest is kept; the newcomer still waits.
        assert_eq!(table.seen(far[0]), Inserted::Refreshed);
        assert_eq!(table.seen(far[2]), Inserted::Full);
        // One failed: its place goes to the newcomer.
        assert!(table.remove(&far[1]));
        assert!(!table.remove(&far[1]));
        assert_eq!(table.seen(far[2]), Inserted::New);
        assert_eq!(table.peers(), &[far[0], far[2]]);
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

#[cfg(test)]
mod routing {
    use super::*;
    use rand::SeedableRng;

    /// Every table holds every peer: then the next hop must be the closest peer, and a walk
    /// must end at the node closest to the target.
    #[test]
    fn next_hop_is_the_closest_peer_and_walks_end_at_the_closest_node() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let nodes: Vec<NodeId> = (0..200).map(|_| NodeId::random(&mut rng)).collect();
        let tables: Vec<RoutingTable> = nodes
            .iter()
            .map(|me| {
                let mut table = RoutingTable::new(me, 200);
                for &peer in &nodes {
                    table.seen(peer);
                }
                table
            })
            .collect();
        for round in 0..50u32 {
            let target = Key::of_content(&round.to_be_bytes());
            let closest = nodes
                .iter()
                .min_by_key(|n| Key::of_node(n).distance(&target))
                .copied()
                .unwrap();
            let mut at = (round as usize * 7) % nodes.len();
            let mut hops = 0;
            while let Some(next) = tables[at].next_hop(&target) {
                assert_eq!(
                    Some(next),
                    tables[at].closest(&target, 1).first().copied(),
                    "the next hop is the closest peer held"
                );
                at = nodes.iter().position(|n| *n == next).unwrap();
                hops += 1;
                assert!(hops < 10);
            }
            assert_eq!(nodes[at], closest);
        }
    }

    #[test]
    fn random_keys_fall_in_the_bucket_asked_for() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let table = RoutingTable::new(&NodeId::random(&mut rng), 20);
        for index in [0, 1, 7, 8, 100, 254, 255] {
            let key = table.random_key_in(index, &mut rng);
            assert_eq!(table.me().distance(&key).bucket(), Some(index));
        }
    }
}
