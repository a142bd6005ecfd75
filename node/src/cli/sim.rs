//! `sift sim`: play a scenario in the simulator and report its summary.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use sift_core::StrategyKind;
use sift_scenarios::{Scenario, Summary, run};

use super::scenario_args::ScenarioArgs;
use super::{cores, progress_bar};

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Scenario file (TOML); the flags below override its keys.
    scenario: Option<PathBuf>,
    /// Strategy to run: flood, selective, rumor, blind-counter, anti-entropy, pbcast,
    /// plumtree, centralized, hierarchical, flat or dht.
    #[arg(long)]
    strategy: Option<StrategyKind>,
    #[command(flatten)]
    shape: ScenarioArgs,
    /// Write the trace (JSON Lines) to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Threads stepping the nodes (default: one per core). The run is the same, byte for
    /// byte, on any number.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
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
        if let Some(strategy) = self.strategy {
            scenario.strategy = strategy;
        }
        self.shape.apply_to(&mut scenario);
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
        let threads = self.threads.map_or_else(cores, usize::from);
        let summary = run(&scenario, threads, trace, &mut |now: u64, end: u64| {
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
