//! Dissemination over the unstructured overlay: every event to every node, matched where the
//! subscribers are, by protocols that trade messages, time and the fraction of nodes reached
//! against each other.
//!
//! - [`Flood`](crate::flood::Flood): every link, once each way; the baseline.
//! - [`Rumor`]: push rumor mongering after Demers et al. (1987): a node with a hot rumor
//!   pushes it to random peers every round until it loses interest, by a coin or a counter,
//!   blindly or on the feedback that the peer knew it already.
//! - [`BlindCounter`]: after Portman & Seneviratne (2002): each of the first `F` receipts of
//!   an event sends it to `B` neighbours not known to have it.
//! - [`AntiEntropyOnly`]: every round, a digest of the events a node holds to one random
//!   peer, which answers with what one side lacks (push, pull or push-pull); combinable with
//!   rumor mongering to drive its residue to zero.
//! - [`Pbcast`]: bimodal multicast after Birman et al. (1999): a best-effort push, then
//!   rounds of digest gossip in which peers solicit what they missed.
//! - [`Plumtree`]: after Leitão et al. (2007): eager push along a tree carved out of the
//!   overlay by pruning the links that delivered duplicates, lazy announcements over the
//!   others, and grafts that repair the tree when an announced event does not arrive.
//!
//! The protocols that gossip with "a random peer" draw it from the membership's active and
//! passive views together (see [`Node::sample_peers`]): the passive view is a sample of the
//! overlay that shuffles keep mixing, the closest a node gets to the uniform choice over all
//! nodes that the analyses assume, without knowing all nodes. The views change slowly next
//! to a rumor's life, so a node's pushes fall on the same few dozen peers and the residue
//! is higher than the analyses say; [`PeerSource::Directory`] draws from every node instead,
//! as the analyses assume, to show the difference.
//!
//! Every event a node takes in passes [`crate::local::LocalDelivery::receive`], whose seen-cache
//! turns repeats away: whatever a protocol sends twice, a subscription is called once. Every
//! table a protocol keeps per event is bounded by a count and by age.

mod aged;
mod anti_entropy;
mod blind_counter;
mod pbcast;
mod peers;
mod plumtree;
mod rounds;
mod rumor;
mod store;

use std::fmt;
use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::id::{NodeId, SubId};
use crate::local::LocalDelivery;
use crate::membership::{Overlay, ViewChange};
use crate::seen::FingerprintKey;
use crate::strategy::{
    Input, Micros, Outputs, Publication, Strategy, StrategyConfig, StrategyKind, Timer,
};
use crate::wire::Message;

pub use anti_entropy::{AntiEntropyConfig, AntiEntropyOnly, Exchange};
pub use blind_counter::{BlindCounter, BlindCounterConfig};
pub use pbcast::{Pbcast, PbcastConfig};
pub use plumtree::{Plumtree, PlumtreeConfig};
pub use rumor::{LossOfInterest, Rumor, RumorConfig};

/// Where a node draws the peers it gossips with ("a random peer" of the protocols).
#[derive(Clone, PartialEq, Default)]
pub enum PeerSource {
    /// The membership's active and passive views: what a node of an open overlay knows.
    #[default]
    Views,
    /// Every node of a directory known in advance: the setting the classic analyses assume
    /// (Demers et al. 1987: every site knows every other). The simulator offers it to set
    /// the protocols beside their analyses.
    Directory(Arc<[NodeId]>),
}

impl fmt::Debug for PeerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerSource::Views => f.write_str("Views"),
            PeerSource::Directory(nodes) => write!(f, "Directory({} nodes)", nodes.len()),
        }
    }
}

/// The parameters of the dissemination protocols.
#[derive(Clone, Debug, PartialEq)]
pub struct GossipConfig {
    /// Where gossip partners come from.
    pub peers: PeerSource,
    /// Length of a gossip round. Rounds start at multiples of it, so nodes whose clocks
    /// agree (the simulator's) gossip in step; it should exceed the time an exchange takes
    /// (three one-way latencies for a push digest), so that a round's answers arrive
    /// within it.
    pub round: Micros,
    /// Events a node keeps for repairs (anti-entropy, pbcast, Plumtree's grafts).
    pub store_capacity: usize,
    /// How long after its publication an event is taken in, kept, offered and accepted in
    /// repairs. With [`MAX_CLOCK_AHEAD`] it must stay below the seen-cache's window (see
    /// [`crate::local::LocalConfig`]), so that an event is never taken for new by a node that
    /// delivered it long ago.
    pub retention: Micros,
    pub rumor: RumorConfig,
    pub blind_counter: BlindCounterConfig,
    pub anti_entropy: AntiEntropyConfig,
    pub pbcast: PbcastConfig,
    pub plumtree: PlumtreeConfig,
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig {
            peers: PeerSource::Views,
            round: 200_000,
            store_capacity: 8_192,
            retention: 30_000_000,
            rumor: RumorConfig::default(),
            blind_counter: BlindCounterConfig::default(),
            anti_entropy: AntiEntropyConfig::default(),
            pbcast: PbcastConfig::default(),
            plumtree: PlumtreeConfig::default(),
        }
    }
}

/// What a protocol sees of its node while it handles one input.
#[derive(Debug)]
pub struct Node<'a> {
    pub(crate) now: Micros,
    pub(crate) overlay: &'a Overlay,
    pub(crate) local: &'a mut LocalDelivery,
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) out: &'a mut Outputs,
    pub(crate) peers: &'a PeerSource,
    /// How long after its publication an event is taken in ([`GossipConfig::retention`]).
    pub(crate) retention: Micros,
}

/// How far ahead of this node's clock a publication's time may be: clocks of different
/// hosts disagree a little, and an event dated further ahead would count as fresh too long.
pub const MAX_CLOCK_AHEAD: Micros = 10_000_000;

