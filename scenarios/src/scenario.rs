//! What a run does: the scenario, read from a TOML file and overridden by flags.

use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sift_core::brokers::{Architecture, BrokerRole, MAX_BROKERS};
use sift_core::gossip::{Exchange, LossOfInterest};
use sift_core::{Micros, StrategyConfig, StrategyKind};

/// Which workload generator the subscriptions and events come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadKind {
    /// Integer ranges on `a0..a19`, the matching literature's standard (see
    /// `sift_matcher::workload`); about one subscription in a thousand matches an event.
    Interval,
    /// Stock ticks and traders' alerts: Zipf-popular symbols, ranges, in-lists, prefixes,
    /// negations, regexes.
    Market,
}

impl FromStr for WorkloadKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "interval" => Ok(WorkloadKind::Interval),
            "market" => Ok(WorkloadKind::Market),
            _ => Err(format!(
                "unknown workload `{name}`; known: interval, market"
            )),
        }
    }
}

/// Whom the gossip protocols draw their peers from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerChoice {
    /// The membership's views, as a deployed node does.
    Views,
    /// Every node, as the classic analyses assume.
    All,
}

impl FromStr for PeerChoice {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "views" => Ok(PeerChoice::Views),
            "all" => Ok(PeerChoice::All),
            _ => Err(format!("unknown peer choice `{name}`; known: views, all")),
        }
    }
}

/// A fault the scenario injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// `fraction` of the running nodes stop, losing their state and their clients'
    /// subscriptions.
    Crash,
    /// Every crashed node starts again, with its key but no state, and rejoins.
    Restart,
    /// `fraction` of the nodes are cut off from the rest: messages across are not delivered
    /// and their senders learn it as from a broken connection.
    Partition,
    /// The partition ends.
    Heal,
}

/// Which nodes a crash draws from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Among {
    /// Every running node.
    #[default]
    All,
    /// The running brokers that hold subscriptions: the central broker and its standbys,
    /// the workers, the flat brokers.
    Brokers,
    /// The hierarchical master.
    Master,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When, in milliseconds after the first publication.
    pub after_ms: f64,
    pub kind: FaultKind,
    /// The share of nodes a crash or a partition takes: of all nodes, in (0, 1); of the
    /// brokers or the master (see `among`), in (0, 1].
    #[serde(default)]
    pub fraction: Option<f64>,
    /// Which nodes a crash takes its share of.
    #[serde(default)]
    pub among: Among,
}

