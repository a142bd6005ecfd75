//! `sift sim`: play a scenario in the simulator and report its summary.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{Context, Result};
use clap::Args;
use sift_core::StrategyKind;
use sift_node::GossipSettings;
use sift_scenarios::{PeerChoice, Scenario, Summary, WorkloadKind, run};

use super::progress_bar;

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Scenario file (TOML); the flags below override its keys.
    scenario: Option<PathBuf>,
    /// Strategy to run: flood, selective, rumor, blind-counter, anti-entropy, pbcast or
    /// plumtree.
    #[arg(long)]
    strategy: Option<StrategyKind>,
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
    #[command(flatten)]
    gossip: GossipSettings,
    /// Whom the gossip protocols draw peers from: views (the membership's, as deployed) or
    /// all (every node, as the classic analyses assume).
    #[arg(long)]
    peers: Option<PeerChoice>,
    /// Write the trace (JSON Lines) to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
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

impl SimArgs {
    pub fn run(self) -> ExitCode {
        match self.play() {
            Ok((summary, promised)) => {
                if promised && !summary.is_exact() {
                    eprintln!(
                        "sift: {} promised exact delivery here and broke it: {} missing, {} spurious, {} duplicates",
                        summary.strategy, summary.missing, summary.spurious, summary.duplicates
                    );
                    return ExitCode::from(1);
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("sift: {error:#}");
                ExitCode::from(2)
            }
        }
    }

    fn scenario(&self) -> Result<Scenario> {
        let mut scenario = match &self.scenario {
            Some(path) => Scenario::from_file(path)?,
            None => Scenario::default(),
        };
        macro_rules! override_with {
            ($($field:ident),*) => {
                $(if let Some(value) = self.$field { scenario.$field = value; })*
            };
        }
        override_with!(
            strategy, nodes, subs, events, seed, workload, degree, latency_ms, loss, settle_ms,
            peers
        );
        if self.ttl_s.is_some() {
            scenario.ttl_s = self.ttl_s;
        }
        self.gossip.apply_to_scenario(&mut scenario);
        scenario.validate()?;
        Ok(scenario)
    }

    fn play(&self) -> Result<(Summary, bool)> {
        let scenario = self.scenario()?;
        let trace = match &self.trace {
            Some(path) => {
                let file = File::create(path)
                    .with_context(|| format!("cannot create trace file {}", path.display()))?;
                Some(Box::new(BufWriter::new(file)) as Box<dyn std::io::Write + Send>)
            }
            None => None,
        };
        let bar = progress_bar(1_000, "simulating");
        let summary = run(&scenario, trace, &mut |now: u64, end: u64| {
            bar.set_position(now.saturating_mul(1_000) / end.max(1));
        })?;
        bar.finish_and_clear();
        if self.json {
            println!("{}", serde_json::to_string(&summary)?);
        } else {
            print!("{summary}");
        }
        Ok((summary, scenario.promises_exact_delivery()))
    }
}
