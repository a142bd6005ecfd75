//! The range filter: rules conjunctions out by their numeric bounds in a few passes over
//! bitsets, instead of checking each conjunction.
//!
//! Each positive atom `x > c`, `x >= c`, `x < c`, `x <= c` of a cluster's conjunctions becomes a
//! *threshold* on attribute `x`, on one of two sides:
//!
//! - lower: the atom fails for a value `v` exactly when `v < t` (`t = c` for `>=`, the next
//!   float above `c` for `>`);
//! - upper: the atom fails exactly when `v > t` (`t = c` for `<=`, the next float below `c` for
//!   `<`).
//!
//! Per attribute the number line is cut into groups at boundaries `b_1 < ... < b_{G-1}` chosen
//! as quantiles of the thresholds. A threshold `t` lies in group `g(t)`, and:
//!
//! - a lower threshold fails for *every* value of every group below `g(t)` (such values are
//!   `< b_{g(t)} <= t`), an upper threshold for every value of every group above it;
//! - within `g(t)` itself it must be compared with the value.
//!
//! So each group keeps a bitset of the slots that surely fail there (`sure`) and the list of
//! thresholds that lie in it. An event value `v` in group `k` rules out `sure[k]` with one
//! pass over a bitset, plus the thresholds of group `k` compared one by one: about
//! `thresholds / G` comparisons instead of one per atom.
//!
//! Exactness: thresholds and boundaries stay within ±2^52 (atoms with larger bounds are not
//! taken here; the caller verifies them). Every integer up to 2^53 converts to `f64` exactly,
//! and a larger one converts to a float beyond every threshold and boundary on the same side,
//! so comparing `v as f64` with them is exact for every event value.
//!
//! Each group's sure bitset is one contiguous array, so a pruning pass streams through memory
//! (a layout interleaving the groups by blocks of slots made every read of a pass land on a
//! new page, and pruning was three times slower).

use std::cmp::Ordering;

use super::compiled::{AttrId, CompiledAtom, EventView};
use crate::filter::{CmpOp, Test};
use crate::value::Value;

/// New thresholds wait in a short pending list, checked one by one on every event, and get
/// their sure-fail bits in batches of this many: setting the bits of a batch group by group
/// touches each bitset word once instead of once per threshold, which made insertion about ten
/// times cheaper.
const PENDING_FLUSH: usize = 128;

/// Largest magnitude of a threshold the filter takes (see the module notes on exactness).
const MAX_THRESHOLD: f64 = 4_503_599_627_370_496.0; // 2^52

/// Thresholds per group the partition aims for when it is rebuilt.
const TARGET_PER_GROUP: usize = 512;

/// Thresholds sampled to place a partition's boundaries.
const QUANTILE_SAMPLE: usize = 8192;

/// Most groups per attribute: bounds the sure bitsets' memory at `MAX_GROUPS` bits per slot
/// and attribute.
const MAX_GROUPS: usize = 64;

/// An attribute's partition is rebuilt when its thresholds have doubled since the last build
/// (and there are at least this many): amortized constant work per insertion.
const MIN_REBUILD: usize = 2 * TARGET_PER_GROUP;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// Fails when the value is below the threshold.
    Lower,
    /// Fails when the value is above the threshold.
    Upper,
}

/// The threshold an atom contributes, if it is one this filter handles.
pub(crate) fn threshold(atom: &CompiledAtom) -> Option<(Side, f64)> {
    if atom.negated {
        return None;
    }
    let Test::Cmp(op, literal) = &atom.test else {
        return None;
    };
    let bound = match *literal {
        Value::Int(i) => i as f64,
        Value::Float(f) => f,
        _ => return None,
    };
    if bound.abs() > MAX_THRESHOLD {
        return None;
    }
    match op {
        CmpOp::Ge => Some((Side::Lower, bound)),
        CmpOp::Gt => Some((Side::Lower, bound.next_up())),
        CmpOp::Le => Some((Side::Upper, bound)),
        CmpOp::Lt => Some((Side::Upper, bound.next_down())),
        CmpOp::Eq | CmpOp::Ne => None,
    }
}

