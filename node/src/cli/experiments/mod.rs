//! `sift experiments`: the gossip protocols against what their authors published, as
//! docs/experiments.md with a table and an SVG chart per experiment. Every run is a simulator
//! scenario with a recorded seed, so the whole document comes out the same each time.

mod dissemination;
mod plot;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use clap::Args;
use sift_scenarios::{Scenario, Summary, run};

use super::progress_bar;

#[derive(Debug, Args)]
pub struct ExperimentsArgs {
    /// Directory to write experiments.md and the charts (in experiments/) into.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
    /// Smaller overlays and fewer events, for a look in a minute rather than the published
    /// figures.
    #[arg(long)]
    quick: bool,
}

/// A run's summary and, if asked, its deliveries' latencies in microseconds.
type TracedRun = (Summary, Vec<u64>);

/// One experiment's part of the document.
struct Section {
    title: String,
    /// Markdown: what was run, the table, the chart, what it shows.
    body: String,
}

/// What the experiments share: where charts go, how big the runs are, and the runner.
struct Lab {
    charts: PathBuf,
    quick: bool,
}

impl Lab {
    /// `full` normally, `quick` with `--quick`.
    fn size<T>(&self, full: T, quick: T) -> T {
        if self.quick { quick } else { full }
    }

    /// Plays `scenarios` on every core, in order of the results.
    fn run(&self, what: &'static str, scenarios: &[Scenario]) -> Result<Vec<Summary>> {
        self.run_traced(what, scenarios, false)
            .map(|runs| runs.into_iter().map(|(summary, _)| summary).collect())
    }

    /// Plays `scenarios` and, with `latencies`, collects every delivery's latency in
    /// microseconds from the trace.
    fn run_traced(
        &self,
        what: &'static str,
        scenarios: &[Scenario],
        latencies: bool,
    ) -> Result<Vec<TracedRun>> {
        let bar = progress_bar(scenarios.len() as u64, what);
        let next = Mutex::new(0usize);
        let results: Mutex<Vec<Option<Result<TracedRun>>>> =
            Mutex::new((0..scenarios.len()).map(|_| None).collect());
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::thread::scope(|scope| {
            for _ in 0..workers.min(scenarios.len()) {
                scope.spawn(|| {
                    loop {
                        let i = {
                            let mut next = next.lock().expect("no worker panics");
                            let i = *next;
                            *next += 1;
                            i
                        };
                        let Some(scenario) = scenarios.get(i) else {
                            break;
                        };
                        let outcome = play(scenario, latencies);
                        results.lock().expect("no worker panics")[i] = Some(outcome);
                        bar.inc(1);
                    }
                });
            }
        });
        bar.finish_and_clear();
        results
            .into_inner()
            .expect("no worker panics")
            .into_iter()
            .map(|r| r.expect("every scenario ran"))
            .collect()
    }
}

/// Plays one scenario, reading the deliveries' latencies back from its trace if asked.
fn play(scenario: &Scenario, latencies: bool) -> Result<TracedRun> {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let trace = latencies.then(|| Box::new(SharedBuffer(Arc::clone(&buffer))) as _);
    let summary = run(scenario, trace, &mut |_, _| {})
        .with_context(|| format!("running {} on {} nodes", scenario.strategy, scenario.nodes))?;
    let text = std::mem::take(&mut *buffer.lock().expect("the run is over"));
    let latencies = text
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
        .filter(|record| record["kind"] == "deliver")
        .filter_map(|record| record["latency_us"].as_u64())
        .collect();
    Ok((summary, latencies))
}

struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("trace buffer poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ExperimentsArgs {
    pub fn run(self) -> Result<()> {
        let charts = self.out.join("experiments");
        std::fs::create_dir_all(&charts)
            .with_context(|| format!("cannot create {}", charts.display()))?;
        let lab = Lab {
            charts,
            quick: self.quick,
        };
        let sections = [
            dissemination::rumor(&lab)?,
            dissemination::anti_entropy(&lab)?,
            dissemination::blind_counter(&lab)?,
            dissemination::pbcast(&lab)?,
            dissemination::plumtree(&lab)?,
        ];
        let mut document = String::from(
            "# Experiments: gossip dissemination against the published results\n\n\
             Generated by `sift experiments` (the figures, tables and charts below; every run \
             is a simulator scenario whose seed is given, so the command writes this page \
             again byte for byte). The protocols are described in \
             [strategies.md](strategies.md), the summary's figures in \
             [simulator.md](simulator.md).\n",
        );
        if self.quick {
            document.push_str(
                "\nThis copy was made with `--quick`: smaller overlays and fewer events than \
                 the published figures.\n",
            );
        }
        for section in &sections {
            write!(document, "\n## {}\n\n{}", section.title, section.body)?;
        }
        let path = self.out.join("experiments.md");
        std::fs::write(&path, document)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!(
            "wrote {} and its charts in {}",
            path.display(),
            lab.charts.display()
        );
        Ok(())
    }
}
