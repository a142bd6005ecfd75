//! The summary of a run: the last record of its trace and the output of `sift sim`.

use std::fmt;

use serde::Serialize;
use sift_core::Micros;

use crate::spread::Spread;

/// Totals of one run, with the keys spec/trace-format.md names and the strategy's extras.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub strategy: String,
    pub seed: u64,
    pub nodes: usize,
    pub subscriptions: usize,
    pub events: usize,
    /// Matching subscriptions active at each publication, summed over the events.
    pub expected_deliveries: u64,
    /// Of those, the ones owed exactly (settled on both sides of the publication).
    pub owed_deliveries: u64,
    pub deliveries: u64,
    pub missing: u64,
    pub duplicates: u64,
    pub spurious: u64,
    /// Owed deliveries that happened, as a fraction of those owed (1 when none were owed).
    pub delivered_fraction: f64,
    /// Of the owed deliveries, those of events published after the faults were over (the
    /// scenario's recovery time after the last one), and how many of them were missed.
    pub owed_after_faults: u64,
    pub missing_after_faults: u64,
    /// Routing entries left at the end for subscriptions that ended more than a lease and a
    /// settle period before it: state that should have aged out.
    pub stale_routing_entries: u64,
    /// Messages sent between peers, all kinds.
    pub messages: u64,
    /// Their encoded size in bytes.
    pub bytes: u64,
    /// Messages of all kinds per published event.
    pub messages_per_event: f64,
    /// Messages that carried an event, per published event.
    pub event_messages_per_event: f64,
    /// Messages lost by the network model.
    pub lost_messages: u64,
    /// Messages the network model delivered twice.
    pub duplicated_messages: u64,
    pub latency_us: Latency,
    /// Messages handled (received) per node.
    pub node_load: Load,
    /// Messages carrying an event that a node sent or received, per node: the event traffic
    /// through it, without the control traffic.
    pub event_load: Load,
    /// Filter evaluations, all nodes: for each table of filters an event was matched against,
    /// the filters it held.
    pub matching_ops: u64,
    /// Filter evaluations per node.
    pub filter_load: Load,
    /// Routing entries per node at the end of the run.
    pub routing_entries: Load,
    /// Neighbours per node at the end of the run.
    pub degree: Load,
    /// Connected parts of the overlay at the end of the run (links taken both ways); 1 when
    /// every running node can reach every other.
    pub overlay_components: usize,
    /// Virtual time the run covered, in seconds.
    pub virtual_seconds: f64,
    /// How far events spread and at what cost: coverage, residue, messages per node,
    /// rounds, RMR, LDH.
    #[serde(flatten)]
    pub spread: Spread,
    /// The same figures over the events published after the faults were over (see
    /// `owed_after_faults`); absent without faults.
    pub spread_after_faults: Option<Spread>,
    /// Hops of the events' walks to their rendezvous nodes (`dht`); absent for strategies
    /// without rendezvous.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hops: Option<Hops>,
    /// Walks that ended at each node that was a rendezvous for some event (`dht`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendezvous_load: Option<Load>,
}

/// The spread of a hop count over a run's samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Hops {
    pub mean: f64,
    pub p50: u16,
    pub p99: u16,
    pub max: u16,
}

