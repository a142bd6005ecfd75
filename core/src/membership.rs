//! Membership: who a node's overlay neighbours are, after HyParView (Leitão, Pereira and
//! Rodrigues, DSN 2007).
//!
//! A node keeps a small *active view* (its neighbours: every dissemination strategy sends over
//! these links) and a larger *passive view* (candidates to replace a neighbour that fails).
//! Both are bounded by the configuration.
//!
//! - Joining: a node sends `Join` to a bootstrap peer, which takes it into its active view,
//!   answers `Joined`, and sends a `ForwardJoin` on a random walk through each of its other
//!   neighbours. The walk ends (and the last node links to the joiner) after `active_walk` hops
//!   or at a node with at most one neighbour; at hop `passive_walk` the joiner also enters a
//!   passive view. So a joiner gets about as many links as a node's view holds, spread through
//!   the overlay rather than around the bootstrap peer.
//!   A node keeps sending `Join` every tick until some node answers `Joined`. Without that, a
//!   node whose join was lost, and which later nodes then joined through, grew an island of
//!   its own that never met the overlay (the simulator found 19 such islands among 1,000
//!   nodes at 5% message loss).
//! - Links are symmetric: a node that takes a peer in tells it (`Joined`, an accepted
//!   `Neighbor`), and one that drops a peer to make room tells it (`Disconnect`). A lost message
//!   leaves a link one-sided; the keepalive `Ping` repairs it (the receiver takes the link in if
//!   it has room, or disconnects it).
//! - Failure: the driver reports a peer it could not reach (`PeerDown`: a broken connection in
//!   the daemon, a message to a crashed or cut-off node in the simulator). Each tick's keepalive
//!   makes sure a silent neighbour is tried at least once per tick. A failed neighbour is
//!   replaced from the passive view with a `Neighbor` request that says how many neighbours
//!   the asker has.
//! - Accepting: a node with room accepts. A full node accepts too, dropping a random
//!   neighbour to make room, when the asker has two or more neighbours fewer than the view
//!   holds. HyParView forces acceptance only for a node with no neighbour at all, but then a
//!   few nodes linked only to each other, each well below its size, are refused by every full
//!   node they ask and stay an island for good (the simulator found islands of three and of
//!   five nodes, at 60 and 300 nodes). The dropped neighbour is left one short, which forces
//!   nothing, so each forced acceptance moves one link and the overlay comes to rest: nodes one
//!   short of a full view stay so rather than churn (an earlier rule let them force now and
//!   then, and the links never stopped moving, so content routing over them never settled).
//! - Reconnecting: a node keeps the neighbours it lost to a failure (at most 16, for 300
//!   ticks) and every 5 ticks asks one of them again, with a request the receiver does not
//!   refuse and both sides take in even with a full view (one link over). That is what merges
//!   the two sides of a healed partition, whose nodes had dropped each other from both views.
//! - Shuffling: every few ticks a node sends a sample of both views on a short random walk;
//!   the node where it ends answers with a sample of its passive view, and both merge what they
//!   got into their passive views, so the passive views keep meeting fresh, live nodes.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::id::NodeId;
use crate::sample::sample;
use crate::strategy::{Input, Micros, Outputs, Timer};
use crate::wire::Message;

/// Neighbours lost to a failure that a node keeps trying to reach again, at most.
const LOST_PEERS: usize = 16;

/// Ticks between two attempts to reach a lost neighbour again.
const RECONNECT_EVERY: u32 = 5;

/// Ticks after which a lost neighbour is given up.
const LOST_TTL: u32 = 300;

/// Bootstrap peers a node keeps, at most.
const MAX_BOOTSTRAP: usize = 16;