/// Boundaries cutting the sorted `sample` into about `wanted` groups of equal weight. A value
/// repeated so often that it would fill a group by itself (many subscriptions with the same
/// bound) gets a group of its own, `[v, next float)`: otherwise all its copies would share a
/// group with everything around them and be compared one by one on every event there.
fn boundaries(sample: &[f64], wanted: usize) -> Vec<f64> {
    let per_group = (sample.len() / wanted.max(1)).max(1);
    let mut cuts: Vec<f64> = Vec::new();
    let mut weight = 0;
    let mut i = 0;
    while i < sample.len() {
        let v = sample[i];
        let end = i + sample[i..].partition_point(|&x| x <= v);
        if end - i >= per_group {
            if cuts.last().is_none_or(|&c| c < v) {
                cuts.push(v);
            }
            cuts.push(v.next_up());
            weight = 0;
        } else {
            weight += end - i;
            if weight >= per_group && end < sample.len() {
                cuts.push(sample[end]);
                weight = 0;
            }
        }
        i = end;
    }
    cuts.dedup();
    // Each heavy value can add two cuts; keep within the group limit by thinning evenly.
    if cuts.len() >= MAX_GROUPS {
        let keep = MAX_GROUPS - 1;
        cuts = (0..keep).map(|k| cuts[k * cuts.len() / keep]).collect();
    }
    cuts
}

/// Thresholds of one side within one group, as parallel arrays (12 bytes per threshold).
#[derive(Debug, Default)]
struct Thresholds {
    values: Vec<f64>,
    slots: Vec<u32>,
}

impl Thresholds {
    fn push(&mut self, value: f64, slot: u32) {
        self.values.push(value);
        self.slots.push(slot);
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    fn retain_slots(&mut self, keep: impl Fn(u32) -> bool) {
        let mut kept = 0;
        for i in 0..self.values.len() {
            if keep(self.slots[i]) {
                self.values[kept] = self.values[i];
                self.slots[kept] = self.slots[i];
                kept += 1;
            }
        }
        self.values.truncate(kept);
        self.slots.truncate(kept);
    }

    /// Clears in `survivors` every slot whose threshold fails for `v`.
    fn prune(&self, side: Side, v: f64, survivors: &mut [u64]) {
        // Branch-free: about half the comparisons fail on a typical workload, so a branch
        // would mispredict constantly.
        match side {
            Side::Lower => {
                for (&t, &slot) in self.values.iter().zip(&self.slots) {
                    clear_if(survivors, slot, v < t);
                }
            }
            Side::Upper => {
                for (&t, &slot) in self.values.iter().zip(&self.slots) {
                    clear_if(survivors, slot, v > t);
                }
            }
        }
    }
}

#[inline(always)]
fn clear_if(bits: &mut [u64], slot: u32, condition: bool) {
    let slot = slot as usize;
    bits[slot / 64] &= !(u64::from(condition) << (slot % 64));
}

/// One group of an attribute's partition.
#[derive(Debug, Default)]
struct Group {
    lower: Thresholds,
    upper: Thresholds,
}

/// The thresholds on one attribute.
#[derive(Debug)]
struct AttributeRanges {
    attr: AttrId,
    /// `G - 1` ascending boundaries; group `k` is `[b_k, b_{k+1})` with `b_0 = -inf`,
    /// `b_G = +inf`.
    boundaries: Vec<f64>,
    groups: Vec<Group>,
    /// Sure-fail bits, one bitset per group, each `stride` words, group after group. Empty
    /// while there is one group (nothing fails surely on the whole line).
    sure: Vec<u64>,
    stride: usize,
    /// Slots with at least one threshold here: all fail when the event has no number here.
    constrained: Vec<u64>,
    /// Thresholds whose sure-fail bits are not set yet; also in their group's list.
    pending: Vec<PendingThreshold>,
    thresholds: usize,
    built_at: usize,
}

#[derive(Clone, Copy, Debug)]
struct PendingThreshold {
    value: f64,
    slot: u32,
    side: Side,
    group: u32,
}

impl AttributeRanges {
    fn new(attr: AttrId) -> Self {
        AttributeRanges {
            attr,
            boundaries: Vec::new(),
            groups: vec![Group::default()],
            sure: Vec::new(),
            stride: 0,
            constrained: Vec::new(),
            pending: Vec::new(),
            thresholds: 0,
            built_at: 0,
        }
    }

    fn group_of(&self, v: f64) -> usize {
        self.boundaries.partition_point(|&b| b <= v)
    }

