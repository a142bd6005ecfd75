//! The thresholds of one side of one group, in buckets by value, so that an event value splits
//! them into runs that surely fail, surely pass, and one short run to compare, with arithmetic
//! instead of a search.
//!
//! The buckets cut `[min, max]` of the thresholds into equal widths; a threshold's bucket is
//! `((t - min) * scale)`, saturated to the bucket range. That map is monotone (each step rounds
//! monotonically and the cast saturates), so every threshold in a bucket above the event
//! value's lies above the value, and every one below lies below it, whatever the thresholds
//! added since the buckets were laid out. The buckets are stored as one run per bucket in one
//! array (offsets into it), so a failing side is one contiguous run of slots.
//!
//! Insertion appends to an unbucketed *tail*, compared one by one. When the tail outgrows a
//! fraction of the bucketed part it is merged in: counted out into buckets, and the bucketed
//! runs moved up to make room, a block copy per bucket. The buckets themselves are recut (new
//! spread, more buckets) only when the thresholds have grown fourfold since they were cut, so
//! each threshold is handled a bounded number of times on average.

use super::Side;

/// The tail is merged into the buckets once it holds more than this many thresholds...
const MIN_TAIL: usize = 64;
/// ...and more than the bucketed part divided by this. A merge moves every bucketed threshold
/// up, so a longer tail means fewer such moves per threshold: with half rather than a quarter,
/// inserting 100,000 interval subscriptions took about 5% less time, and matching there, which
/// compares the tail of the event value's group, measured the same (at a million it may cost
/// a few percent: the tails are longer).
const TAIL_FRACTION: usize = 2;
/// Thresholds per bucket when the buckets are cut...
const PER_BUCKET: usize = 8;
/// ...and how many times the thresholds grow before they are cut again: between cuts the
/// buckets fill from [`PER_BUCKET`] to this many times as many.
const RECUT_GROWTH: usize = 4;
/// ...with at most this many buckets (a bucket index fits a `u8`).
const MAX_BUCKETS: usize = 256;
const _: () = assert!(MAX_BUCKETS <= 1 << u8::BITS);

#[derive(Debug)]
pub(super) struct BucketedThresholds {
    /// Bucketed thresholds bucket by bucket, then the tail in no particular order.
    values: Vec<f64>,
    slots: Vec<u32>,
    /// Bucket `k` is `values[offsets[k]..offsets[k + 1]]`; the last offset ends the bucketed
    /// part.
    offsets: Vec<u32>,
    origin: f64,
    scale: f64,
    /// How many thresholds there were when the buckets were cut.
    cut_at: usize,
}

impl Default for BucketedThresholds {
    fn default() -> Self {
        BucketedThresholds {
            values: Vec::new(),
            slots: Vec::new(),
            offsets: vec![0, 0],
            origin: 0.0,
            scale: 0.0,
            cut_at: 0,
        }
    }
}

#[inline(always)]
fn clear_bit(bits: &mut [u64], slot: u32) {
    let slot = slot as usize;
    bits[slot / 64] &= !(1 << (slot % 64));
}

#[inline(always)]
pub(super) fn clear_bit_if(bits: &mut [u64], slot: u32, condition: bool) {
    let slot = slot as usize;
    bits[slot / 64] &= !(u64::from(condition) << (slot % 64));
}

impl BucketedThresholds {
    pub(super) fn len(&self) -> usize {
        self.values.len()
    }

    fn bucketed(&self) -> usize {
        *self.offsets.last().expect("offsets end the bucketed part") as usize
    }