/// Most node ids a shuffle carries; longer lists from a peer are cut to this.
pub const MAX_SHUFFLE: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct MembershipConfig {
    /// Neighbours a node keeps: the overlay's degree.
    pub active_size: usize,
    /// Replacement candidates a node keeps.
    pub passive_size: usize,
    /// Hops of a join's random walk.
    pub active_walk: u8,
    /// The hop of a join's walk at which the joiner enters a passive view.
    pub passive_walk: u8,
    /// Time between keepalives and repairs.
    pub tick: Micros,
    /// Ticks between shuffles.
    pub shuffle_every: u32,
    /// Active and passive entries a shuffle carries.
    pub shuffle_active: usize,
    pub shuffle_passive: usize,
}

impl Default for MembershipConfig {
    fn default() -> Self {
        MembershipConfig {
            active_size: 5,
            passive_size: 30,
            active_walk: 6,
            passive_walk: 3,
            tick: 1_000_000,
            shuffle_every: 5,
            shuffle_active: 3,
            shuffle_passive: 4,
        }
    }
}

/// The membership messages; see the module notes for the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipMessage {
    Join,
    ForwardJoin {
        joiner: NodeId,
        ttl: u8,
    },
    /// The sender has taken the receiver into its active view; `sample` holds some of the
    /// sender's other peers, to start the receiver's passive view.
    Joined {
        sample: Vec<NodeId>,
    },
    Neighbor {
        /// The asker's neighbours.
        links: u8,
        /// The asker lost the receiver to a failure and is trying it again.
        reconnect: bool,
    },
    NeighborReply {
        accepted: bool,
        /// The answer to a reconnection.
        reconnect: bool,
    },
    Disconnect,
    Shuffle {
        origin: NodeId,
        ttl: u8,
        nodes: Vec<NodeId>,
    },
    ShuffleReply {
        nodes: Vec<NodeId>,
    },
    Ping,
}

/// A change of the active view, for the strategy running over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewChange {
    Up(NodeId),
    Down(NodeId),
}

#[derive(Debug)]
struct Membership {
    me: NodeId,
    config: MembershipConfig,
    bootstrap: Vec<NodeId>,
    active: Vec<NodeId>,
    passive: Vec<NodeId>,
    /// The passive peer asked to become a neighbour, until it answers or a tick passes.
    requesting: Option<NodeId>,
    /// Neighbours lost to a failure, with the tick they were lost at.
    lost: Vec<(NodeId, u32)>,
    /// Whether a node of the overlay has answered this node's join (always true for a node
    /// with no bootstrap peers: it founds the overlay).
    joined: bool,
    ticks: u32,
}

/// A node's membership with what driving it takes: the node's RNG, and the view changes it
/// reports for the strategy running over it.
#[derive(Debug)]
pub struct Overlay {
    membership: Membership,
    rng: ChaCha8Rng,
    changes: Vec<ViewChange>,
}

impl Overlay {
    pub fn new(
        me: NodeId,
        bootstrap: Vec<NodeId>,
        config: &MembershipConfig,
        rng: ChaCha8Rng,
    ) -> Self {
        Overlay {
            membership: Membership::new(me, bootstrap, config.clone()),
            rng,
            changes: Vec::new(),
        }
    }

    /// The node's neighbours.
    pub fn active(&self) -> &[NodeId] {
        self.membership.active()
    }

    /// This node.
    pub fn me(&self) -> NodeId {
        self.membership.me
    }

    /// The replacement candidates: a sample of the overlay beyond the neighbours, kept mixed
    /// by shuffles.
    pub fn passive(&self) -> &[NodeId] {
        &self.membership.passive
    }

