//! The simulator's queue of inputs due at nodes.

use sift_core::{Input, Micros};

/// Inputs by due time, ties in the order they were scheduled.
///
/// A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990), which fits a discrete-event
/// simulation: nothing is ever scheduled before the last input taken out. Bucket 0 holds the
/// entries due at that time, `last`; bucket `b` (1 to 64) those whose due time first differs
/// from `last` at bit `b - 1`. When bucket 0 runs dry, the lowest non-empty bucket is spread
/// over the buckets below it, relative to its earliest time: each entry moves down at most 64
/// times in all, and every pass reads a vector front to back. A binary heap of the same
/// entries spent most of its time on cache misses, a large run's agenda holding hundreds of
/// thousands of messages in flight.
///
/// Ties need no sequence number: entries due at the same time always share a bucket (it
/// depends on the time alone), a push appends, and spreading a bucket keeps its order, so they
/// stay in the order they were scheduled.
///
/// The inputs wait in slots beside the buckets, which move 16-byte entries only.
#[derive(Debug)]
pub(crate) struct Agenda {
    buckets: [Vec<Entry>; 65],
    /// Entries of bucket 0 already taken out.
    taken: usize,
    last: Micros,
    /// The earliest due time, while known (see [`Agenda::next_at`]).
    earliest: Option<Micros>,
    slots: Vec<Option<(u32, Input)>>,
    free: Vec<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    at: Micros,
    slot: u32,
}

impl Default for Agenda {
    fn default() -> Self {
        Agenda {
            buckets: std::array::from_fn(|_| Vec::new()),
            taken: 0,
            last: 0,
            earliest: None,
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

/// The bucket of an entry due at `at`, relative to `last`.
fn bucket(at: Micros, last: Micros) -> usize {
    (Micros::BITS - (at ^ last).leading_zeros()) as usize
}

impl Agenda {
    /// Schedules `input` for `node` at `at`, which must not be before the last input taken
    /// out (the simulator's clock never goes back).
    pub(crate) fn push(&mut self, at: Micros, node: u32, input: Input) {
        debug_assert!(at >= self.last, "scheduled in the past");
        let entry = Some((node, input));
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = entry;
                slot
            }
            None => {
                self.slots.push(entry);
                (self.slots.len() - 1) as u32
            }
        };
        self.buckets[bucket(at, self.last)].push(Entry { at, slot });
        self.earliest = self.earliest.map(|earliest| earliest.min(at));
    }

    /// When the next input is due.
    pub(crate) fn next_at(&mut self) -> Option<Micros> {
        if self.earliest.is_none() {
            self.earliest = if self.taken < self.buckets[0].len() {
                Some(self.last)
            } else {
                self.buckets[1..]
                    .iter()
                    .find(|bucket| !bucket.is_empty())
                    .and_then(|bucket| bucket.iter().map(|e| e.at).min())
            };
        }
        self.earliest
    }

    /// The next input and its node.
    pub(crate) fn pop(&mut self) -> Option<(u32, Input)> {
        if self.taken == self.buckets[0].len() {
            self.refill()?;
        }
        let Entry { slot, .. } = self.buckets[0][self.taken];
        self.taken += 1;
        self.earliest = None;
        self.free.push(slot);
        self.slots[slot as usize].take()
    }

    /// Moves the entries due earliest into bucket 0, spreading the lowest non-empty bucket
    /// over the ones below it. `None` if the agenda is empty.
    fn refill(&mut self) -> Option<()> {
        self.buckets[0].clear();
        self.taken = 0;
        let lowest = (1..self.buckets.len()).find(|&b| !self.buckets[b].is_empty())?;
        let mut spread = std::mem::take(&mut self.buckets[lowest]);
        // With bucket 0 empty, a known earliest time is the lowest bucket's.
        self.last = self
            .earliest
            .unwrap_or_else(|| spread.iter().map(|e| e.at).min().expect("not empty"));
        for &entry in &spread {
            self.buckets[bucket(entry.at, self.last)].push(entry);
        }
        // Keep the allocation for the entries that land there next.
        spread.clear();
        self.buckets[lowest] = spread;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sift_core::Timer;

    fn drain(agenda: &mut Agenda) -> Vec<u32> {
        std::iter::from_fn(|| agenda.pop().map(|(node, _)| node)).collect()
    }

    #[test]
    fn inputs_come_out_by_time_then_by_order_of_scheduling() {
        let mut agenda = Agenda::default();
        agenda.push(20, 1, Input::Start);
        agenda.push(10, 2, Input::Timer(Timer::Gossip));
        agenda.push(20, 3, Input::Timer(Timer::Expiry));
        assert_eq!(agenda.next_at(), Some(10));
        assert_eq!(drain(&mut agenda), vec![2, 1, 3]);
        assert_eq!(agenda.next_at(), None);
        // Slots are reused.
        agenda.push(25, 4, Input::Start);
        assert_eq!(agenda.slots.len(), 3);
        assert_eq!(agenda.pop().map(|(node, _)| node), Some(4));
    }

    proptest! {
        /// Against a sort by (time, order of scheduling), with pushes between pops that
        /// never go before the last time taken out, as the simulator's are, and looks at the
        /// next time before pushes as well as before pops (the simulator peeks, then runs a
        /// planned action that schedules inputs, then peeks again).
        #[test]
        fn matches_a_stable_sort(steps in prop::collection::vec((0u64..3, 0u64..1 << 40, 0u8..4, any::<bool>()), 1..300)) {
            let mut agenda = Agenda::default();
            let mut expected: Vec<(Micros, u64, u32)> = Vec::new();
            let (mut now, mut seq) = (0, 0);
            for (pops, delay, spread, peek) in steps {
                if peek {
                    let earliest = expected.iter().map(|&(at, _, _)| at).min();
                    prop_assert_eq!(agenda.next_at(), earliest);
                }
                // Delays of every magnitude, many of them equal.
                let at = now + (delay >> (u32::from(spread) * 12));
                agenda.push(at, seq as u32, Input::Start);
                expected.push((at, seq, seq as u32));
                seq += 1;
                for _ in 0..pops {
                    expected.sort_unstable();
                    let want = (!expected.is_empty()).then(|| expected.remove(0));
                    prop_assert_eq!(agenda.next_at(), want.map(|(at, _, _)| at));
                    prop_assert_eq!(agenda.pop().map(|(node, _)| node), want.map(|(_, _, n)| n));
                    if let Some((at, _, _)) = want {
                        now = at;
                    }
                }
            }
            expected.sort_unstable();
            let rest: Vec<u32> = expected.iter().map(|&(_, _, n)| n).collect();
            prop_assert_eq!(drain(&mut agenda), rest);
        }
    }
}
