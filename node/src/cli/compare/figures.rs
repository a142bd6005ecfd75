//! What a comparison reports of one strategy's run, simulated or real, and how it prints.

use serde::Serialize;
use sift_core::StrategyKind;
use sift_scenarios::{Details, Latency, Load, Summary};

use crate::cli::table;

/// Where a run took place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Venue {
    /// The deterministic simulator.
    Simulated,
    /// `sift node` processes on loopback.
    Real,
}

/// One strategy's figures at one point of the sweep.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Figures {
    pub(super) strategy: StrategyKind,
    pub(super) venue: Venue,
    /// The swept key's value, if the comparison sweeps.
    pub(super) point: Option<f64>,
    pub(super) nodes: usize,
    pub(super) events: usize,
    /// Messages of every kind per published event.
    pub(super) messages_per_event: f64,
    /// Bytes of those messages per published event.
    pub(super) bytes_per_event: f64,
    /// Messages that carried the event, per published event.
    pub(super) event_messages_per_event: f64,
    pub(super) latency_us: Latency,
    /// Messages handled per node.
    pub(super) node_load: Load,
    /// Messages carrying an event sent or received per node.
    pub(super) event_load: Load,
    /// Filter evaluations per node.
    pub(super) filter_load: Load,
    /// Routing entries per node at the end.
    pub(super) routing_entries: Load,
    pub(super) owed: u64,
    pub(super) missing: u64,
    pub(super) spurious: u64,
    pub(super) duplicates: u64,
    /// The simulator's whole summary; absent for a real run.
    pub(super) summary: Option<Summary>,
    #[serde(skip)]
    pub(super) distributions: Details,
}

impl Figures {
    pub(super) fn simulated(point: Option<f64>, summary: Summary, details: Details) -> Figures {
        let events = summary.events.max(1) as f64;
        Figures {
            strategy: summary
                .strategy
                .parse()
                .expect("a summary names a known strategy"),
            venue: Venue::Simulated,
            point,
            nodes: summary.nodes,
            events: summary.events,
            messages_per_event: summary.messages_per_event,
            bytes_per_event: summary.bytes as f64 / events,
            event_messages_per_event: summary.event_messages_per_event,
            latency_us: summary.latency_us,
            node_load: summary.node_load,
            event_load: summary.event_load,
            filter_load: summary.filter_load,
            routing_entries: summary.routing_entries,
            owed: summary.owed_deliveries,
            missing: summary.missing,
            spurious: summary.spurious,
            duplicates: summary.duplicates,
            summary: Some(summary),
            distributions: details,
        }
    }
}

const HEADER: [&str; 17] = [
    "strategy",
    "msgs/event",
    "event msgs/event",
    "bytes/event",
    "p50 ms",
    "p99 ms",
    "load mean",
    "load max",
    "ev load mean",
    "ev load max",
    "filters mean",
    "filters max",
    "routing mean",
    "routing max",
    "missing",
    "spurious",
    "dups",
];

fn row(figures: &Figures) -> Vec<String> {
    let venue = match figures.venue {
        Venue::Simulated => "",
        Venue::Real => " (real)",
    };
    vec![
        format!("{}{venue}", figures.strategy),
        format!("{:.1}", figures.messages_per_event),
        format!("{:.1}", figures.event_messages_per_event),
        format!("{:.0}", figures.bytes_per_event),
        format!("{:.1}", figures.latency_us.p50 as f64 / 1e3),
        format!("{:.1}", figures.latency_us.p99 as f64 / 1e3),
        format!("{:.0}", figures.node_load.mean),
        figures.node_load.max.to_string(),
        format!("{:.0}", figures.event_load.mean),
        figures.event_load.max.to_string(),
        format!("{:.0}", figures.filter_load.mean),
        figures.filter_load.max.to_string(),
        format!("{:.1}", figures.routing_entries.mean),
        figures.routing_entries.max.to_string(),
        figures.missing.to_string(),
        figures.spurious.to_string(),
        figures.duplicates.to_string(),
    ]
}

/// The comparison's table for a terminal.
pub(super) fn text_table(runs: &[&Figures]) -> String {
    let rows: Vec<Vec<String>> = runs.iter().map(|f| row(f)).collect();
    table::aligned(&HEADER, &rows)
}

/// The comparison's table in Markdown.
pub(super) fn markdown_table(runs: &[&Figures]) -> String {
    let rows: Vec<Vec<String>> = runs.iter().map(|f| row(f)).collect();
    table::markdown(&HEADER, &rows)
}
