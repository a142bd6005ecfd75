//! The ground truth of a run and the check of its deliveries against it.
//!
//! Correct, per spec/trace-format.md: a subscription installed at least a settle period before
//! an event was published, and still active a settle period after, gets the event exactly once
//! if its filter matches and never if not. Near a subscribe or an expiry either outcome is
//! allowed, but never twice.

use foldhash::HashMap;

use sift_core::Micros;
use sift_matcher::{Event, Filter, MatchBuffers, SubscriptionIndex};

#[derive(Debug)]
struct SubTruth {
    node: u32,
    filter: Filter,
    installed: Micros,
    /// When it stops being active (its expiry), if ever.
    ends: Option<Micros>,
}

impl SubTruth {
    fn active_at(&self, t: Micros) -> bool {
        self.installed <= t && self.ends.is_none_or(|end| t < end)
    }

    /// Whether exact delivery of an event published at `t` is owed.
    fn settled_around(&self, t: Micros, settle: Micros) -> bool {
        self.installed + settle <= t && self.ends.is_none_or(|end| t + settle <= end)
    }

    /// Whether delivering an event published at `t` can be right: the subscription was active
    /// then, or was about to be or had just stopped being.
    fn may_receive_at(&self, t: Micros, settle: Micros) -> bool {
        self.installed <= t + settle && self.ends.is_none_or(|end| t < end + settle)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) expected: u64,
    pub(crate) owed: u64,
    pub(crate) deliveries: u64,
    pub(crate) missing: u64,
    pub(crate) duplicates: u64,
    pub(crate) spurious: u64,
    /// Owed and missing among the events published once the faults were over.
    pub(crate) owed_after_faults: u64,
    pub(crate) missing_after_faults: u64,
}

#[derive(Debug)]
pub(crate) struct Checker {
    settle: Micros,
    subs: HashMap<u32, SubTruth>,
    index: SubscriptionIndex<u32>,
    buffers: MatchBuffers,
    /// Per event: its publication time, and the matching subscriptions active then. Which of
    /// them are owed exact delivery is decided at the end, when every crash is known.
    events: HashMap<u32, (Micros, Event, Vec<u32>)>,
    /// Deliveries per (event, subscription).
    delivered: HashMap<(u32, u32), u32>,
    tally: Tally,
    pub(crate) latencies: Vec<Micros>,
}

impl Checker {
    pub(crate) fn new(settle: Micros) -> Self {
        Checker {
            settle,
            subs: HashMap::default(),
            index: SubscriptionIndex::new(),
            buffers: MatchBuffers::default(),
            events: HashMap::default(),
            delivered: HashMap::default(),
            tally: Tally::default(),
            latencies: Vec::new(),
        }
    }

    pub(crate) fn subscribe(
        &mut self,
        sub: u32,
        node: u32,
        filter: &Filter,
        at: Micros,
        ends: Option<Micros>,
    ) {
        self.index.insert(sub, filter);
        self.subs.insert(
            sub,
            SubTruth {
                node,
                filter: filter.clone(),
                installed: at,
                ends,
            },
        );
    }

    /// Records the ground truth for an event published at `at`: every subscription active
    /// then whose filter matches.
    pub(crate) fn publish(&mut self, event_id: u32, event: &Event, at: Micros) {
        let mut active: Vec<u32> = self
            .index
            .matches_with(event, &mut self.buffers)
            .copied()
            .filter(|sub| self.subs[sub].active_at(at))
            .collect();
        active.sort_unstable();
        self.tally.expected += active.len() as u64;
        self.events.insert(event_id, (at, event.clone(), active));
    }

    /// The client cancelled `sub` at `at`.
    pub(crate) fn unsubscribe(&mut self, sub: u32, at: Micros) {
        if let Some(truth) = self.subs.get_mut(&sub) {
            truth.ends = Some(truth.ends.map_or(at, |end| end.min(at)));
        }
    }