    fn buckets(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The bucket of `x`: monotone in `x` (see the module notes).
    fn bucket_of(&self, x: f64) -> usize {
        (((x - self.origin) * self.scale) as usize).min(self.buckets() - 1)
    }

    /// Appends thresholds (`values[i]` for `slots[i]`) to the tail, merging or recutting once
    /// the tail is due: appended a batch at a time, a threshold costs two slice copies' share
    /// rather than two pushes and a check.
    pub(super) fn extend(&mut self, values: &[f64], slots: &[u32]) {
        debug_assert_eq!(values.len(), slots.len());
        self.values.extend_from_slice(values);
        self.slots.extend_from_slice(slots);
        let tail = self.values.len() - self.bucketed();
        if tail > MIN_TAIL && tail > self.bucketed() / TAIL_FRACTION {
            if self.values.len() >= RECUT_GROWTH * self.cut_at {
                self.lay_out();
            } else {
                self.merge_tail();
            }
        }
    }

    /// Cuts the buckets for the current spread of values and lays every threshold out in
    /// them: each threshold's bucket once, a count per bucket, then a scatter into new vectors.
    pub(super) fn lay_out(&mut self) {
        // Thresholds are never NaN, so plain comparisons find the extremes.
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in &self.values {
            min = if v < min { v } else { min };
            max = if v > max { v } else { max };
        }
        let buckets = (self.values.len() / PER_BUCKET).clamp(1, MAX_BUCKETS);
        self.origin = if min.is_finite() { min } else { 0.0 };
        // Thresholds are within ±2^52, so the spread is finite; one value needs one bucket.
        self.scale = if max > min {
            buckets as f64 / (max - min)
        } else {
            0.0
        };
        self.cut_at = self.values.len();
        self.offsets.clear();
        self.offsets.resize(buckets + 1, 0);
        let homes: Vec<u8> = self
            .values
            .iter()
            .map(|&v| self.bucket_of(v) as u8)
            .collect();
        let mut next = [0u32; MAX_BUCKETS];
        for &home in &homes {
            next[usize::from(home)] += 1;
        }
        // Counts become each bucket's first free place.
        for (k, next) in next[..buckets].iter_mut().enumerate() {
            self.offsets[k + 1] = self.offsets[k] + *next;
            *next = self.offsets[k];
        }
        // At the old vectors' capacity: the thresholds keep arriving.
        let mut values = Vec::with_capacity(self.values.capacity());
        values.resize(self.values.len(), 0.0);
        let mut slots = Vec::with_capacity(self.slots.capacity());
        slots.resize(self.slots.len(), 0);
        for ((&home, &value), &slot) in homes.iter().zip(&self.values).zip(&self.slots) {
            let at = &mut next[usize::from(home)];
            values[*at as usize] = value;
            slots[*at as usize] = slot;
            *at += 1;
        }
        self.values = values;
        self.slots = slots;
    }

    /// Moves the tail into the buckets it belongs to, keeping the cut: each bucket's run moves
    /// up by the number of tail thresholds that go below it (from the last bucket down, so
    /// that no run is overwritten before it moves), and the tail's thresholds are written
    /// after the runs they join, counted out by bucket rather than sorted.
    fn merge_tail(&mut self) {
        let bucketed = self.bucketed();
        let buckets = self.buckets();
        let tail: Vec<(u8, f64, u32)> = self.values[bucketed..]
            .iter()
            .zip(&self.slots[bucketed..])
            .map(|(&value, &slot)| (self.bucket_of(value) as u8, value, slot))
            .collect();
        let mut arriving = [0u32; MAX_BUCKETS];
        for &(bucket, _, _) in &tail {
            arriving[usize::from(bucket)] += 1;
        }
        // `shift[k]`: tail thresholds going below bucket `k`, so how far its run moves up.
        let mut shift = [0u32; MAX_BUCKETS + 1];
        for k in 0..buckets {
            shift[k + 1] = shift[k] + arriving[k];
        }
        let mut cursor = [0u32; MAX_BUCKETS];
        for k in (0..buckets).rev() {
            let (from, to) = (self.offsets[k], self.offsets[k + 1]);
            let moved_to = from + shift[k];
            if shift[k] > 0 {
                self.values
                    .copy_within(from as usize..to as usize, moved_to as usize);
                self.slots
                    .copy_within(from as usize..to as usize, moved_to as usize);
            }
            cursor[k] = moved_to + (to - from);
        }
        for (k, offset) in self.offsets.iter_mut().enumerate().skip(1) {
            *offset += shift[k];
        }
        for (bucket, value, slot) in tail {
            let at = &mut cursor[usize::from(bucket)];
            self.values[*at as usize] = value;
            self.slots[*at as usize] = slot;
            *at += 1;
        }
        debug_assert_eq!(self.bucketed(), self.values.len());
    }

    /// Every threshold and its slot, in no particular order.
    pub(super) fn entries(&self) -> impl Iterator<Item = (f64, u32)> + '_ {
        self.values.iter().copied().zip(self.slots.iter().copied())
    }