    /// Handles the inputs that are membership's: start, its timer, a peer down, its
    /// messages. Every other input is handed back, and so is the membership timer, which
    /// strategies also use for their own upkeep.
    pub fn handle(&mut self, now: Micros, input: Input, out: &mut Outputs) -> Option<Input> {
        let mut fx = Effects {
            rng: &mut self.rng,
            out,
            changes: &mut self.changes,
        };
        match input {
            Input::Start => self.membership.start(now, &mut fx),
            Input::Timer(Timer::Membership) => {
                self.membership.tick(now, &mut fx);
                return Some(input);
            }
            Input::PeerDown(peer) => self.membership.peer_down(peer, &mut fx),
            Input::Contact(peer) => self.membership.contact(peer, &mut fx),
            Input::Message {
                from,
                msg: Message::Membership(msg),
            } => self.membership.on_message(from, msg, &mut fx),
            other => return Some(other),
        }
        None
    }

    /// The view changes since the last call.
    pub fn take_changes(&mut self) -> Vec<ViewChange> {
        std::mem::take(&mut self.changes)
    }
}

/// What a membership call needs besides its arguments: the RNG and where its effects go.
#[derive(Debug)]
struct Effects<'a> {
    rng: &'a mut ChaCha8Rng,
    out: &'a mut Outputs,
    changes: &'a mut Vec<ViewChange>,
}

impl Effects<'_> {
    fn send(&mut self, to: NodeId, msg: MembershipMessage) {
        self.out.send(to, Message::Membership(msg));
    }

    fn pick<'v>(&mut self, nodes: &'v [NodeId]) -> Option<&'v NodeId> {
        (!nodes.is_empty()).then(|| &nodes[self.rng.random_range(0..nodes.len())])
    }
}

impl Membership {
    fn new(me: NodeId, bootstrap: Vec<NodeId>, config: MembershipConfig) -> Self {
        let bootstrap: Vec<NodeId> = bootstrap.into_iter().filter(|&b| b != me).collect();
        Membership {
            joined: bootstrap.is_empty(),
            me,
            config,
            bootstrap,
            active: Vec::new(),
            passive: Vec::new(),
            requesting: None,
            lost: Vec::new(),
            ticks: 0,
        }
    }

    pub fn active(&self) -> &[NodeId] {
        &self.active
    }

    fn start(&mut self, now: Micros, fx: &mut Effects<'_>) {
        self.join(fx);
        fx.out
            .timers
            .push((now + self.config.tick, Timer::Membership));
    }

    fn join(&mut self, fx: &mut Effects<'_>) {
        if let Some(&contact) = fx.pick(&self.bootstrap) {
            fx.send(contact, MembershipMessage::Join);
        }
    }

    /// A bootstrap peer the driver reached: kept to join through (the newest
    /// [`MAX_BOOTSTRAP`]), and joined through now if the node has no neighbour, so a node
    /// started alone joins as soon as its bootstrap address answers.
    fn contact(&mut self, peer: NodeId, fx: &mut Effects<'_>) {
        if peer == self.me {
            return;
        }
        if !self.bootstrap.contains(&peer) {
            if self.bootstrap.len() >= MAX_BOOTSTRAP {
                self.bootstrap.remove(0);
            }
            self.bootstrap.push(peer);
        }
        if self.active.is_empty() {
            self.joined = false;
            fx.send(peer, MembershipMessage::Join);
        }
    }

    /// Keepalives, repair, and now and then a shuffle; asks for the next tick.
    fn tick(&mut self, now: Micros, fx: &mut Effects<'_>) {
        fx.out
            .timers
            .push((now + self.config.tick, Timer::Membership));
        self.ticks = self.ticks.wrapping_add(1);
        // An unanswered request is taken as lost.
        self.requesting = None;
        if !self.joined || (self.active.is_empty() && self.passive.is_empty()) {
            self.join(fx);
        }
        self.promote(fx);
        for &peer in &self.active {
            fx.send(peer, MembershipMessage::Ping);
        }
        if self.ticks.is_multiple_of(RECONNECT_EVERY) {
            self.reconnect(fx);
        }
        // A node short of neighbours shuffles every tick, for candidates to ask.
        let short = self.active.len() < self.config.active_size;
        if short || self.ticks.is_multiple_of(self.config.shuffle_every.max(1)) {
            self.shuffle(fx);
        }
    }

