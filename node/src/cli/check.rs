//! `sift check`: merge the traces of a cluster's nodes and check every delivery.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use sift_scenarios::check_traces;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Trace files (JSON Lines), one per node, written with the same --trace-start
    #[arg(required = true, value_name = "TRACE")]
    traces: Vec<PathBuf>,
    /// Around a subscribe, unsubscribe or expiry, either outcome is allowed for this long
    #[arg(long, default_value_t = 2000)]
    settle_ms: u64,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

impl CheckArgs {
    /// Exit 0 when exact, 1 when a delivery was missing, doubled or spurious, 2 when a trace
    /// cannot be read.
    pub fn run(self) -> ExitCode {
        let mut readers: Vec<(String, Box<dyn BufRead>)> = Vec::new();
        for path in &self.traces {
            match File::open(path) {
                Ok(file) => {
                    readers.push((path.display().to_string(), Box::new(BufReader::new(file))))
                }
                Err(error) => {
                    eprintln!("sift: cannot read {}: {error}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
        let report = match check_traces(readers, self.settle_ms.saturating_mul(1_000)) {
            Ok(report) => report,
            Err(error) => {
                eprintln!("sift: {error}");
                return ExitCode::from(2);
            }
        };
        if self.json {
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
        } else {
            println!("nodes           {}", report.nodes);
            println!("subscriptions   {}", report.subscriptions);
            println!("events          {}", report.events);
            println!(
                "deliveries      {} (expected {}, owed exactly {})",
                report.deliveries, report.expected_deliveries, report.owed_deliveries
            );
            println!("missing         {}", report.missing);
            println!("duplicates      {}", report.duplicates);
            println!("spurious        {}", report.spurious);
            let l = &report.latency_us;
            println!(
                "latency         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                l.p50 as f64 / 1e3,
                l.p99 as f64 / 1e3,
                l.max as f64 / 1e3
            );
            println!(
                "verdict         {}",
                if report.is_exact() {
                    "exact"
                } else {
                    "NOT exact"
                }
            );
        }
        if report.is_exact() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