    /// `node` crashed at `at`: its clients' subscriptions end then.
    pub(crate) fn crash(&mut self, node: u32, at: Micros) {
        for truth in self.subs.values_mut().filter(|t| t.node == node) {
            truth.ends = Some(truth.ends.map_or(at, |end| end.min(at)));
        }
    }

    /// Whether `sub` ended at or before `t` (or was never made).
    pub(crate) fn ended_by(&self, sub: u32, t: Micros) -> bool {
        self.subs
            .get(&sub)
            .is_none_or(|truth| truth.ends.is_some_and(|end| end <= t))
    }

    pub(crate) fn deliver(&mut self, event_id: u32, sub: u32, latency: Micros) {
        self.tally.deliveries += 1;
        self.latencies.push(latency);
        let count = self.delivered.entry((event_id, sub)).or_insert(0);
        *count += 1;
        if *count > 1 {
            self.tally.duplicates += 1;
            return;
        }
        let right = match (self.events.get(&event_id), self.subs.get(&sub)) {
            (Some((at, event, _)), Some(truth)) => {
                truth.filter.matches(event) && truth.may_receive_at(*at, self.settle)
            }
            _ => false,
        };
        if !right {
            self.tally.spurious += 1;
        }
    }

    /// The totals, counting as missing every owed delivery that did not happen; events
    /// published from `recovered_from` on are also counted apart. Called once, when the run
    /// is over: it hands over the totals and the latencies.
    pub(crate) fn finish(&mut self, recovered_from: Micros) -> (Tally, Vec<Micros>) {
        for (&event, (at, _, active)) in &self.events {
            for sub in active {
                if !self.subs[sub].settled_around(*at, self.settle) {
                    continue;
                }
                let missing = !self.delivered.contains_key(&(event, *sub));
                self.tally.owed += 1;
                self.tally.missing += u64::from(missing);
                if *at >= recovered_from {
                    self.tally.owed_after_faults += 1;
                    self.tally.missing_after_faults += u64::from(missing);
                }
            }
        }
        (
            std::mem::take(&mut self.tally),
            std::mem::take(&mut self.latencies),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sift_matcher::EventLimits;

    fn event(json: &str) -> Event {
        Event::from_json(json, &EventLimits::default()).unwrap()
    }

    #[test]
    fn owed_missing_duplicate_and_spurious_deliveries_are_told_apart() {
        let mut checker = Checker::new(100);
        let f = |text: &str| Filter::parse(text).unwrap();
        checker.subscribe(1, 0, &f("x > 0"), 0, None);
        checker.subscribe(2, 0, &f("x > 0"), 950, None); // within a settle period of event 0
        checker.subscribe(3, 0, &f("x < 0"), 0, None);
        checker.subscribe(4, 0, &f("x > 0"), 0, Some(500)); // expired before event 0
        checker.publish(0, &event(r#"{"x": 1}"#), 1_000);
        checker.publish(1, &event(r#"{"x": 2}"#), 2_000);
        checker.deliver(0, 1, 10);
        checker.deliver(0, 1, 12); // duplicate
        checker.deliver(0, 2, 10); // allowed either way
        checker.deliver(0, 3, 10); // filter does not match
        checker.deliver(0, 4, 10); // long expired
        checker.deliver(1, 2, 10);
        let (tally, latencies) = checker.finish(1_500);
        assert_eq!(tally.expected, 2 + 2);
        assert_eq!(tally.owed, 1 + 2);
        assert_eq!(tally.deliveries, 6);
        assert_eq!(tally.duplicates, 1);
        assert_eq!(tally.spurious, 2);
        // Event 1 owed to subscription 1, which never got it.
        assert_eq!(tally.missing, 1);
        assert_eq!(latencies.len(), 6);
        assert_eq!(
            (tally.owed_after_faults, tally.missing_after_faults),
            (2, 1)
        );
    }
}
