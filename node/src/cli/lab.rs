//! Running many simulator scenarios at once, one per core, for the commands that compare runs
//! (`sift compare`, `sift experiments`).

use std::sync::Mutex;

use anyhow::{Context, Result};
use sift_scenarios::{Details, Scenario, Summary, run_detailed};

use super::{cores, progress_bar};

/// A run's summary and the distributions behind it.
pub(super) type Run = (Summary, Details);

/// Plays `scenarios` on every core, with a progress bar labelled `what`; the results come in
/// the scenarios' order.
pub(super) fn run_all(what: &'static str, scenarios: &[Scenario]) -> Result<Vec<Run>> {
    let bar = progress_bar(scenarios.len() as u64, what);
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Result<Run>>>> =
        Mutex::new((0..scenarios.len()).map(|_| None).collect());
    let cores = cores();
    let runs_at_once = cores.min(scenarios.len()).max(1);
    // Cores left over when there are fewer runs than cores step each run's nodes.
    let threads_per_run = (cores / runs_at_once).max(1);
    std::thread::scope(|scope| {
        for _ in 0..runs_at_once {
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
                    let outcome = run_detailed(scenario, threads_per_run, None, &mut |_, _| {})
                        .with_context(|| {
                            format!("running {} on {} nodes", scenario.strategy, scenario.nodes)
                        });
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