    /// Grows the bitsets to hold `capacity` slots.
    fn reserve(&mut self, capacity: usize) {
        let words = capacity.div_ceil(64);
        if self.constrained.len() < words {
            self.constrained.resize(words, 0);
        }
        if self.groups.len() > 1 && self.stride < words {
            // Grow by doubling, so re-laying out the groups costs amortized constant time.
            let stride = words.max(2 * self.stride);
            let mut sure = vec![0u64; stride * self.groups.len()];
            for (old, new) in self
                .sure
                .chunks_exact(self.stride.max(1))
                .zip(sure.chunks_exact_mut(stride))
            {
                new[..old.len()].copy_from_slice(old);
            }
            self.sure = sure;
            self.stride = stride;
        }
    }

    fn add(&mut self, slot: u32, side: Side, t: f64) {
        let group = self.group_of(t);
        match side {
            Side::Lower => self.groups[group].lower.push(t, slot),
            Side::Upper => self.groups[group].upper.push(t, slot),
        }
        self.constrained[slot as usize / 64] |= 1 << (slot % 64);
        self.thresholds += 1;
        if self.groups.len() > 1 {
            self.pending.push(PendingThreshold {
                value: t,
                slot,
                side,
                group: group as u32,
            });
            if self.pending.len() >= PENDING_FLUSH {
                self.flush();
            }
        }
    }

    /// Sets the sure-fail bits of the pending thresholds, one bitset word at a time: a lower
    /// threshold in group `h` fails throughout the groups below `h`, an upper one throughout
    /// the groups above, so each group's mask is a running OR over the groups.
    fn flush(&mut self) {
        let groups = self.groups.len();
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable_by_key(|p| p.slot);
        for run in pending.chunk_by(|a, b| a.slot / 64 == b.slot / 64) {
            let word = run[0].slot as usize / 64;
            let mut lower_in = [0u64; MAX_GROUPS];
            let mut upper_in = [0u64; MAX_GROUPS];
            for p in run {
                let bit = 1u64 << (p.slot % 64);
                match p.side {
                    Side::Lower => lower_in[p.group as usize] |= bit,
                    Side::Upper => upper_in[p.group as usize] |= bit,
                }
            }
            let mut masks = [0u64; MAX_GROUPS];
            let mut above = 0u64;
            for g in (0..groups).rev() {
                masks[g] = above;
                above |= lower_in[g];
            }
            let mut below = 0u64;
            for g in 0..groups {
                masks[g] |= below;
                below |= upper_in[g];
            }
            for (g, &mask) in masks[..groups].iter().enumerate() {
                if mask != 0 {
                    self.sure[g * self.stride + word] |= mask;
                }
            }
        }
        pending.clear();
        self.pending = pending;
    }

    /// Forgets a slot's bits; its thresholds stay in the groups until the next purge.
    fn clear_slot(&mut self, slot: usize) {
        let bit = 1u64 << (slot % 64);
        self.constrained[slot / 64] &= !bit;
        self.pending.retain(|p| p.slot as usize != slot);
        for g in 0..self.sure.len() / self.stride.max(1) {
            self.sure[g * self.stride + slot / 64] &= !bit;
        }
    }

    fn needs_rebuild(&self) -> bool {
        self.thresholds >= MIN_REBUILD && self.thresholds >= 2 * self.built_at
    }

    /// Re-partitions at the quantiles of the current thresholds and rebuilds the bitsets.
    /// The quantiles are estimated from an evenly spaced sample of at most [`QUANTILE_SAMPLE`]
    /// thresholds, so a rebuild costs a pass over the thresholds rather than a sort of them.
    fn rebuild(&mut self, capacity: usize) {
        let mut all: Vec<(f64, u32, Side)> = Vec::with_capacity(self.thresholds);
        for group in self.groups.drain(..) {
            for (thresholds, side) in [(group.lower, Side::Lower), (group.upper, Side::Upper)] {
                all.extend(
                    thresholds
                        .values
                        .iter()
                        .zip(&thresholds.slots)
                        .map(|(&t, &s)| (t, s, side)),
                );
            }
        }
        self.pending.clear();
        let step = all.len().div_ceil(QUANTILE_SAMPLE).max(1);
        let mut sample: Vec<f64> = all.iter().step_by(step).map(|&(t, _, _)| t).collect();
        sample.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
        let wanted = (all.len() / TARGET_PER_GROUP).clamp(1, MAX_GROUPS);
        self.boundaries = boundaries(&sample, wanted);
        self.groups = (0..=self.boundaries.len())
            .map(|_| Group::default())
            .collect();
        self.sure.clear();
        self.stride = 0;
        self.reserve(capacity);
        self.thresholds = 0;
        for word in &mut self.constrained {
            *word = 0;
        }
        for (t, slot, side) in all {
            self.add(slot, side, t);
        }
        if !self.pending.is_empty() {
            self.flush();
        }
        self.built_at = self.thresholds;
    }

