//! Subcommands of `sift`, one module each.

mod bench;
mod bench_pubsub;
mod check;
mod client;
mod compare;
mod demo;
mod experiments;
mod lab;
mod match_cmd;
mod nats;
mod node_cmd;
mod plot;
mod scenario_args;
mod sim;
mod sse;
mod table;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

/// sift: content-based publish/subscribe over a peer-to-peer overlay.
#[derive(Debug, Parser)]
#[command(name = "sift", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a small overlay on loopback, subscribe, publish sample events, show deliveries.
    Demo(demo::DemoArgs),
    /// Run a node of the overlay (with no flags: a one-node overlay, API on 127.0.0.1:7700).
    Node(node_cmd::NodeArgs),
    /// Subscribe at a node and print each matching event as it arrives.
    Sub(client::SubArgs),
    /// Publish an event at a node.
    Pub(client::PubArgs),
    /// Cancel a subscription.
    Unsub(client::UnsubArgs),
    /// List a node's subscriptions.
    Subs(client::ShowArgs),
    /// List a node's peers.
    Peers(client::ShowArgs),
    /// Show a node's counters.
    Stats(client::ShowArgs),
    /// Check one event against one filter (exit 0 match, 1 no match, 2 error).
    Match(match_cmd::MatchArgs),
    /// Measure sift's components.
    Bench(bench::BenchArgs),
    /// Run a strategy on a simulated overlay and check every delivery (exit 1 when the
    /// strategy broke its promise, 2 on a bad scenario).
    Sim(sim::SimArgs),
    /// Run strategies side by side on one workload and report messages, latency, load and
    /// correctness, optionally across a sweep and with charts.
    Compare(compare::CompareArgs),
    /// Merge real nodes' traces and check every delivery (exit 1 when not exact).
    Check(check::CheckArgs),
    /// Reproduce the gossip protocols' published results as docs/experiments.md with charts.
    Experiments(experiments::ExperimentsArgs),
}

impl Cli {
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Check(args) => args.run(),
            Command::Compare(args) => report(args.run()),
            Command::Demo(args) => args.run(),
            Command::Node(args) => args.run(),
            Command::Sub(args) => client::run_client(args.run()),
            Command::Pub(args) => client::run_client(args.run()),
            Command::Unsub(args) => client::run_client(args.run()),
            Command::Subs(args) => client::run_client(args.run(client::Listing::Subscriptions)),
            Command::Peers(args) => client::run_client(args.run(client::Listing::Peers)),
            Command::Stats(args) => client::run_client(args.run(client::Listing::Stats)),
            Command::Match(args) => args.run(),
            Command::Bench(args) => report(args.run()),
            Command::Sim(args) => args.run(),
            Command::Experiments(args) => report(args.run()),
        }
    }
}

/// Prints an error with its chain of causes and turns it into exit status 1.
fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sift: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// A progress bar on stderr; indicatif hides it when stderr is not a terminal.
fn progress_bar(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len).with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// The cores the simulator may use: one thread each.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
