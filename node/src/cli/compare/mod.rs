//! `sift compare`: every strategy on one workload, side by side, in the simulator and, if
//! asked, on real nodes; optionally across a sweep of one parameter, with a report.

mod figures;
mod real;
mod report;
mod sweep;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use sift_core::StrategyKind;
use sift_scenarios::Scenario;

use super::lab::run_all;
use super::scenario_args::ScenarioArgs;
use figures::{Figures, text_table};
use sweep::Sweep;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario file (TOML) for the workload and the network; the flags below override its
    /// keys, and its strategy is ignored.
    scenario: Option<PathBuf>,
    /// Strategies to compare, comma-separated [default: every one]
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    strategies: Vec<StrategyKind>,
    #[command(flatten)]
    shape: ScenarioArgs,
    /// Repeat the comparison for each value of one key: nodes, subs, events or loss, e.g.
    /// nodes=100,1000,10000
    #[arg(long, value_name = "KEY=V1,V2,...")]
    sweep: Option<Sweep>,
    /// Write report.md, results.json and SVG charts into DIR
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also run each strategy on N `sift node` processes on loopback, beside a simulated run
    /// of the same N-node scenario
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(2..=real::MAX_REAL_NODES as i64))]
    real: Option<u16>,
    /// Print the results as JSON instead of tables
    #[arg(long)]
    json: bool,
}

/// Everything one comparison produced.
struct Comparison {
    base: Scenario,
    strategies: Vec<StrategyKind>,
    sweep: Option<Sweep>,
    /// By point of the sweep, then by strategy.
    runs: Vec<Figures>,
    /// With `--real`: by strategy, the simulated run of the real runs' scenario, then the
    /// real run.
    real: Vec<Figures>,
}

impl Comparison {
    /// The points of the sweep, or the one point without one.
    fn points(&self) -> Vec<Option<f64>> {
        match &self.sweep {
            Some(sweep) => sweep.values.iter().map(|&v| Some(v)).collect(),
            None => vec![None],
        }
    }

    /// The runs at `point`, in the strategies' order.
    fn at(&self, point: Option<f64>) -> Vec<&Figures> {
        self.runs.iter().filter(|f| f.point == point).collect()
    }

    /// How a point is named in headings: `nodes = 1000`, or nothing without a sweep.
    fn point_name(&self, point: Option<f64>) -> Option<String> {
        let sweep = self.sweep.as_ref()?;
        Some(format!(
            "{} = {}",
            sweep.key.name(),
            sweep.key.show(point.expect("a sweep's point has a value"))
        ))
    }
}

/// For each strategy, a simulated and a real run of the `nodes`-node scenario.
fn real_runs(base: &Scenario, strategies: &[StrategyKind], nodes: usize) -> Result<Vec<Figures>> {
    let scenarios = strategies
        .iter()
        .map(|&strategy| {
            let scenario = real::real_scenario(base, strategy, nodes);
            scenario
                .validate()
                .with_context(|| format!("{strategy} on {nodes} real nodes"))?;
            Ok(scenario)
        })
        .collect::<Result<Vec<Scenario>>>()?;
    let simulated = run_all("simulating the real runs", &scenarios)?;
    let mut runs = Vec::new();
    for (scenario, (summary, details)) in scenarios.iter().zip(simulated) {
        runs.push(Figures::simulated(None, summary, details));
        runs.push(
            real::run(scenario)
                .with_context(|| format!("{} on {nodes} real nodes", scenario.strategy))?,
        );
    }
    Ok(runs)
}

impl CompareArgs {
    pub fn run(self) -> Result<()> {
        let mut base = match &self.scenario {
            Some(path) => Scenario::from_file(path)?,
            None => Scenario::default(),
        };
        self.shape.apply_to(&mut base);
        let strategies = if self.strategies.is_empty() {
            StrategyKind::ALL.to_vec()
        } else {
            self.strategies.clone()
        };
        let mut seen = Vec::new();
        for strategy in &strategies {
            if seen.contains(strategy) {
                bail!("--strategies names {strategy} twice");
            }
            seen.push(*strategy);
        }
        let points: Vec<Option<f64>> = match &self.sweep {
            Some(sweep) => sweep.values.iter().map(|&v| Some(v)).collect(),
            None => vec![None],
        };
        let mut scenarios = Vec::new();
        for &point in &points {
            for &strategy in &strategies {
                let mut scenario = Scenario {
                    strategy,
                    ..base.clone()
                };
                if let (Some(sweep), Some(value)) = (&self.sweep, point) {
                    sweep.key.set(&mut scenario, value);
                }
                scenario.validate().with_context(|| match point {
                    Some(value) => format!(
                        "{strategy} at {}",
                        self.sweep.as_ref().expect("a point").key.show(value)
                    ),
                    None => strategy.to_string(),
                })?;
                scenarios.push((point, scenario));
            }
        }
        if let Some(nodes) = self.real {
            for &strategy in &strategies {
                real::check(&real::real_scenario(&base, strategy, usize::from(nodes)))?;
            }
        }
        let plain: Vec<Scenario> = scenarios.iter().map(|(_, s)| s.clone()).collect();
        let results = run_all("comparing", &plain)?;
        let runs = scenarios
            .iter()
            .zip(results)
            .map(|((point, _), (summary, details))| Figures::simulated(*point, summary, details))
            .collect();
        let real = match self.real {
            Some(nodes) => real_runs(&base, &strategies, usize::from(nodes))?,
            None => Vec::new(),
        };
        let comparison = Comparison {
            base,
            strategies,
            sweep: self.sweep.clone(),
            runs,
            real,
        };
        if self.json {
            println!("{}", report::results_json(&comparison)?);
        } else {
            for point in comparison.points() {
                if let Some(name) = comparison.point_name(point) {
                    println!("{name}");
                }
                print!("{}", text_table(&comparison.at(point)));
                println!();
            }
            if !comparison.real.is_empty() {
                println!(
                    "{} real nodes on loopback, beside the simulator",
                    comparison.real[0].nodes
                );
                print!(
                    "{}",
                    text_table(&comparison.real.iter().collect::<Vec<_>>())
                );
            }
        }
        if let Some(dir) = &self.out {
            report::write(&comparison, dir)?;
            eprintln!(
                "wrote report.md, results.json and the charts to {}",
                dir.display()
            );
        }
        Ok(())
    }
}