    pub(super) fn values(&self) -> &[f64] {
        &self.values
    }

    pub(super) fn slots(&self) -> &[u32] {
        &self.slots
    }

    /// Takes thresholds in any order and lays them out.
    pub(super) fn from_parts(values: Vec<f64>, slots: Vec<u32>) -> Self {
        let mut thresholds = BucketedThresholds {
            values,
            slots,
            ..BucketedThresholds::default()
        };
        thresholds.lay_out();
        thresholds
    }

    /// Keeps the thresholds of the slots `keep` accepts; the buckets keep their runs.
    pub(super) fn retain_slots(&mut self, keep: impl Fn(u32) -> bool) {
        let mut kept = 0;
        let mut compact = |from: std::ops::Range<usize>, this: &mut Self| {
            for i in from {
                if keep(this.slots[i]) {
                    this.values[kept] = this.values[i];
                    this.slots[kept] = this.slots[i];
                    kept += 1;
                }
            }
            kept as u32
        };
        let mut start = 0;
        for k in 0..self.buckets() {
            let end = self.offsets[k + 1] as usize;
            self.offsets[k + 1] = compact(start..end, self);
            start = end;
        }
        let kept = compact(start..self.values.len(), self) as usize;
        self.values.truncate(kept);
        self.slots.truncate(kept);
    }

    /// Clears every slot with a threshold here in `survivors`.
    pub(super) fn clear_all(&self, survivors: &mut [u64]) {
        for &slot in &self.slots {
            clear_bit(survivors, slot);
        }
    }

    /// Where `v` splits the thresholds of `side`: reads the layout only, so that the splits of
    /// many attributes can be found (and their cache misses overlap) before any is pruned.
    pub(super) fn split(&self, side: Side, v: f64) -> Split {
        let bucket = self.bucket_of(v);
        let start = self.offsets[bucket];
        let end = self.offsets[bucket + 1];
        let bucketed = self.bucketed() as u32;
        // A lower threshold fails when v < t: every bucket above v's. An upper one fails when
        // v > t: every bucket below. Neither needs comparing one by one.
        let failing = match side {
            Side::Lower => (end, bucketed),
            Side::Upper => (0, start),
        };
        Split {
            failing,
            compared: (start, end),
            tail: bucketed,
        }
    }

    /// Reads the first entries `prune_split` will read, so that they are on their way to the
    /// cache; returns them to be kept from being optimized away.
    pub(super) fn touch(&self, split: &Split) -> u64 {
        let slot = self
            .slots
            .get(split.failing.0 as usize)
            .copied()
            .unwrap_or(0);
        let value = self
            .values
            .get(split.compared.0 as usize)
            .copied()
            .unwrap_or(0.0);
        u64::from(slot) ^ value.to_bits()
    }

    /// Clears in `survivors` every slot whose threshold on `side` fails for `v`, split at `v`.
    pub(super) fn prune_split(&self, side: Side, v: f64, split: &Split, survivors: &mut [u64]) {
        let (from, to) = split.failing;
        for &slot in &self.slots[from as usize..to as usize] {
            clear_bit(survivors, slot);
        }
        let (start, end) = (split.compared.0 as usize, split.compared.1 as usize);
        let tail = split.tail as usize;
        let compared = self.values[start..end]
            .iter()
            .zip(&self.slots[start..end])
            .chain(self.values[tail..].iter().zip(&self.slots[tail..]));
        // Branch-free: about half the comparisons fail, so a branch would mispredict often.
        match side {
            Side::Lower => compared.for_each(|(&t, &slot)| clear_bit_if(survivors, slot, v < t)),
            Side::Upper => compared.for_each(|(&t, &slot)| clear_bit_if(survivors, slot, v > t)),
        }
    }

    /// Clears in `survivors` every slot whose threshold on `side` fails for `v`.
    #[cfg(test)]
    fn prune(&self, side: Side, v: f64, survivors: &mut [u64]) {
        self.prune_split(side, v, &self.split(side, v), survivors);
    }
}

