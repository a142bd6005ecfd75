//! Thresholds on their way into their group, a few per group side by side in one array.
//!
//! Putting a threshold straight into its group touches the group's vectors (their headers, the
//! ends of the values and slots, the bucket offsets): several cache misses, since an attribute
//! has up to a hundred groups and a subscription thresholds on many attributes. Here an
//! insertion writes one entry of a small array instead, and a group receives its arrivals
//! [`PER_GROUP`] at a time, so its vectors are touched once per batch. Pruning compares the
//! arrivals of the event's group one by one; those of other groups are covered by the sure
//! bitsets like any other threshold.

use super::Side;
use super::bucketed::clear_bit_if;

/// Arrivals a group holds before they are handed over. Sixteen rather than eight halve the
/// hand-overs, each of which touches the group's vectors (cache misses) and may grow them; an
/// event compares at most this many arrivals per attribute. Thirty-two saved a little more
/// insertion time but cost matching about as much.
pub(super) const PER_GROUP: usize = 16;

#[derive(Clone, Copy, Debug)]
pub(super) struct Arrival {
    pub(super) value: f64,
    pub(super) slot: u32,
    pub(super) side: Side,
}

#[derive(Debug, Default)]
pub(super) struct Arrivals {
    /// Group `g`'s arrivals are `entries[g][..counts[g]]`.
    entries: Vec<[Arrival; PER_GROUP]>,
    counts: Vec<u8>,
}

impl Arrivals {
    pub(super) fn new(groups: usize) -> Self {
        let empty = Arrival {
            value: 0.0,
            slot: 0,
            side: Side::Lower,
        };
        Arrivals {
            entries: vec![[empty; PER_GROUP]; groups],
            counts: vec![0; groups],
        }
    }

    /// Adds an arrival to `group`; returns the group's batch once it is full, emptying it (the
    /// entries stay readable until the next push to the group).
    pub(super) fn push(&mut self, group: usize, arrival: Arrival) -> Option<&[Arrival; PER_GROUP]> {
        let count = &mut self.counts[group];
        let batch = &mut self.entries[group];
        batch[usize::from(*count)] = arrival;
        *count += 1;
        if usize::from(*count) < PER_GROUP {
            return None;
        }
        *count = 0;
        Some(batch)
    }

    pub(super) fn of(&self, group: usize) -> &[Arrival] {
        &self.entries[group][..usize::from(self.counts[group])]
    }

    /// Every arrival.
    pub(super) fn all(&self) -> impl Iterator<Item = &Arrival> {
        (0..self.counts.len()).flat_map(move |g| self.of(g))
    }

    /// Clears in `survivors` the arrivals of `group` on `side` that fail for an event whose
    /// numbers span `span` (see [`Side::fails`]). With `fail_all`, every arrival of that side
    /// fails.
    pub(super) fn prune(
        &self,
        group: usize,
        side: Side,
        span: (f64, f64),
        fail_all: bool,
        survivors: &mut [u64],
    ) {
        for arrival in self.of(group).iter().filter(|a| a.side == side) {
            let fails = fail_all || side.fails(arrival.value, span);
            clear_bit_if(survivors, arrival.slot, fails);
        }
    }

    /// Keeps the arrivals of the slots `keep` accepts.
    pub(super) fn retain_slots(&mut self, keep: impl Fn(u32) -> bool) {
        for (group, count) in self.counts.iter_mut().enumerate() {
            let entries = &mut self.entries[group];
            let mut kept = 0;
            for i in 0..usize::from(*count) {
                if keep(entries[i].slot) {
                    entries[kept] = entries[i];
                    kept += 1;
                }
            }
            *count = kept as u8;
        }
    }

    pub(super) fn len(&self) -> usize {
        self.counts.iter().map(|&c| usize::from(c)).sum()
    }
}