    fn on_message(&mut self, from: NodeId, msg: MembershipMessage, fx: &mut Effects<'_>) {
        if from == self.me {
            return;
        }
        match msg {
            MembershipMessage::Join => {
                self.add_active(from, fx);
                self.welcome(from, fx);
                let ttl = self.config.active_walk;
                for &peer in self.active.iter().filter(|&&p| p != from) {
                    fx.send(peer, MembershipMessage::ForwardJoin { joiner: from, ttl });
                }
            }
            MembershipMessage::ForwardJoin { joiner, ttl } => {
                self.forward_join(from, joiner, ttl, fx)
            }
            MembershipMessage::Joined { sample } => {
                self.joined = true;
                self.add_active(from, fx);
                self.integrate(&sample, fx);
            }
            MembershipMessage::Neighbor { links, reconnect } => {
                let size = self.config.active_size;
                let accepted =
                    reconnect || self.active.len() < size || usize::from(links) + 2 <= size;
                if accepted {
                    self.add_active_within(from, self.limit(reconnect), fx);
                }
                fx.send(
                    from,
                    MembershipMessage::NeighborReply {
                        accepted,
                        reconnect,
                    },
                );
            }
            MembershipMessage::NeighborReply {
                accepted,
                reconnect,
            } => {
                if self.requesting == Some(from) {
                    self.requesting = None;
                }
                if accepted {
                    self.lost.retain(|&(p, _)| p != from);
                    self.add_active_within(from, self.limit(reconnect), fx);
                }
            }
            MembershipMessage::Disconnect => {
                if self.remove_active(from, fx) {
                    self.add_passive(from, fx);
                    self.promote(fx);
                }
            }
            MembershipMessage::Shuffle { origin, ttl, nodes } => {
                self.on_shuffle(from, origin, ttl, nodes, fx)
            }
            MembershipMessage::ShuffleReply { nodes } => self.integrate(&nodes, fx),
            MembershipMessage::Ping => {
                if !self.active.contains(&from) {
                    if self.active.len() < self.config.active_size {
                        self.add_active(from, fx);
                    } else {
                        fx.send(from, MembershipMessage::Disconnect);
                    }
                }
            }
        }
    }

    /// A peer could not be reached: it leaves both views and a replacement is sought.
    fn peer_down(&mut self, peer: NodeId, fx: &mut Effects<'_>) {
        if self.remove_active(peer, fx) && !self.lost.iter().any(|&(p, _)| p == peer) {
            if self.lost.len() == LOST_PEERS {
                self.lost.remove(0);
            }
            self.lost.push((peer, self.ticks));
        }
        self.passive.retain(|&p| p != peer);
        if self.requesting == Some(peer) {
            self.requesting = None;
        }
        self.promote(fx);
    }

    fn forward_join(&mut self, from: NodeId, joiner: NodeId, ttl: u8, fx: &mut Effects<'_>) {
        if joiner == self.me {
            return;
        }
        if ttl == 0 || self.active.len() <= 1 {
            self.link_joiner(joiner, fx);
            return;
        }
        if ttl == self.config.passive_walk {
            self.add_passive(joiner, fx);
        }
        let candidates = self.active_except(from, joiner);
        match fx.pick(&candidates) {
            Some(&next) => fx.send(
                next,
                MembershipMessage::ForwardJoin {
                    joiner,
                    ttl: ttl - 1,
                },
            ),
            None => self.link_joiner(joiner, fx),
        }
    }

    /// The neighbours other than `a` and `b`: where a random walk may go next.
    fn active_except(&self, a: NodeId, b: NodeId) -> Vec<NodeId> {
        self.active
            .iter()
            .copied()
            .filter(|&p| p != a && p != b)
            .collect()
    }

    fn link_joiner(&mut self, joiner: NodeId, fx: &mut Effects<'_>) {
        if !self.active.contains(&joiner) {
            self.add_active(joiner, fx);
            self.welcome(joiner, fx);
        }
    }