/// Every parameter of a run. Times are in milliseconds, as scenario files write them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    pub strategy: StrategyKind,
    pub nodes: usize,
    pub subs: usize,
    pub events: usize,
    pub seed: u64,
    pub workload: WorkloadKind,
    /// Neighbours per node (the membership's active view).
    pub degree: usize,
    /// One-way latency of a message, drawn uniformly from `[min, max]` for each message.
    pub latency_ms: [f64; 2],
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice (the copy after its own latency).
    pub duplicate: f64,
    /// How long the overlay is given to settle after a change before exact delivery is owed.
    pub settle_ms: u64,
    /// Subscriptions expire this long after they are made; none expire when absent.
    pub ttl_s: Option<f64>,
    /// Share of the subscriptions cancelled at a random time while events are published.
    pub unsubscribe: f64,
    /// Time between two nodes starting.
    pub join_interval_ms: f64,
    /// Time between two publications (spread over the nodes).
    pub publish_interval_ms: f64,
    /// How long a routing entry lives without a refresh, for strategies that lease them.
    pub lease_s: f64,
    /// Faults, in any order.
    pub faults: Vec<Fault>,
    /// Time after the last fault from which exact delivery is owed again.
    pub recovery_ms: u64,
    /// Length of a gossip round (rumor, anti-entropy, pbcast).
    pub round_ms: f64,
    /// When rumor mongering loses interest in a rumor.
    pub rumor: LossOfInterest,
    /// Rumor mongering's `k`: the coin's `1/k`, or the counter's limit.
    pub k: u32,
    /// Peers contacted per round by rumor mongering, or pushed to by pbcast's first phase;
    /// each protocol's own default when absent.
    pub fanout: Option<usize>,
    /// Anti-entropy behind rumor mongering, if any.
    pub anti_entropy: Option<Exchange>,
    /// The exchange of the anti-entropy strategy.
    pub mode: Exchange,
    /// The blind counter's `B` (neighbours per forward) and `F` (receipts that forward).
    pub b: usize,
    pub f: u32,
    /// Rounds pbcast gossips about an event.
    pub pbcast_rounds: u32,
    /// How long Plumtree waits for an announced event before grafting.
    pub graft_timeout_ms: f64,
    /// Whom rumor mongering, anti-entropy and pbcast draw their peers from.
    pub peers: PeerChoice,
    /// Brokers of the broker architectures: `centralized`'s broker and its standbys,
    /// `hierarchical`'s workers, `flat`'s brokers. Each architecture's default when absent:
    /// 1, 8 and 8. They start first, after the masters.
    pub brokers: Option<usize>,
    /// `hierarchical`'s master and its standbys: the first nodes to start.
    pub masters: usize,
    /// `dht`'s rendezvous nodes per key: subscriptions join every replica, events visit one.
    pub replicas: u8,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            strategy: StrategyKind::Flood,
            nodes: 100,
            subs: 1_000,
            events: 1_000,
            seed: 1,
            workload: WorkloadKind::Interval,
            degree: 5,
            latency_ms: [5.0, 50.0],
            loss: 0.0,
            duplicate: 0.0,
            settle_ms: 5_000,
            ttl_s: None,
            unsubscribe: 0.0,
            join_interval_ms: 2.0,
            publish_interval_ms: 1.0,
            lease_s: 30.0,
            faults: Vec::new(),
            recovery_ms: 10_000,
            round_ms: 200.0,
            rumor: LossOfInterest::FeedbackCoin,
            k: 2,
            fanout: None,
            anti_entropy: None,
            mode: Exchange::PushPull,
            b: 2,
            f: 2,
            pbcast_rounds: 20,
            graft_timeout_ms: 1_000.0,
            peers: PeerChoice::Views,
            brokers: None,
            masters: 1,
            replicas: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("scenario file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid scenario: {0}")]
    Invalid(String),
}

