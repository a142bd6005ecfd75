//! The interface every strategy implements, and what flows through it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sift_matcher::{Event, Filter};

use crate::brokers::{Architecture, BrokerConfig, Brokered};
use crate::dht::DhtConfig;
use crate::flood::Flood;
use crate::gossip::{
    AntiEntropyOnly, BlindCounter, Disseminating, Dissemination, GossipConfig, Pbcast, Plumtree,
    Rumor,
};
use crate::id::{EventId, NodeId, SubId};
use crate::local::LocalConfig;
use crate::membership::MembershipConfig;
use crate::selective::{Selective, SelectiveConfig};
use crate::wire::Message;

/// Time in microseconds, as the caller counts it: virtual in the simulator, since the Unix
/// epoch in the daemon. Only differences matter to the protocols.
pub type Micros = u64;

/// A client's subscription, held at the node the client is attached to.
#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: SubId,
    pub filter: Filter,
    /// The subscription stops matching at this time; `None` lasts until unsubscribed.
    pub expires: Option<Micros>,
}

/// A published event with its id and the time it was published at, which every delivery's
/// latency is measured from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub id: EventId,
    pub published_at: Micros,
    pub event: Event,
}

/// Something that happened to a node, as its driver tells the strategy.
#[derive(Debug)]
pub enum Input {
    /// The node came up: join the overlay through the bootstrap peers given at construction.
    Start,
    Subscribe(Subscription),
    Unsubscribe(SubId),
    /// A client published at this node; the driver assigned the id.
    Publish(Arc<Publication>),
    Message {
        from: NodeId,
        msg: Message,
    },
    /// A timer the strategy asked for came due.
    Timer(Timer),
    /// The connection to a peer failed or a message to it could not be delivered.
    PeerDown(NodeId),
    /// The driver reached a bootstrap peer it knew only by address (the daemon's
    /// `--bootstrap`): join through it if the node has no neighbour yet. For the `dht` in the
    /// daemon, also every peer the driver's Kademlia holds in its buckets
    /// ([`crate::dht::Discovery::Driver`]).
    Contact(NodeId),
}

/// What a timer is for. A strategy may get a timer later than it asked, or more often than it
/// asked (a driver may merge or repeat them); each handler checks its own deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// Membership upkeep: keepalives, view repair, shuffles.
    Membership,
    /// A local subscription's expiry.
    Expiry,
    /// A dissemination protocol's round or repair deadline (module `gossip`).
    Gossip,
}

/// A message for a peer.
#[derive(Debug)]
pub struct Send {
    pub to: NodeId,
    pub msg: Message,
}

/// A local subscription's callback is due with a publication.
#[derive(Debug)]
pub struct Delivery {
    pub sub: SubId,
    pub publication: Arc<Publication>,
}

/// A node took in an event for the first time, `hops` hops from its publisher (0 at the
/// publisher itself): what coverage and the last delivery hop are measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    pub event: EventId,
    pub hops: u16,
}

/// Everything one input produced. The driver drains it after each call.
#[derive(Debug, Default)]
pub struct Outputs {
    pub sends: Vec<Send>,
    pub deliveries: Vec<Delivery>,
    /// Local subscriptions whose expiry passed, each reported once.
    pub expired: Vec<SubId>,
    /// Events the node took in for the first time.
    pub reached: Vec<Reach>,
    /// Events that reached the rendezvous of one of their keys at this node, with the hops
    /// each travelled from its publisher (`dht`).
    pub arrivals: Vec<u16>,
    /// Wake the strategy with the timer at (not before) the given time.
    pub timers: Vec<(Micros, Timer)>,
    /// Filter evaluations: for each table of filters an event was matched against (a node's
    /// own subscriptions, its children's, a broker's), the filters it holds. The index
    /// evaluates fewer; this is the work a table's size stands for, comparable across
    /// strategies.
    pub matching_ops: u64,
}

impl Outputs {
    pub fn send(&mut self, to: NodeId, msg: Message) {
        self.sends.push(Send { to, msg });
    }

    pub fn clear(&mut self) {
        self.sends.clear();
        self.deliveries.clear();
        self.expired.clear();
        self.reached.clear();
        self.arrivals.clear();
        self.timers.clear();
        self.matching_ops = 0;
    }
}

/// A protocol run by one node: a deterministic state machine over [`Input`]s.
pub trait Strategy: fmt::Debug + std::marker::Send {
    fn kind(&self) -> StrategyKind;

    /// Handles one input at time `now`; `now` never decreases from one call to the next.
    fn handle(&mut self, now: Micros, input: Input, out: &mut Outputs);

    /// The node's overlay neighbours.
    fn neighbours(&self) -> &[NodeId];

    /// Entries of routing state the node keeps (filters per neighbour, tree links, ...), the
    /// figure `sift compare` reports as routing state.
    fn routing_entries(&self) -> usize;

    /// The subscriptions the node's routing state names, for checking that state ages out.
    fn routed_subscriptions(&self) -> Vec<SubId>;
}