    /// Tells a peer it was taken in, with a sample of this node's views: a joiner has no
    /// passive view yet, and without one it cannot replace a neighbour or fill its view.
    fn welcome(&mut self, peer: NodeId, fx: &mut Effects<'_>) {
        let mut sample = sample(&self.passive, self.config.shuffle_passive, fx.rng);
        sample.extend(sample_of(
            &self.active,
            self.config.shuffle_active,
            peer,
            fx.rng,
        ));
        fx.send(peer, MembershipMessage::Joined { sample });
    }

    fn shuffle(&mut self, fx: &mut Effects<'_>) {
        let Some(&target) = fx.pick(&self.active) else {
            return;
        };
        let mut nodes = vec![self.me];
        nodes.extend(sample(&self.active, self.config.shuffle_active, fx.rng));
        nodes.extend(sample(&self.passive, self.config.shuffle_passive, fx.rng));
        nodes.retain(|&n| n != target);
        let ttl = self.config.passive_walk;
        fx.send(
            target,
            MembershipMessage::Shuffle {
                origin: self.me,
                ttl,
                nodes,
            },
        );
    }

    fn on_shuffle(
        &mut self,
        from: NodeId,
        origin: NodeId,
        ttl: u8,
        mut nodes: Vec<NodeId>,
        fx: &mut Effects<'_>,
    ) {
        nodes.truncate(MAX_SHUFFLE);
        if ttl > 1 && self.active.len() > 1 {
            let candidates = self.active_except(from, origin);
            if let Some(&next) = fx.pick(&candidates) {
                let ttl = ttl - 1;
                fx.send(next, MembershipMessage::Shuffle { origin, ttl, nodes });
                return;
            }
        }
        if origin != self.me {
            let reply = sample(&self.passive, nodes.len(), fx.rng);
            fx.send(origin, MembershipMessage::ShuffleReply { nodes: reply });
        }
        self.integrate(&nodes, fx);
    }

    fn integrate(&mut self, nodes: &[NodeId], fx: &mut Effects<'_>) {
        for &node in nodes.iter().take(MAX_SHUFFLE) {
            self.add_passive(node, fx);
        }
    }

    /// Tries one neighbour lost to a failure again, with a request that is not refused (and
    /// that both sides take in even with a full view, see [`Membership::limit`]). A partition
    /// makes every node drop the peers across it from both views, so once it heals nothing
    /// else would ever link the two sides again; a crashed peer that restarted is taken back
    /// the same way. One link across is enough to merge the overlays.
    fn reconnect(&mut self, fx: &mut Effects<'_>) {
        let now = self.ticks;
        let active = &self.active;
        self.lost
            .retain(|&(p, at)| now.wrapping_sub(at) < LOST_TTL && !active.contains(&p));
        let lost: Vec<NodeId> = self.lost.iter().map(|&(p, _)| p).collect();
        if let Some(&peer) = fx.pick(&lost) {
            let links = self.active.len().min(usize::from(u8::MAX)) as u8;
            let reconnect = true;
            fx.send(peer, MembershipMessage::Neighbor { links, reconnect });
        }
    }

    /// Asks a passive peer to become a neighbour if the active view has room.
    fn promote(&mut self, fx: &mut Effects<'_>) {
        if self.active.len() >= self.config.active_size || self.requesting.is_some() {
            return;
        }
        if let Some(&candidate) = fx.pick(&self.passive) {
            let links = self.active.len().min(usize::from(u8::MAX)) as u8;
            let reconnect = false;
            fx.send(candidate, MembershipMessage::Neighbor { links, reconnect });
            self.requesting = Some(candidate);
        }
    }

