//! The flags that shape a simulated run, shared by `sift sim` and `sift compare`: each
//! overrides the scenario key of the same name.

use std::str::FromStr;

use clap::Args;
use sift_node::GossipSettings;
use sift_scenarios::{PeerChoice, Scenario, WorkloadKind};

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Nodes in the overlay.
    #[arg(long)]
    nodes: Option<usize>,
    /// Subscriptions, each made at a random node.
    #[arg(long)]
    subs: Option<usize>,
    /// Events, each published at a random node.
    #[arg(long)]
    events: Option<usize>,
    /// Seed of everything random in the run: the same seed gives the same trace.
    #[arg(long)]
    seed: Option<u64>,
    /// Workload: interval or market.
    #[arg(long)]
    workload: Option<WorkloadKind>,
    /// Neighbours per node.
    #[arg(long)]
    degree: Option<usize>,
    /// One-way message latency range in milliseconds, e.g. 5..50.
    #[arg(long, value_name = "A..B", value_parser = parse_latency)]
    latency_ms: Option<[f64; 2]>,
    /// Probability that a message is lost.
    #[arg(long)]
    loss: Option<f64>,
    /// Settle period in milliseconds: exact delivery is owed only this long after a change.
    #[arg(long)]
    settle_ms: Option<u64>,
    /// Subscriptions expire this many seconds after they are made.
    #[arg(long)]
    ttl_s: Option<f64>,
    /// Brokers of centralized (the broker and its standbys), hierarchical (the workers) and
    /// flat [default: 1, 8, 8].
    #[arg(long)]
    brokers: Option<usize>,
    /// Hierarchical's master and its standbys [default: 1].
    #[arg(long)]
    masters: Option<usize>,
    /// The dht's rendezvous nodes per key: subscriptions join each, events visit one, which
    /// spreads a popular key's events over that many nodes [default: 1].
    #[arg(long)]
    replicas: Option<u8>,
    #[command(flatten)]
    gossip: GossipSettings,
    /// Whom the gossip protocols draw peers from: views (the membership's, as deployed) or
    /// all (every node, as the classic analyses assume).
    #[arg(long)]
    peers: Option<PeerChoice>,
}

fn parse_latency(text: &str) -> Result<[f64; 2], String> {
    let parse = |part: &str| {
        f64::from_str(part.trim()).map_err(|_| format!("`{part}` is not a number of milliseconds"))
    };
    match text.split_once("..") {
        Some((low, high)) => Ok([parse(low)?, parse(high)?]),
        None => parse(text).map(|ms| [ms, ms]),
    }
}

impl ScenarioArgs {
    /// Sets the keys the flags name; the others keep the scenario's values.
    pub fn apply_to(&self, scenario: &mut Scenario) {
        macro_rules! override_with {
            ($($field:ident),*) => {
                $(if let Some(value) = self.$field { scenario.$field = value; })*
            };
        }
        override_with!(
            nodes, subs, events, seed, workload, degree, latency_ms, loss, settle_ms, peers,
            masters, replicas
        );
        if self.ttl_s.is_some() {
            scenario.ttl_s = self.ttl_s;
        }
        if self.brokers.is_some() {
            scenario.brokers = self.brokers;
        }
        self.gossip.apply_to_scenario(scenario);
    }
}
