//! A spanning tree over the overlay, kept by the nodes themselves: the `selective` strategy
//! routes subscriptions and events along it.
//!
//! The root is the live node with the smallest key. Every node announces to each neighbour
//! `(root, seq, dist)`: the root it knows, the newest sequence number it has from that root,
//! and its hop distance to it; and whether the neighbour is its parent. The root counts its
//! sequence number up every tick, so the number says how fresh a route is. Among the *fresh*
//! offers (at most [`STALE_SEQS`] behind the newest sequence number heard for their root), a
//! node takes as parent a neighbour offering the smallest root: its current parent if that
//! one still does and no other offers a way at least [`SWITCH_GAIN`] hops shorter, and
//! otherwise the nearest. Content routing pays for every change of parent (the subtree's
//! filters move): a shortest-path tree would reshape at every new link the membership makes,
//! and a tree that never moved for a shorter way kept the long paths of the join phase (about
//! twice the depth, so twice the hops and the routing state, at 10,000 nodes). Every move
//! shortens a way by two hops or more, so the moves come to an end.
//!
//! Repair: a node dropping its parent picks the best remaining offer at once. A neighbour that
//! lost its own way to the root stops passing on new numbers, so its offer goes stale within
//! [`STALE_SEQS`] ticks and is no longer taken; offers that chase each other round a loop
//! grow in distance and are cut at [`MAX_DIST`]. When the root dies, its number stops for
//! everyone: after [`ROOT_TIMEOUT_TICKS`] without a new one a node forgets that root (and
//! refuses offers for it up to the number it last saw) and starts over as its own root, and
//! the smallest live key wins again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::NodeId;
use crate::strategy::Micros;

/// Offers more than this many sequence numbers behind the newest are stale.
pub const STALE_SEQS: u64 = 2;

/// Offers at this distance or beyond are refused: the bound on counting to infinity.
pub const MAX_DIST: u16 = 64;

/// Ticks without a new sequence number from the root before it is taken for dead.
pub const ROOT_TIMEOUT_TICKS: u64 = 4;

/// Hops a new parent's way to the root must save for a node to leave its current parent.
pub const SWITCH_GAIN: u16 = 2;

/// Dead roots remembered (with the number they stopped at).
const DEAD_ROOTS: usize = 16;

/// What a node tells a neighbour about its place in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeOffer {
    /// Counts the sender's offers up, so that an offer overtaken by a later one (messages
    /// between two peers may arrive out of order) is ignored.
    pub version: u64,
    pub root: NodeId,
    pub seq: u64,
    pub dist: u16,
    /// The receiver is the sender's parent.
    pub parent: bool,
}

/// The node's current place in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Route {
    root: NodeId,
    seq: u64,
    dist: u16,
    parent: Option<NodeId>,
}

#[derive(Debug)]
pub struct SpanningTree {
    me: NodeId,
    route: Route,
    /// The latest offer of each neighbour.
    offers: BTreeMap<NodeId, TreeOffer>,
    /// Offers sent, for their versions.
    sent: u64,
    /// Sequence number of the root when the route last saw it advance, and when.
    fresh_seq: u64,
    fresh_at: Micros,
    tick: Micros,
    dead: Vec<(NodeId, u64)>,
}

impl SpanningTree {
    pub fn new(me: NodeId, tick: Micros) -> Self {
        SpanningTree {
            me,
            route: Route {
                root: me,
                seq: 0,
                dist: 0,
                parent: None,
            },
            offers: BTreeMap::new(),
            sent: 0,
            fresh_seq: 0,
            fresh_at: 0,
            tick,
            dead: Vec::new(),
        }
    }

    pub fn parent(&self) -> Option<NodeId> {
        self.route.parent
    }

    /// The node (re)started at `now`: offer versions count on from there, so that they exceed
    /// every version an earlier incarnation of the node sent, which neighbours may remember.
    pub fn start(&mut self, now: Micros) {
        self.sent = self.sent.max(now);
    }

    /// What the offers say apart from their version and the parent flag: a change of it is
    /// news for the neighbours. The root's number advances every tick, so nodes pass the new
    /// number on as soon as it reaches them, and each hop adds only a message's latency to how
    /// far behind the root a node's number is.
    pub fn shape(&self) -> (NodeId, u64, u16, Option<NodeId>) {
        (
            self.route.root,
            self.route.seq,
            self.route.dist,
            self.route.parent,
        )
    }

    /// The version of the latest offer this node made.
    pub fn version(&self) -> u64 {
        self.sent
    }

    /// Whether a message `from` sent when its offers stood at `version` was overtaken by an
    /// offer saying this node is not its parent.
    pub fn is_stale_from_child(&self, from: &NodeId, version: u64) -> bool {
        self.offers
            .get(from)
            .is_some_and(|offer| offer.version > version && !offer.parent)
    }