    /// The most neighbours a node takes a new link up to without dropping one: one over the
    /// view's size for a reconnection. Dropping a neighbour to reconnect moved links (and so
    /// the routing over them) long after a failure was over; a link more does not.
    fn limit(&self, reconnect: bool) -> usize {
        self.config.active_size.max(1) + usize::from(reconnect)
    }

    fn add_active(&mut self, peer: NodeId, fx: &mut Effects<'_>) {
        self.add_active_within(peer, self.limit(false), fx);
    }

    /// Takes `peer` in, dropping a random neighbour first if the view holds `limit` already.
    fn add_active_within(&mut self, peer: NodeId, limit: usize, fx: &mut Effects<'_>) {
        if peer == self.me || self.active.contains(&peer) {
            return;
        }
        if self.active.len() >= limit {
            let victim = self.active[fx.rng.random_range(0..self.active.len())];
            self.remove_active(victim, fx);
            fx.send(victim, MembershipMessage::Disconnect);
            self.add_passive(victim, fx);
        }
        self.passive.retain(|&p| p != peer);
        self.active.push(peer);
        fx.changes.push(ViewChange::Up(peer));
    }

    fn remove_active(&mut self, peer: NodeId, fx: &mut Effects<'_>) -> bool {
        let Some(at) = self.active.iter().position(|&p| p == peer) else {
            return false;
        };
        self.active.swap_remove(at);
        fx.changes.push(ViewChange::Down(peer));
        true
    }

    fn add_passive(&mut self, peer: NodeId, fx: &mut Effects<'_>) {
        if peer == self.me || self.active.contains(&peer) || self.passive.contains(&peer) {
            return;
        }
        if self.passive.len() >= self.config.passive_size {
            let victim = fx.rng.random_range(0..self.passive.len());
            self.passive.swap_remove(victim);
        }
        if self.config.passive_size > 0 {
            self.passive.push(peer);
        }
    }
}

/// Up to `n` distinct entries of `nodes` other than `except`, chosen uniformly.
fn sample_of(nodes: &[NodeId], n: usize, except: NodeId, rng: &mut ChaCha8Rng) -> Vec<NodeId> {
    let others: Vec<NodeId> = nodes.iter().copied().filter(|&p| p != except).collect();
    sample(&others, n, rng)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn node(n: u8) -> NodeId {
        NodeId::from_bytes([n; 32])
    }

    fn joins_sent(out: &Outputs) -> Vec<NodeId> {
        out.sends
            .iter()
            .filter(|s| matches!(s.msg, Message::Membership(MembershipMessage::Join)))
            .map(|s| s.to)
            .collect()
    }

    #[test]
    fn a_node_started_alone_joins_through_a_contact_until_it_has_neighbours() {
        let config = MembershipConfig::default();
        let mut overlay = Overlay::new(node(1), Vec::new(), &config, ChaCha8Rng::seed_from_u64(1));
        let mut out = Outputs::default();
        overlay.handle(0, Input::Start, &mut out);
        assert!(joins_sent(&out).is_empty(), "a founder joins nobody");

        out.clear();
        overlay.handle(1, Input::Contact(node(2)), &mut out);
        assert_eq!(joins_sent(&out), vec![node(2)]);

        // Unanswered, the join is repeated every tick.
        out.clear();
        overlay.handle(config.tick, Input::Timer(Timer::Membership), &mut out);
        assert_eq!(joins_sent(&out), vec![node(2)]);

        // Once a neighbour answered, a contact is only remembered.
        let joined = Message::Membership(MembershipMessage::Joined { sample: Vec::new() });
        overlay.handle(
            2,
            Input::Message {
                from: node(2),
                msg: joined,
            },
            &mut out,
        );
        out.clear();
        overlay.handle(3, Input::Contact(node(3)), &mut out);
        assert!(joins_sent(&out).is_empty());
        out.clear();
        overlay.handle(2 * config.tick, Input::Timer(Timer::Membership), &mut out);
        assert!(joins_sent(&out).is_empty());
    }
}