impl Scenario {
    /// Reads a scenario file; keys it leaves out keep their defaults.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|error| ScenarioError::Parse {
            path: path.display().to_string(),
            message: error.to_string(),
        })
    }

    /// Checks the parameters, naming the one that is off and what it must be.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let invalid = |message: String| Err(ScenarioError::Invalid(message));
        let [low, high] = self.latency_ms;
        if self.nodes == 0 || self.nodes > 1_000_000 {
            return invalid(format!(
                "nodes must be between 1 and 1000000, not {}",
                self.nodes
            ));
        }
        if self.degree == 0 || self.degree > 64 {
            return invalid(format!(
                "degree must be between 1 and 64, not {}",
                self.degree
            ));
        }
        if !(low.is_finite() && high.is_finite() && 0.0 <= low && low <= high) {
            return invalid(format!(
                "latency must be a range A..B of milliseconds with 0 <= A <= B, not {low}..{high}"
            ));
        }
        for (name, p) in [("loss", self.loss), ("duplicate", self.duplicate)] {
            if !(0.0..1.0).contains(&p) {
                return invalid(format!("{name} must be a probability in [0, 1), not {p}"));
            }
        }
        if !(0.0..=1.0).contains(&self.unsubscribe) {
            return invalid(format!(
                "unsubscribe must be a share in [0, 1], not {}",
                self.unsubscribe
            ));
        }
        if let Some(ttl) = self.ttl_s
            && !(ttl.is_finite() && ttl > 0.0)
        {
            return invalid(format!(
                "ttl must be a positive number of seconds, not {ttl}"
            ));
        }
        for (name, value) in [
            ("join interval", self.join_interval_ms),
            ("publish interval", self.publish_interval_ms),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return invalid(format!(
                    "{name} must be a non-negative number of milliseconds, not {value}"
                ));
            }
        }
        for (name, value) in [
            ("round", self.round_ms),
            ("graft timeout", self.graft_timeout_ms),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return invalid(format!(
                    "{name} must be a positive number of milliseconds, not {value}"
                ));
            }
        }
        for (name, value) in [
            ("k", self.k as usize),
            ("fanout", self.fanout.unwrap_or(1)),
            ("b", self.b),
            ("f", self.f as usize),
            ("pbcast rounds", self.pbcast_rounds as usize),
            ("replicas", self.replicas as usize),
        ] {
            if value == 0 {
                return invalid(format!("{name} must be at least 1"));
            }
        }
        if !(self.lease_s.is_finite() && self.lease_s > 0.0) {
            return invalid(format!(
                "lease must be a positive number of seconds, not {}",
                self.lease_s
            ));
        }
        if let Some(architecture) = self.strategy.architecture() {
            let brokers = self.broker_count(architecture);
            let masters = self.master_count(architecture);
            if brokers == 0 || (architecture == Architecture::Hierarchical && masters == 0) {
                return invalid("brokers and masters must be at least 1".into());
            }
            if brokers + masters > MAX_BROKERS {
                return invalid(format!(
                    "{brokers} brokers and {masters} masters are more than the {MAX_BROKERS} a \
                     node's roster holds"
                ));
            }
            if brokers + masters > self.nodes {
                return invalid(format!(
                    "{brokers} brokers and {masters} masters do not fit in {} nodes",
                    self.nodes
                ));
            }
        }
        for fault in &self.faults {
            if !(fault.after_ms.is_finite() && fault.after_ms >= 0.0) {
                return invalid(format!(
                    "a fault's after_ms must be a non-negative number of milliseconds, not {}",
                    fault.after_ms
                ));
            }
            let needs_fraction = matches!(fault.kind, FaultKind::Crash | FaultKind::Partition);
            let all = fault.among == Among::All;
            if !all && fault.kind != FaultKind::Crash {
                return invalid(format!(
                    "only a crash takes `among`, not a {:?} fault",
                    fault.kind
                ));
            }
            if fault.among == Among::Master && self.strategy != StrategyKind::Hierarchical {
                return invalid("only the hierarchical strategy has a master to crash".into());
            }
            if fault.among == Among::Brokers && self.strategy.architecture().is_none() {
                return invalid(format!(
                    "the {} strategy has no brokers to crash",
                    self.strategy
                ));
            }
            if let (Some(architecture), Some(fraction)) =
                (self.strategy.architecture(), fault.fraction)
                && !all
            {
                let pool = match fault.among {
                    Among::Master => self.master_count(architecture),
                    _ => self.broker_count(architecture),
                };
                if (pool as f64 * fraction).round() < 1.0 {
                    return invalid(format!(
                        "a crash of {fraction} of the {pool} {} takes none of them",
                        if fault.among == Among::Master {
                            "masters"
                        } else {
                            "brokers"
                        }
                    ));
                }
            }
            match fault.fraction {
                Some(f) if needs_fraction && all && !(f > 0.0 && f < 1.0) => {
                    return invalid(format!("a fault's fraction must be in (0, 1), not {f}"));
                }
                Some(f) if needs_fraction && !(f > 0.0 && f <= 1.0) => {
                    return invalid(format!(
                        "a fault's fraction of the brokers or the master must be in (0, 1], not {f}"
                    ));
                }
                None if needs_fraction => {
                    return invalid(format!("a {:?} fault needs a fraction", fault.kind));
                }
                Some(_) if !needs_fraction => {
                    return invalid(format!("a {:?} fault takes no fraction", fault.kind));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether the strategy promises exact delivery on this scenario: those that promise it
    /// at all do on a network that loses nothing and without faults. With faults, the summary's `after_faults` part
    /// says whether delivery became exact again after [`Scenario::recovery_ms`].
    pub fn promises_exact_delivery(&self) -> bool {
        self.strategy.promises_exact_delivery() && self.loss == 0.0 && self.faults.is_empty()
    }

    /// The brokers the architecture runs with (see [`Scenario::brokers`]).
    pub fn broker_count(&self, architecture: Architecture) -> usize {
        self.brokers.unwrap_or(match architecture {
            Architecture::Centralized => 1,
            Architecture::Hierarchical | Architecture::Flat => 8,
        })
    }

    /// The masters the architecture runs with: `hierarchical`'s, none for the others.
    pub fn master_count(&self, architecture: Architecture) -> usize {
        match architecture {
            Architecture::Hierarchical => self.masters,
            Architecture::Centralized | Architecture::Flat => 0,
        }
    }

    /// The broker role of the node started `node`-th, if the strategy gives it one.
    pub fn role_of(&self, node: u32) -> Option<BrokerRole> {
        let architecture = self.strategy.architecture()?;
        let masters = self.master_count(architecture);
        let node = node as usize;
        if node < masters {
            Some(BrokerRole::Master)
        } else {
            (node < masters + self.broker_count(architecture)).then_some(BrokerRole::Broker)
        }
    }

    /// The strategies' parameters this scenario sets; the rest keep their defaults.
    pub fn strategy_config(&self) -> StrategyConfig {
        let ms = |ms: f64| (ms * 1_000.0).round() as Micros;
        let mut config = StrategyConfig::default();
        config.membership.active_size = self.degree;
        config.selective.lease = (self.lease_s * 1e6).round() as Micros;
        config.brokers.lease = config.selective.lease;
        config.dht.lease = config.selective.lease;
        config.dht.replicas = self.replicas;
        let gossip = &mut config.gossip;
        gossip.round = ms(self.round_ms);
        gossip.rumor.loss_of_interest = self.rumor;
        gossip.rumor.k = self.k;
        gossip.rumor.anti_entropy = self.anti_entropy;
        gossip.anti_entropy.exchange = self.mode;
        gossip.blind_counter.b = self.b;
        gossip.blind_counter.f = self.f;
        gossip.pbcast.rounds = self.pbcast_rounds;
        gossip.plumtree.graft_timeout = ms(self.graft_timeout_ms);
        if let Some(fanout) = self.fanout {
            gossip.rumor.fanout = fanout;
            gossip.pbcast.fanout = fanout;
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_only_what_it_names() {
        let scenario: Scenario =
            toml::from_str("nodes = 50\nlatency_ms = [1, 2]\nstrategy = \"flood\"").unwrap();
        assert_eq!(scenario.nodes, 50);
        assert_eq!(scenario.latency_ms, [1.0, 2.0]);
        assert_eq!(scenario.subs, Scenario::default().subs);
        assert!(toml::from_str::<Scenario>("nodez = 5").is_err());
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = Scenario {
            loss: 1.5,
            ..Scenario::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("loss"));
        let bad = Scenario {
            latency_ms: [5.0, 1.0],
            ..Scenario::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("latency"));
        assert!(Scenario::default().validate().is_ok());
        let too_many = Scenario {
            strategy: StrategyKind::Flat,
            nodes: 100,
            brokers: Some(70),
            ..Scenario::default()
        };
        assert!(
            too_many
                .validate()
                .unwrap_err()
                .to_string()
                .contains("roster")
        );
        let crashes_none = Scenario {
            strategy: StrategyKind::Hierarchical,
            faults: vec![Fault {
                after_ms: 0.0,
                kind: FaultKind::Crash,
                fraction: Some(0.4),
                among: Among::Master,
            }],
            ..Scenario::default()
        };
        let error = crashes_none.validate().unwrap_err().to_string();
        assert!(error.contains("takes none"), "{error}");
    }
}