    /// Clears in `survivors` the slots ruled out by the single value `v`.
    fn prune_value(&self, v: f64, survivors: &mut [u64]) {
        let group = self.group_of(v);
        if !self.sure.is_empty() {
            let sure = &self.sure[group * self.stride..(group + 1) * self.stride];
            for (word, sure) in survivors.iter_mut().zip(sure) {
                *word &= !sure;
            }
        }
        let here = &self.groups[group];
        here.lower.prune(Side::Lower, v, survivors);
        here.upper.prune(Side::Upper, v, survivors);
        for p in &self.pending {
            let fails = match p.side {
                Side::Lower => v < p.value,
                Side::Upper => v > p.value,
            };
            clear_if(survivors, p.slot, fails);
        }
    }

    fn prune_absent(&self, survivors: &mut [u64]) {
        for (word, constrained) in survivors.iter_mut().zip(&self.constrained) {
            *word &= !constrained;
        }
    }
}

/// The thresholds of one cluster, by attribute.
#[derive(Debug, Default)]
pub(crate) struct RangeFilter {
    /// Sorted by attribute id.
    attrs: Vec<AttributeRanges>,
}

/// What pruning left to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pruned {
    /// Every threshold was applied: a survivor whose atoms are all thresholds matches.
    Exact,
    /// Some attribute held several numbers and was not used: survivors need a full check.
    Partial,
}

impl RangeFilter {
    fn attr_mut(&mut self, attr: AttrId) -> &mut AttributeRanges {
        let i = match self.attrs.binary_search_by_key(&attr, |a| a.attr) {
            Ok(i) => i,
            Err(i) => {
                self.attrs.insert(i, AttributeRanges::new(attr));
                i
            }
        };
        &mut self.attrs[i]
    }

    /// Adds the thresholds of `atoms` for `slot`; `capacity` is the cluster's slot capacity.
    pub(crate) fn add(&mut self, slot: u32, atoms: &[CompiledAtom], capacity: usize) {
        for atom in atoms {
            if let Some((side, t)) = threshold(atom) {
                let ranges = self.attr_mut(atom.attr);
                ranges.reserve(capacity);
                ranges.add(slot, side, t);
                if ranges.needs_rebuild() {
                    ranges.rebuild(capacity);
                }
            }
        }
    }

    /// Forgets `slot`'s bits; its thresholds are dropped by the next [`RangeFilter::purge`],
    /// and the slot must not be reused before that.
    pub(crate) fn remove(&mut self, slot: u32, atoms: &[CompiledAtom]) {
        for atom in atoms {
            if threshold(atom).is_some()
                && let Ok(i) = self.attrs.binary_search_by_key(&atom.attr, |a| a.attr)
            {
                self.attrs[i].clear_slot(slot as usize);
            }
        }
    }

    /// Drops the thresholds of removed slots.
    pub(crate) fn purge(&mut self, removed: impl Fn(u32) -> bool) {
        for ranges in &mut self.attrs {
            let mut count = 0;
            for group in &mut ranges.groups {
                group.lower.retain_slots(|s| !removed(s));
                group.upper.retain_slots(|s| !removed(s));
                count += group.lower.len() + group.upper.len();
            }
            ranges.thresholds = count;
        }
        self.attrs.retain(|a| a.thresholds > 0);
    }

    /// Clears in `survivors` every slot that some threshold rules out for `view`.
    pub(crate) fn prune(&self, view: &EventView<'_>, survivors: &mut [u64]) -> Pruned {
        let mut pruned = Pruned::Exact;
        for ranges in &self.attrs {
            match numeric_extent(view.get(ranges.attr)) {
                Extent::None => ranges.prune_absent(survivors),
                Extent::One(v) => ranges.prune_value(v, survivors),
                Extent::Many => pruned = Pruned::Partial,
            }
        }
        pruned
    }
}

enum Extent {
    None,
    One(f64),
    Many,
}

/// The attribute's numbers: none, one (possibly repeated), or several distinct ones.
fn numeric_extent(values: Option<&[Value]>) -> Extent {
    let mut found: Option<f64> = None;
    for value in values.unwrap_or_default() {
        let v = match *value {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => continue,
        };
        match found {
            None => found = Some(v),
            Some(seen) if seen == v => {}
            Some(_) => return Extent::Many,
        }
    }
    found.map_or(Extent::None, Extent::One)
}
