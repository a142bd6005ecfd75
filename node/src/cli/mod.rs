//! Subcommands of `sift`, one module each.

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
    Match(match_cmd::MatchArgs),
}

impl Cli {
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Match(args) => args.run(),
        }
    }
}