impl Hops {
    /// The mean and percentiles of `samples`, sorted; `None` without samples.
    pub fn of(samples: &[u16]) -> Option<Hops> {
        let last = *samples.last()?;
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        let total: u64 = samples.iter().map(|&h| u64::from(h)).sum();
        Some(Hops {
            mean: total as f64 / samples.len() as f64,
            p50: at(0.5),
            p99: at(0.99),
            max: last,
        })
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    pub p50: Micros,
    pub p99: Micros,
    pub max: Micros,
}

impl Latency {
    /// The percentiles of `samples`, sorted.
    pub fn of(samples: &[Micros]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Latency {
            p50: at(0.5),
            p99: at(0.99),
            max: *samples.last().expect("not empty"),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Load {
    pub mean: f64,
    pub max: u64,
}

impl Load {
    pub fn of(values: impl Iterator<Item = u64>) -> Load {
        let (count, total, max) = values.fold((0u64, 0u64, 0u64), |(n, sum, max), v| {
            (n + 1, sum + v, max.max(v))
        });
        Load {
            mean: if count == 0 {
                0.0
            } else {
                total as f64 / count as f64
            },
            max,
        }
    }
}

impl Summary {
    /// Whether every owed delivery happened exactly once and nothing was delivered wrongly.
    pub fn is_exact(&self) -> bool {
        self.missing == 0 && self.duplicates == 0 && self.spurious == 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<(&str, String)> = vec![
            (
                "strategy",
                format!("{} (seed {})", self.strategy, self.seed),
            ),
            ("nodes", self.nodes.to_string()),
            ("subscriptions", self.subscriptions.to_string()),
            ("events", self.events.to_string()),
            (
                "deliveries",
                format!(
                    "{} (expected {}, owed exactly {})",
                    self.deliveries, self.expected_deliveries, self.owed_deliveries
                ),
            ),
            ("missing", self.missing.to_string()),
            ("duplicates", self.duplicates.to_string()),
            ("spurious", self.spurious.to_string()),
            (
                "delivered",
                format!("{:.4} of owed", self.delivered_fraction),
            ),
            (
                "after faults",
                format!(
                    "{} missing of {} owed",
                    self.missing_after_faults, self.owed_after_faults
                ),
            ),
            (
                "stale routing",
                format!("{} entries", self.stale_routing_entries),
            ),
            (
                "messages",
                format!(
                    "{} ({} lost, {} duplicated), {} bytes",
                    self.messages, self.lost_messages, self.duplicated_messages, self.bytes
                ),
            ),
            (
                "per event",
                format!(
                    "{:.1} messages, {:.1} carrying the event",
                    self.messages_per_event, self.event_messages_per_event
                ),
            ),
            (
                "latency",
                format!(
                    "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    self.latency_us.p50 as f64 / 1e3,
                    self.latency_us.p99 as f64 / 1e3,
                    self.latency_us.max as f64 / 1e3
                ),
            ),
            (
                "node load",
                format!(
                    "mean {:.1}, max {} messages; carrying events: mean {:.1}, max {}",
                    self.node_load.mean,
                    self.node_load.max,
                    self.event_load.mean,
                    self.event_load.max
                ),
            ),
            (
                "filter evals",
                format!(
                    "{} (per node mean {:.1}, max {})",
                    self.matching_ops, self.filter_load.mean, self.filter_load.max
                ),
            ),
            (
                "routing state",
                format!(
                    "mean {:.1}, max {} entries per node",
                    self.routing_entries.mean, self.routing_entries.max
                ),
            ),
            (
                "overlay",
                format!(
                    "{} connected part(s), degree mean {:.1}, max {}",
                    self.overlay_components, self.degree.mean, self.degree.max
                ),
            ),
            (
                "coverage",
                format!(
                    "{:.4} of the nodes per event (residue {:.4}), {:.2} copies per node",
                    self.spread.coverage, self.spread.residue, self.spread.messages_per_node
                ),
            ),
            (
                "spread",
                format!(
                    "rmr {:.3}, last delivery hop {:.1}, last node reached after {:.0} ms{}",
                    self.spread.rmr,
                    self.spread.ldh,
                    self.spread.last_reach_ms,
                    self.spread
                        .rounds
                        .map(|r| format!(", {r:.1} rounds"))
                        .unwrap_or_default()
                ),
            ),
        ];
        let mut rows = rows;
        if let Some(hops) = self.hops {
            rows.push((
                "rendezvous hops",
                format!(
                    "mean {:.2}, p50 {}, p99 {}, max {}",
                    hops.mean, hops.p50, hops.p99, hops.max
                ),
            ));
        }
        if let Some(load) = self.rendezvous_load {
            rows.push((
                "rendezvous load",
                format!(
                    "mean {:.1}, max {} walks ended per rendezvous node",
                    load.mean, load.max
                ),
            ));
        }
        rows.extend([
            ("virtual time", format!("{:.1} s", self.virtual_seconds)),
            (
                "verdict",
                if self.is_exact() {
                    "exact".to_string()
                } else {
                    "NOT exact".to_string()
                },
            ),
        ]);
        for (name, value) in rows {
            writeln!(f, "{name:<16}{value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_loads() {
        let samples: Vec<Micros> = (1..=100).collect();
        let latency = Latency::of(&samples);
        assert_eq!((latency.p50, latency.p99, latency.max), (51, 99, 100));
        assert_eq!(Latency::of(&[]), Latency::default());
        let load = Load::of([2, 4, 9].into_iter());
        assert_eq!((load.mean, load.max), (5.0, 9));
        let hops = Hops::of(&[1, 2, 2, 3]).unwrap();
        assert_eq!((hops.mean, hops.p50, hops.max), (2.0, 2, 3));
        assert_eq!(Hops::of(&[]), None);
    }
}