/// The strategies sift implements, by the names `--strategy` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyKind {
    /// Every event to every node; matched where the subscribers are.
    Flood,
    /// Content-based routing up and down a spanning tree, with covering.
    Selective,
    /// Push rumor mongering (Demers et al.), optionally backed by anti-entropy.
    Rumor,
    /// Blind counter rumor mongering (Portman & Seneviratne) over the overlay's links.
    BlindCounter,
    /// Periodic exchanges of digests with random peers: push, pull or push-pull.
    AntiEntropy,
    /// Bimodal multicast (Birman et al.): best-effort push, then digest gossip and repair.
    Pbcast,
    /// Eager push on a tree, lazy announcements and grafts over the rest of the overlay
    /// (Leitão et al.).
    Plumtree,
    /// One broker holds every subscription and matches every event.
    Centralized,
    /// A master dispatches each event to the workers holding the subscriptions anchored at
    /// its keys.
    Hierarchical,
    /// Brokers own parts of the key space; publishers send to the owners of their keys.
    Flat,
    /// Rendezvous trees over a Kademlia keyspace (Scribe, Hermes): subscriptions and events
    /// meet at the nodes closest to their keys.
    Dht,
}

impl StrategyKind {
    pub const ALL: [StrategyKind; 11] = [
        StrategyKind::Flood,
        StrategyKind::Selective,
        StrategyKind::Rumor,
        StrategyKind::BlindCounter,
        StrategyKind::AntiEntropy,
        StrategyKind::Pbcast,
        StrategyKind::Plumtree,
        StrategyKind::Centralized,
        StrategyKind::Hierarchical,
        StrategyKind::Flat,
        StrategyKind::Dht,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::Flood => "flood",
            StrategyKind::Selective => "selective",
            StrategyKind::Rumor => "rumor",
            StrategyKind::BlindCounter => "blind-counter",
            StrategyKind::AntiEntropy => "anti-entropy",
            StrategyKind::Pbcast => "pbcast",
            StrategyKind::Plumtree => "plumtree",
            StrategyKind::Centralized => "centralized",
            StrategyKind::Hierarchical => "hierarchical",
            StrategyKind::Flat => "flat",
            StrategyKind::Dht => "dht",
        }
    }

    /// Whether the strategy promises every owed delivery on a network that loses nothing
    /// and without faults. Rumor mongering and the blind counter leave a residue by design.
    pub fn promises_exact_delivery(self) -> bool {
        !matches!(self, StrategyKind::Rumor | StrategyKind::BlindCounter)
    }

    /// Whether the strategy works in rounds of [`GossipConfig::round`], so that a run can
    /// count the rounds an event kept it busy.
    pub fn is_round_based(self) -> bool {
        matches!(
            self,
            StrategyKind::Rumor | StrategyKind::AntiEntropy | StrategyKind::Pbcast
        )
    }

    /// The broker architecture the strategy runs, if it is one.
    pub fn architecture(self) -> Option<Architecture> {
        match self {
            StrategyKind::Centralized => Some(Architecture::Centralized),
            StrategyKind::Hierarchical => Some(Architecture::Hierarchical),
            StrategyKind::Flat => Some(Architecture::Flat),
            _ => None,
        }
    }
}

impl fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StrategyKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        StrategyKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let known: Vec<_> = StrategyKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown strategy `{name}`; known: {}", known.join(", "))
            })
    }
}

/// The parameters of every strategy, with defaults suited to a few thousand nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategyConfig {
    pub membership: MembershipConfig,
    pub local: LocalConfig,
    /// Hops an event travels at most when flooded.
    pub flood_ttl: u8,
    pub selective: SelectiveConfig,
    pub gossip: GossipConfig,
    pub brokers: BrokerConfig,
    pub dht: DhtConfig,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        StrategyConfig {
            membership: MembershipConfig::default(),
            local: LocalConfig::default(),
            flood_ttl: 32,
            selective: SelectiveConfig::default(),
            gossip: GossipConfig::default(),
            brokers: BrokerConfig::default(),
            dht: DhtConfig::default(),
        }
    }
}

/// Builds the strategy `kind` for node `me`, joining through `bootstrap` when started; `None`
/// for the strategies of the crates above the core (`dht`, built by `sift_dht::build`, which
/// builds every strategy).
pub fn build(
    kind: StrategyKind,
    me: NodeId,
    bootstrap: Vec<NodeId>,
    rng: ChaCha8Rng,
    config: &StrategyConfig,
) -> Option<Box<dyn Strategy>> {
    let gossip = &config.gossip;
    let protocol: Box<dyn Dissemination> = match kind {
        StrategyKind::Dht => return None,
        StrategyKind::Selective => {
            return Some(Box::new(Selective::new(me, bootstrap, rng, config)));
        }
        StrategyKind::Flood => Box::new(Flood::new(config.flood_ttl)),
        StrategyKind::Rumor => Box::new(Rumor::new(gossip)),
        StrategyKind::BlindCounter => Box::new(BlindCounter::new(gossip)),
        StrategyKind::AntiEntropy => Box::new(AntiEntropyOnly::new(gossip)),
        StrategyKind::Pbcast => Box::new(Pbcast::new(gossip)),
        StrategyKind::Plumtree => Box::new(Plumtree::new(gossip)),
        StrategyKind::Centralized | StrategyKind::Hierarchical | StrategyKind::Flat => {
            let architecture = kind.architecture().expect("a broker architecture");
            return Some(Box::new(Brokered::new(
                architecture,
                me,
                bootstrap,
                rng,
                config,
            )));
        }
    };
    Some(Box::new(Disseminating::new(
        protocol, me, bootstrap, rng, config,
    )))
}