    pub fn is_root(&self) -> bool {
        self.route.root == self.me
    }

    /// Whether `peer`'s latest offer named this node its parent.
    pub fn is_child(&self, peer: &NodeId) -> bool {
        self.offers.get(peer).is_some_and(|offer| offer.parent)
    }

    /// The offer to send `peer`.
    pub fn offer_to(&mut self, peer: NodeId) -> TreeOffer {
        self.sent += 1;
        TreeOffer {
            version: self.sent,
            root: self.route.root,
            seq: self.route.seq,
            dist: self.route.dist,
            parent: self.route.parent == Some(peer),
        }
    }

    /// A tick: the root advances its number; others check that theirs is still alive.
    pub fn tick(&mut self, now: Micros) {
        if self.is_root() {
            self.route.seq += 1;
            self.fresh_seq = self.route.seq;
            self.fresh_at = now;
            return;
        }
        if now.saturating_sub(self.fresh_at) > ROOT_TIMEOUT_TICKS * self.tick {
            self.dead.retain(|&(root, _)| root != self.route.root);
            if self.dead.len() == DEAD_ROOTS {
                self.dead.remove(0);
            }
            self.dead.push((self.route.root, self.fresh_seq));
            self.route = Route {
                root: self.me,
                seq: self.fresh_seq.max(self.route.seq),
                dist: 0,
                parent: None,
            };
            self.fresh_at = now;
        }
        self.choose(now);
    }

    /// Takes in a neighbour's offer; returns false (and ignores it) if a later one from the
    /// same neighbour was already taken in.
    pub fn on_offer(&mut self, now: Micros, from: NodeId, offer: TreeOffer) -> bool {
        if self
            .offers
            .get(&from)
            .is_some_and(|known| known.version >= offer.version)
        {
            return false;
        }
        self.offers.insert(from, offer);
        self.choose(now);
        true
    }

    pub fn neighbour_down(&mut self, now: Micros, peer: NodeId) {
        self.offers.remove(&peer);
        if self.route.parent == Some(peer) {
            self.route.parent = None;
            self.route.dist = MAX_DIST;
        }
        self.choose(now);
    }

    fn refused(&self, offer: &TreeOffer) -> bool {
        offer.parent
            || offer.dist + 1 >= MAX_DIST
            || self
                .dead
                .iter()
                .any(|&(root, seq)| root == offer.root && offer.seq <= seq)
    }

