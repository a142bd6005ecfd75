//! How far and at what cost each event spread: the dissemination figures of a run.

use serde::Serialize;
use sift_core::Micros;

/// Bins of [`Spread::coverage_histogram`], each a twentieth of the nodes.
const HISTOGRAM_BINS: usize = 20;

/// The dissemination figures, over the events published in the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Mean fraction of the nodes running at its publication that each event reached.
    pub coverage: f64,
    /// `1 - coverage`.
    pub residue: f64,
    /// Copies of an event sent per running node, averaged over the events.
    pub messages_per_node: f64,
    /// Rounds from an event's publication to the last copy of it sent, averaged over the
    /// events: how long the protocol stayed busy with it. Only for round-based strategies.
    pub rounds: Option<f64>,
    /// Relative message redundancy, `m / (n - 1) - 1` for an event sent `m` times that
    /// reached `n` nodes, averaged over the events that reached more than their publisher:
    /// 0 when every copy reached a new node.
    pub rmr: f64,
    /// Hops from the publisher to the last node reached, averaged over the events.
    pub ldh: f64,
    /// Time from the publication to the last node reached, in milliseconds, averaged over
    /// the events.
    pub last_reach_ms: f64,
    /// Events by the fraction of nodes they reached: bin `i` counts those that reached
    /// `[i/20, (i+1)/20)` of them, the last bin up to and including all.
    pub coverage_histogram: Vec<u64>,
}

#[derive(Clone, Copy, Debug, Default)]
struct EventSpread {
    published_at: Micros,
    /// Nodes running when the event was published.
    alive: u32,
    reached: u32,
    max_hops: u16,
    last_reach_at: Micros,
    copies: u64,
    last_copy_at: Micros,
}

/// Tallies, per event, the nodes reached and the copies sent.
#[derive(Debug)]
pub(crate) struct SpreadTracker {
    events: Vec<Option<EventSpread>>,
    round: Option<Micros>,
}

impl SpreadTracker {
    /// For `events` events; `round` is the strategy's round length if it works in rounds.
    pub(crate) fn new(events: usize, round: Option<Micros>) -> Self {
        SpreadTracker {
            events: vec![None; events],
            round,
        }
    }

    pub(crate) fn publish(&mut self, event: u64, at: Micros, alive: usize) {
        if let Some(slot) = self.events.get_mut(event as usize) {
            *slot = Some(EventSpread {
                published_at: at,
                alive: alive as u32,
                last_copy_at: at,
                last_reach_at: at,
                ..EventSpread::default()
            });
        }
    }

    /// A message carrying `event` was sent at `at`.
    pub(crate) fn copy(&mut self, event: u64, at: Micros) {
        if let Some(Some(spread)) = self.events.get_mut(event as usize) {
            spread.copies += 1;
            spread.last_copy_at = at;
        }
    }

    /// A node took in `event` for the first time at `at`, `hops` hops from its publisher.
    pub(crate) fn reach(&mut self, event: u64, hops: u16, at: Micros) {
        if let Some(Some(spread)) = self.events.get_mut(event as usize) {
            spread.reached += 1;
            spread.max_hops = spread.max_hops.max(hops);
            spread.last_reach_at = at;
        }
    }

    /// The figures over the events published at `from` or later.
    pub(crate) fn summarize(&self, from: Micros) -> Spread {
        let published: Vec<&EventSpread> = self
            .events
            .iter()
            .flatten()
            .filter(|e| e.published_at >= from)
            .collect();
        let mut histogram = vec![0u64; HISTOGRAM_BINS];
        if published.is_empty() {
            return Spread {
                coverage: 1.0,
                coverage_histogram: histogram,
                ..Spread::default()
            };
        }
        let count = published.len() as f64;
        let mean =
            |f: &dyn Fn(&EventSpread) -> f64| published.iter().map(|e| f(e)).sum::<f64>() / count;
        let fraction = |e: &EventSpread| f64::from(e.reached) / f64::from(e.alive.max(1));
        for e in &published {
            let bin = (fraction(e) * HISTOGRAM_BINS as f64) as usize;
            histogram[bin.min(HISTOGRAM_BINS - 1)] += 1;
        }
        let coverage = mean(&fraction);
        let spreading: Vec<f64> = published
            .iter()
            .filter(|e| e.reached > 1)
            .map(|e| e.copies as f64 / f64::from(e.reached - 1) - 1.0)
            .collect();
        Spread {
            coverage,
            residue: 1.0 - coverage,
            messages_per_node: mean(&|e| e.copies as f64 / f64::from(e.alive.max(1))),
            rounds: self
                .round
                .map(|round| mean(&|e| (e.last_copy_at - e.published_at).div_ceil(round) as f64)),
            rmr: if spreading.is_empty() {
                0.0
            } else {
                spreading.iter().sum::<f64>() / spreading.len() as f64
            },
            ldh: mean(&|e| f64::from(e.max_hops)),
            last_reach_ms: mean(&|e| (e.last_reach_at - e.published_at) as f64 / 1e3),
            coverage_histogram: histogram,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_of_two_events() {
        let mut tracker = SpreadTracker::new(3, Some(100));
        tracker.publish(0, 1_000, 4);
        tracker.publish(1, 2_000, 4);
        for (hops, at) in [(0, 1_000), (1, 1_050), (1, 1_060), (2, 1_250)] {
            tracker.reach(0, hops, at);
            tracker.copy(0, at);
        }
        tracker.reach(1, 0, 2_000);
        let spread = tracker.summarize(0);
        assert_eq!(spread.last_reach_ms, (0.25 + 0.0) / 2.0);
        assert_eq!(spread.coverage, (1.0 + 0.25) / 2.0);
        assert_eq!(spread.residue, 1.0 - spread.coverage);
        // Four copies for three new nodes: one too many.
        assert_eq!(spread.rmr, 4.0 / 3.0 - 1.0);
        assert_eq!(spread.ldh, 1.0);
        assert_eq!(spread.messages_per_node, (1.0 + 0.0) / 2.0);
        // The last copy of event 0 went 250 µs after it was published: 3 rounds; event 1 none.
        assert_eq!(spread.rounds, Some(1.5));
        assert_eq!(spread.coverage_histogram[19], 1);
        assert_eq!(spread.coverage_histogram[5], 1);
        // Only the second event was published from 1,500 on.
        assert_eq!(tracker.summarize(1_500).coverage, 0.25);
        // An unknown event is ignored.
        tracker.reach(7, 1, 1);
        tracker.copy(7, 1);
    }
}