/// Runs of a side's thresholds for one event value (see [`BucketedThresholds::split`]).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Split {
    /// Thresholds that fail, without comparing.
    failing: (u32, u32),
    /// The value's own bucket, compared one by one, as is the tail from `tail` on.
    compared: (u32, u32),
    tail: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slots `prune` leaves standing.
    fn standing(thresholds: &BucketedThresholds, side: Side, v: f64) -> Vec<u32> {
        let mut survivors = vec![u64::MAX; 8];
        thresholds.prune(side, v, &mut survivors);
        let mut slots: Vec<u32> = thresholds
            .slots()
            .iter()
            .copied()
            .filter(|&s| survivors[s as usize / 64] & (1 << (s % 64)) != 0)
            .collect();
        slots.sort_unstable();
        slots
    }

    fn passing(values: &[f64], side: Side, v: f64, keep: impl Fn(u32) -> bool) -> Vec<u32> {
        (0..values.len() as u32)
            .filter(|&s| keep(s))
            .filter(|&s| match side {
                Side::Lower => v >= values[s as usize],
                Side::Upper => v <= values[s as usize],
            })
            .collect()
    }

    const PROBES: [f64; 9] = [-1e300, -1.0, 0.0, 12.5, 25.0, 49.0, 49.5, 60.0, 1e300];

    #[test]
    fn prunes_exactly_while_growing() {
        let mut thresholds = BucketedThresholds::default();
        // Pseudo-random order with repeats, enough to lay out the tail several times; values
        // added later fall outside the range of earlier layouts.
        let values: Vec<f64> = (0..400u32)
            .map(|i| f64::from((i * 37) % 50) * if i > 300 { 2.0 } else { 1.0 })
            .collect();
        for (slot, &t) in values.iter().enumerate() {
            thresholds.extend(&[t], &[slot as u32]);
            if slot % 23 == 0 {
                for v in PROBES {
                    for side in [Side::Lower, Side::Upper] {
                        let want = passing(&values[..=slot], side, v, |_| true);
                        assert_eq!(standing(&thresholds, side, v), want, "{side:?} {v} {slot}");
                    }
                }
            }
        }
        assert!(
            thresholds.buckets() > 8,
            "the thresholds were laid out in buckets"
        );
    }

    #[test]
    fn one_value_and_extreme_values() {
        let values = vec![7.0; 100];
        let slots = (0..100).collect();
        let thresholds = BucketedThresholds::from_parts(values.clone(), slots);
        for v in [6.0, 7.0, 8.0] {
            for side in [Side::Lower, Side::Upper] {
                assert_eq!(
                    standing(&thresholds, side, v),
                    passing(&values, side, v, |_| true)
                );
            }
        }
        let values = vec![-4.5e15, 4.5e15, 0.0, 1.0, -1.0];
        let thresholds = BucketedThresholds::from_parts(values.clone(), (0..5).collect());
        for v in PROBES {
            for side in [Side::Lower, Side::Upper] {
                assert_eq!(
                    standing(&thresholds, side, v),
                    passing(&values, side, v, |_| true)
                );
            }
        }
    }

    #[test]
    fn retain_keeps_the_buckets_and_the_tail() {
        let values: Vec<f64> = (0..300u32).map(|i| f64::from((i * 13) % 97)).collect();
        let mut thresholds = BucketedThresholds::default();
        for (slot, &t) in values.iter().enumerate() {
            thresholds.extend(&[t], &[slot as u32]);
        }
        let keep = |s: u32| !s.is_multiple_of(3) && s != 299;
        thresholds.retain_slots(keep);
        assert_eq!(thresholds.len(), 199);
        for v in PROBES {
            for side in [Side::Lower, Side::Upper] {
                assert_eq!(
                    standing(&thresholds, side, v),
                    passing(&values, side, v, keep)
                );
            }
        }
        thresholds.retain_slots(|_| false);
        assert_eq!(thresholds.len(), 0);
        assert_eq!(standing(&thresholds, Side::Lower, 1.0), Vec::<u32>::new());
    }
}