    /// Re-picks the parent from the offers (see the module notes).
    fn choose(&mut self, now: Micros) {
        // The newest number heard for each root decides which offers are fresh.
        let newest = |root: NodeId| {
            self.offers
                .values()
                .filter(|o| o.root == root)
                .map(|o| o.seq)
                .chain((self.route.root == root).then_some(self.route.seq))
                .max()
                .unwrap_or(0)
        };
        let mut best = Route {
            root: self.me,
            seq: if self.is_root() { self.route.seq } else { 0 },
            dist: 0,
            parent: None,
        };
        let mut current = None;
        for (&n, offer) in &self.offers {
            if self.refused(offer) || offer.seq + STALE_SEQS < newest(offer.root) {
                continue;
            }
            let candidate = Route {
                root: offer.root,
                seq: offer.seq,
                dist: offer.dist + 1,
                parent: Some(n),
            };
            if Some(n) == self.route.parent {
                current = Some(candidate);
            }
            if (candidate.root, candidate.dist, candidate.parent)
                < (best.root, best.dist, best.parent)
            {
                best = candidate;
            }
        }
        // The current parent stays unless another offers a smaller root or a way shorter by
        // SWITCH_GAIN hops.
        if let Some(current) = current
            && current.root == best.root
            && current.dist < best.dist + SWITCH_GAIN
        {
            best = current;
        }
        if best.root == self.me {
            // Own root: keep counting from where the number stood.
            best.seq = self.route.seq.max(self.fresh_seq);
        }
        if best.root != self.route.root || best.seq > self.fresh_seq {
            self.fresh_seq = best.seq;
            self.fresh_at = now;
        }
        self.route = best;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Micros = 1_000_000;

    fn key(n: u8) -> NodeId {
        NodeId::from_bytes([n; 32])
    }

    /// Nodes `1..=n` linked by `links`, exchanging offers in rounds until nothing changes.
    struct Net {
        trees: BTreeMap<NodeId, SpanningTree>,
        links: Vec<(NodeId, NodeId)>,
    }

    impl Net {
        fn new(n: u8, links: &[(u8, u8)]) -> Net {
            Net {
                trees: (1..=n)
                    .map(|i| (key(i), SpanningTree::new(key(i), TICK)))
                    .collect(),
                links: links.iter().map(|&(a, b)| (key(a), key(b))).collect(),
            }
        }

        /// One tick everywhere, then offers along every link, a few rounds.
        fn tick(&mut self, now: Micros) {
            for tree in self.trees.values_mut() {
                tree.tick(now);
            }
            for _ in 0..10 {
                let mut offers = Vec::new();
                for &(a, b) in &self.links {
                    offers.push((b, a, self.trees.get_mut(&a).unwrap().offer_to(b)));
                    offers.push((a, b, self.trees.get_mut(&b).unwrap().offer_to(a)));
                }
                for (to, from, offer) in offers {
                    self.trees.get_mut(&to).unwrap().on_offer(now, from, offer);
                }
            }
        }

        fn cut(&mut self, now: Micros, a: u8, b: u8) {
            self.links
                .retain(|&l| l != (key(a), key(b)) && l != (key(b), key(a)));
            self.trees
                .get_mut(&key(a))
                .unwrap()
                .neighbour_down(now, key(b));
            self.trees
                .get_mut(&key(b))
                .unwrap()
                .neighbour_down(now, key(a));
        }

        fn parent(&self, n: u8) -> Option<NodeId> {
            self.trees[&key(n)].parent()
        }

        /// Every node reaches `root` by parents, with distances that add up.
        fn assert_tree(&self, root: u8) {
            for (&me, tree) in &self.trees {
                let (tree_root, _, dist, _) = tree.shape();
                assert_eq!(tree_root, key(root), "{me} has another root");
                let (mut at, mut hops) = (me, 0);
                while let Some(parent) = self.trees[&at].parent() {
                    at = parent;
                    hops += 1;
                    assert!(hops <= self.trees.len(), "a loop through {me}");
                }
                assert_eq!(at, key(root));
                assert_eq!(usize::from(dist), hops);
            }
        }
    }

    #[test]
    fn the_smallest_key_roots_a_tree_and_repairs_survive_a_cut() {
        // A ring 1-2-3-4-5-1 with a chord 2-4.
        let mut net = Net::new(5, &[(1, 2), (2, 3), (3, 4), (4, 5), (5, 1), (2, 4)]);
        for t in 1..=3 {
            net.tick(t * TICK);
        }
        net.assert_tree(1);
        assert_eq!(net.parent(2), Some(key(1)));
        assert_eq!(net.parent(5), Some(key(1)));
        // Cutting 1-2 moves 2 (and whoever hung below it) to another way up.
        net.cut(4 * TICK, 1, 2);
        for t in 4..=6 {
            net.tick(t * TICK);
        }
        net.assert_tree(1);
        assert_ne!(net.parent(2), Some(key(1)));
    }

    #[test]
    fn a_new_link_moves_a_node_only_for_a_much_shorter_way() {
        let mut net = Net::new(5, &[(1, 2), (2, 3), (3, 4), (4, 5)]);
        for t in 1..=3 {
            net.tick(t * TICK);
        }
        assert_eq!(net.parent(4), Some(key(3)));
        // One hop shorter for 4: it stays.
        net.links.push((key(2), key(4)));
        for t in 4..=6 {
            net.tick(t * TICK);
        }
        net.assert_tree(1);
        assert_eq!(net.parent(4), Some(key(3)), "one hop is no reason to move");
        // Two hops shorter for 5 (four hops down to two): it moves.
        net.links.push((key(1), key(5)));
        for t in 7..=9 {
            net.tick(t * TICK);
        }
        net.assert_tree(1);
        assert_eq!(net.parent(5), Some(key(1)));
    }

    #[test]
    fn when_the_root_dies_the_next_smallest_key_takes_over() {
        let mut net = Net::new(4, &[(1, 2), (2, 3), (3, 4), (4, 1)]);
        for t in 1..=3 {
            net.tick(t * TICK);
        }
        net.assert_tree(1);
        net.cut(4 * TICK, 1, 2);
        net.cut(4 * TICK, 1, 4);
        net.trees.remove(&key(1));
        for t in 4..=4 + ROOT_TIMEOUT_TICKS + 4 {
            net.tick(t * TICK);
        }
        net.assert_tree(2);
    }

    #[test]
    fn stale_offers_are_ignored() {
        let mut tree = SpanningTree::new(key(5), TICK);
        let offer = |version, parent| TreeOffer {
            version,
            root: key(1),
            seq: 1,
            dist: 1,
            parent,
        };
        assert!(tree.on_offer(0, key(2), offer(2, false)));
        assert!(!tree.on_offer(0, key(2), offer(1, true)));
        assert!(!tree.is_child(&key(2)));
        assert!(tree.is_stale_from_child(&key(2), 1));
        assert!(!tree.is_stale_from_child(&key(2), 2));
    }
}