impl Node<'_> {
    /// Takes in `publication`, `hops` hops from its publisher: the first time, delivers it to
    /// the matching local subscriptions and returns true. A publication older than the
    /// retention, or dated more than [`MAX_CLOCK_AHEAD`] ahead, is refused: every node takes
    /// an event in only within `retention + MAX_CLOCK_AHEAD` of its publication, well inside
    /// the window the seen-cache remembers it, so however long peers keep passing it on, no
    /// subscription is called twice.
    pub(crate) fn receive(&mut self, publication: &Arc<Publication>, hops: u16) -> bool {
        let fresh = self.now.saturating_sub(publication.published_at) < self.retention
            && publication.published_at <= self.now.saturating_add(MAX_CLOCK_AHEAD);
        fresh && self.local.receive(self.now, publication, hops, self.out)
    }

    pub(crate) fn send(&mut self, to: NodeId, msg: Message) {
        self.out.send(to, msg);
    }

    /// The overlay's neighbours.
    pub(crate) fn neighbours(&self) -> &[NodeId] {
        self.overlay.active()
    }

    /// Wakes the protocol with [`Timer::Gossip`] at `at`.
    pub(crate) fn wake_at(&mut self, at: Micros) {
        self.out.timers.push((at, Timer::Gossip));
    }

    /// A coin toss that comes up true with probability `p`.
    pub(crate) fn coin(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }
}

/// A dissemination protocol (crate-internal: its [`Node`] is): what a [`Disseminating`] node does beyond membership and local
/// delivery, which it shares with every other.
pub trait Dissemination: fmt::Debug + Send {
    fn kind(&self) -> StrategyKind;

    /// The node started: rounds that run whatever the node holds begin here.
    fn start(&mut self, _node: &mut Node<'_>) {}

    /// A client published `publication` here; the node has already taken it in.
    fn publish(&mut self, node: &mut Node<'_>, publication: Arc<Publication>);

    fn message(&mut self, node: &mut Node<'_>, from: NodeId, msg: Message);

    /// [`Timer::Gossip`] came due (perhaps late, perhaps more than once).
    fn wake(&mut self, _node: &mut Node<'_>) {}

    /// The membership's periodic tick: collect what has aged out.
    fn tick(&mut self, _node: &mut Node<'_>) {}

    fn view_change(&mut self, _node: &mut Node<'_>, _change: ViewChange) {}

    /// Entries of per-peer or per-event state the protocol keeps.
    fn state_entries(&self) -> usize {
        0
    }
}

/// A node running a dissemination protocol over the membership overlay, with its clients'
/// subscriptions.
pub struct Disseminating {
    overlay: Overlay,
    local: LocalDelivery,
    /// The protocol's own draws, apart from membership's, so that adding a draw to one does
    /// not change the other's.
    rng: ChaCha8Rng,
    peers: PeerSource,
    retention: Micros,
    protocol: Box<dyn Dissemination>,
}

impl fmt::Debug for Disseminating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Disseminating")
            .field("protocol", &self.protocol)
            .field("neighbours", &self.overlay.active().len())
            .field("subscriptions", &self.local.len())
            .finish()
    }
}

impl Disseminating {
    pub(crate) fn new(
        protocol: Box<dyn Dissemination>,
        me: NodeId,
        bootstrap: Vec<NodeId>,
        mut rng: ChaCha8Rng,
        config: &StrategyConfig,
    ) -> Self {
        let own = ChaCha8Rng::seed_from_u64(rng.random());
        let key = FingerprintKey::derive(&rng);
        Disseminating {
            overlay: Overlay::new(me, bootstrap, &config.membership, rng),
            local: LocalDelivery::new(&config.local, key),
            rng: own,
            peers: config.gossip.peers.clone(),
            retention: config.gossip.retention,
            protocol,
        }
    }
}

impl Strategy for Disseminating {
    fn kind(&self) -> StrategyKind {
        self.protocol.kind()
    }

    fn handle(&mut self, now: Micros, input: Input, out: &mut Outputs) {
        let starting = matches!(input, Input::Start);
        let input = self.overlay.handle(now, input, out);
        let changes = self.overlay.take_changes();
        let mut node = Node {
            now,
            overlay: &self.overlay,
            local: &mut self.local,
            rng: &mut self.rng,
            out,
            peers: &self.peers,
            retention: self.retention,
        };
        if starting {
            self.protocol.start(&mut node);
        }
        for change in changes {
            self.protocol.view_change(&mut node, change);
        }
        let Some(input) = input else {
            return;
        };
        match input {
            Input::Timer(Timer::Expiry) => node.local.expire(now, node.out),
            Input::Timer(Timer::Membership) => {
                node.local.expire(now, node.out);
                self.protocol.tick(&mut node);
            }
            Input::Timer(Timer::Gossip) => self.protocol.wake(&mut node),
            Input::Subscribe(sub) => node.local.subscribe(now, sub, node.out),
            Input::Unsubscribe(id) => {
                node.local.unsubscribe(&id);
            }
            Input::Publish(publication) => {
                if node.receive(&publication, 0) {
                    self.protocol.publish(&mut node, publication);
                }
            }
            Input::Message { from, msg } => self.protocol.message(&mut node, from, msg),
            // Membership's, handled above.
            Input::Start | Input::PeerDown(_) | Input::Contact(_) => {}
        }
    }

    fn neighbours(&self) -> &[NodeId] {
        self.overlay.active()
    }

    fn routing_entries(&self) -> usize {
        self.protocol.state_entries()
    }

    fn routed_subscriptions(&self) -> Vec<SubId> {
        // Subscriptions never leave their node.
        Vec::new()
    }
}
