//! Subcommands of `sift`, one module each.

mod bench;
mod match_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

impl Cli {
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Match(args) => args.run(),
            Command::Bench(args) => report(args.run()),
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
