//! Subcommands of `sift`, one module each.

mod bench;
mod match_cmd;
mod sim;

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
    /// Check one event against one filter (exit 0 match, 1 no match, 2 error).
    Match(match_cmd::MatchArgs),
    /// Measure sift's components.
    Bench(bench::BenchArgs),
    /// Run a strategy on a simulated overlay and check every delivery (exit 1 when the
    /// strategy broke its promise, 2 on a bad scenario).
    Sim(sim::SimArgs),
}

impl Cli {
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Match(args) => args.run(),
            Command::Bench(args) => report(args.run()),
            Command::Sim(args) => args.run(),
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
