//! The range filter: rules conjunctions out by their numeric bounds with passes over bitsets
//! and runs of bucketed thresholds, instead of checking each conjunction.
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
//! - within `g(t)` itself it depends on the value.
//!
//! So each group keeps a bitset of the slots that surely fail there ([`sure`]) and its own
//! thresholds in buckets by value ([`bucketed`]). An event value `v` in group `k` rules out the
//! sure bitset of `k` with one pass, and within `k` its bucket splits each side's thresholds
//! into a run that fails (cleared without comparing), a run that passes (not touched) and a
//! bucket's worth to compare. Pruning an attribute costs a pass over one bitset plus about
//! `thresholds / 2G` single-bit clears.
//!
//! The partition is rebuilt as the thresholds grow (more groups pay once there are enough
//! thresholds per group and per slot) or drift (a group holding far more than its share), at
//! most once per doubling of the thresholds, so insertion stays amortized constant.
//!
//! Exactness: thresholds and boundaries stay within ±2^52 (atoms with larger bounds are not
//! taken here; the caller verifies them). Every integer up to 2^53 converts to `f64` exactly,
//! and a larger one converts to a float beyond every threshold and boundary on the same side,
//! so comparing `v as f64` with them is exact for every event value.

mod arrivals;
mod bucketed;
mod partition;
mod sure;
#[cfg(test)]
mod tests;

use super::compiled::{AttrId, CompiledAtom, EventView};
use crate::filter::{CmpOp, Test};
use crate::value::Value;
use arrivals::{Arrival, Arrivals, PER_GROUP};
use bucketed::{BucketedThresholds, Split, clear_bit_if};
use partition::Partition;
use sure::SureBits;

/// New thresholds wait in a short pending list, checked one by one on every event, and get
/// their sure-fail bits in batches of this many: setting the bits of a batch group by group
/// touches each bitset word once instead of once per threshold. Twice as many inserted
/// interval subscriptions about 5% faster (fewer partly filled columns per batch) but made
/// matching the market workload 15-20% slower at 100,000 subscriptions: every cluster with
/// more than one group checks its whole pending list on every event that reaches it.
const PENDING_FLUSH: usize = 128;

/// Largest magnitude of a threshold the filter takes (see the module notes on exactness).
const MAX_THRESHOLD: f64 = 4_503_599_627_370_496.0; // 2^52

/// Thresholds per group a partition aims for, at least. Partitions are rebuilt as the
/// thresholds double until they have [`MAX_GROUPS`] groups, so this also sets how much
/// rebuilding an attribute's growth costs: every threshold up to `MAX_GROUPS` times this is
/// moved about twice.
const TARGET_PER_GROUP: usize = 128;

/// Thresholds sampled per group to place a partition's boundaries. Sixteen keep groups near
/// their share (matching measured the same as with four times the sample), while the
/// sample's sort stays small: an attribute's partition is rebuilt at every doubling on the
/// way to [`MAX_GROUPS`] groups, and with 64 per group the sorts were a tenth of the
/// instructions of inserting 10,000 interval subscriptions.
const SAMPLE_PER_GROUP: usize = 16;

/// Most groups per attribute: bounds the sure bitsets' memory at `MAX_GROUPS` bits per slot
/// and attribute. A group index fits a `u8` (see [`AttributeRanges::rebuild`]).
const MAX_GROUPS: usize = 128;
const _: () = assert!(MAX_GROUPS <= 1 << u8::BITS);

/// Below this many thresholds an attribute keeps one group.
const MIN_REBUILD: usize = 2 * TARGET_PER_GROUP;

/// A group holding more than this many times its share of the thresholds unbalances the
/// partition.
const MAX_GROUP_SHARE: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// Fails when the value is below the threshold.
    Lower,
    /// Fails when the value is above the threshold.
    Upper,
}

impl Side {
    /// Whether a threshold `t` of this side fails for an event whose numbers span
    /// `low..=high`: a lower one holds when some value reaches it, so when `high` does; an
    /// upper one when `low` does.
    pub(crate) fn fails(self, t: f64, (low, high): (f64, f64)) -> bool {
        match self {
            Side::Lower => high < t,
            Side::Upper => low > t,
        }
    }
}

/// The threshold an atom (`test`, negated or not) contributes, if it is one this filter
/// handles.
pub(crate) fn threshold(negated: bool, test: &Test) -> Option<(Side, f64)> {
    if negated {
        return None;
    }
    let Test::Cmp(op, literal) = test else {
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

/// How many groups `thresholds` on an attribute of a cluster with `capacity` slots should be
/// cut into: enough for [`TARGET_PER_GROUP`] each, and no more than [`MAX_GROUPS`] times the
/// thresholds per slot, so that the sure bitsets (a pass over every slot per event, `G` bits
/// per slot in memory) stay in proportion to the thresholds they stand for.
fn wanted_groups(thresholds: usize, capacity: usize) -> usize {
    let by_size = thresholds / TARGET_PER_GROUP;
    let by_density = MAX_GROUPS * thresholds / capacity.max(1);
    by_size.min(by_density).clamp(1, MAX_GROUPS)
}

/// One group of an attribute's partition.
#[derive(Debug, Default)]
struct Group {
    lower: BucketedThresholds,
    upper: BucketedThresholds,
}

impl Group {
    fn len(&self) -> usize {
        self.lower.len() + self.upper.len()
    }

    /// Receives a batch of arrivals handed over, each side's appended in one copy.
    fn receive(&mut self, batch: &[Arrival; PER_GROUP]) {
        // Lower thresholds fill the arrays from the front, upper ones from the back.
        let mut values = [0.0; PER_GROUP];
        let mut slots = [0u32; PER_GROUP];
        let (mut lower, mut upper) = (0, PER_GROUP);
        for a in batch {
            let at = match a.side {
                Side::Lower => {
                    lower += 1;
                    lower - 1
                }
                Side::Upper => {
                    upper -= 1;
                    upper
                }
            };
            values[at] = a.value;
            slots[at] = a.slot;
        }
        self.lower.extend(&values[..lower], &slots[..lower]);
        self.upper.extend(&values[upper..], &slots[upper..]);
    }
}

/// The thresholds on one attribute.
#[derive(Debug)]
struct AttributeRanges {
    attr: AttrId,
    /// The `G - 1` boundaries cutting the line into groups, and the guide to them.
    partition: Partition,
    groups: Vec<Group>,
    /// New thresholds not yet handed to their group.
    arrivals: Arrivals,
    /// `None` while there is one group (nothing fails surely on the whole line).
    sure: Option<SureBits>,
    /// Slots with at least one threshold here: all fail when the event has no number here.
    constrained: Vec<u64>,
    /// Thresholds whose sure-fail bits are not set yet; also in their group or its arrivals.
    pending: Vec<PendingThreshold>,
    thresholds: usize,
    /// The threshold count when the partition was last built or found good.
    checked_at: usize,
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
            partition: Partition::default(),
            groups: vec![Group::default()],
            arrivals: Arrivals::new(1),
            sure: None,
            constrained: Vec::new(),
            pending: Vec::new(),
            thresholds: 0,
            checked_at: 0,
        }
    }

    fn group_of(&self, v: f64) -> usize {
        self.partition.group_of(v)
    }

    /// Grows the bitset of constrained slots to hold `capacity` slots; the sure bitsets grow
    /// as bits are set in them.
    fn reserve(&mut self, capacity: usize) {
        let words = capacity.div_ceil(64);
        if self.constrained.len() < words {
            self.constrained.resize(words, 0);
        }
    }

    fn add(&mut self, slot: u32, side: Side, t: f64) {
        let group = self.group_of(t);
        let arrival = Arrival {
            value: t,
            slot,
            side,
        };
        if let Some(batch) = self.arrivals.push(group, arrival) {
            self.groups[group].receive(batch);
        }
        self.constrained[slot as usize / 64] |= 1 << (slot % 64);
        self.thresholds += 1;
        if self.sure.is_some() {
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
        let Some(sure) = &mut self.sure else {
            self.pending.clear();
            return;
        };
        let groups = self.groups.len();
        // Slots are mostly handed out in increasing order, so the list is usually sorted.
        if !self.pending.is_sorted_by_key(|p| p.slot) {
            self.pending.sort_unstable_by_key(|p| p.slot);
        }
        if let Some(last) = self.pending.last() {
            sure.reserve(last.slot as usize / 64 + 1);
        }
        // Emptied again as each run is done with them, so zeroed once per flush.
        let mut lower_in = [0u64; MAX_GROUPS];
        let mut upper_in = [0u64; MAX_GROUPS];
        let mut masks = [0u64; MAX_GROUPS];
        let (lower_in, upper_in, masks) = (
            &mut lower_in[..groups],
            &mut upper_in[..groups],
            &mut masks[..groups],
        );
        for run in self.pending.chunk_by(|a, b| a.slot / 64 == b.slot / 64) {
            for p in run {
                let bit = 1u64 << (p.slot % 64);
                match p.side {
                    Side::Lower => lower_in[p.group as usize] |= bit,
                    Side::Upper => upper_in[p.group as usize] |= bit,
                }
            }
            let mut above = 0u64;
            for (mask, lower) in masks.iter_mut().zip(lower_in.iter_mut()).rev() {
                *mask = above;
                above |= std::mem::take(lower);
            }
            let mut below = 0u64;
            for (mask, upper) in masks.iter_mut().zip(upper_in.iter_mut()) {
                *mask |= below;
                below |= std::mem::take(upper);
            }
            sure.set_column(run[0].slot as usize / 64, masks);
        }
        self.pending.clear();
    }

    /// Forgets a slot's bits; its thresholds stay in the groups until the next purge. The
    /// slot may lie beyond this attribute's bitsets (a purge clears every removed slot on
    /// every attribute).
    fn clear_slot(&mut self, slot: usize) {
        if let Some(word) = self.constrained.get_mut(slot / 64) {
            *word &= !(1 << (slot % 64));
        }
        self.pending.retain(|p| p.slot as usize != slot);
        if let Some(sure) = &mut self.sure {
            sure.clear_slot(slot);
        }
    }

    /// Whether the partition should be rebuilt for a cluster of `capacity` slots: checked at
    /// most once per doubling of the thresholds since the last build or check.
    fn needs_rebuild(&mut self, capacity: usize) -> bool {
        if self.thresholds < MIN_REBUILD || self.thresholds < 2 * self.checked_at {
            return false;
        }
        self.checked_at = self.thresholds;
        let groups = self.groups.len();
        let share = self.thresholds / groups;
        // A partition within a factor of two of the wanted size stays: the bound by density
        // moves with every insertion and would otherwise ask for a rebuild at every check.
        let wanted = wanted_groups(self.thresholds, capacity);
        wanted >= 2 * groups
            || 2 * wanted <= groups
            || (0..groups).any(|g| {
                self.groups[g].len() > MAX_GROUP_SHARE * share.max(TARGET_PER_GROUP)
                    && !self.holds_one_value(g)
            })
    }

    /// Whether group `g` is `[v, next float above v)`, which no partition can split.
    fn holds_one_value(&self, g: usize) -> bool {
        let cuts = self.partition.cuts();
        g > 0 && g < cuts.len() && cuts[g - 1].next_up() == cuts[g]
    }

    /// Re-partitions at the quantiles of the current thresholds and rebuilds the bitsets.
    ///
    /// The quantiles are estimated from an evenly spaced sample of [`SAMPLE_PER_GROUP`]
    /// thresholds per group, so a rebuild costs a few passes over the thresholds
    /// rather than a sort of them. The thresholds are read where they lie, group by group, and
    /// each new group's vectors are allocated once, at their size: a rebuild allocates nothing
    /// in proportion to the thresholds but their new places and a byte each for their new
    /// group. Copying them into one list first cost as much again, most of it the fresh
    /// pages such a list needs.
    fn rebuild(&mut self, capacity: usize) {
        let old = std::mem::take(&mut self.groups);
        let arriving: Vec<Arrival> = self.arrivals.all().copied().collect();
        let runs = Runs {
            groups: &old,
            cuts: self.partition.cuts(),
            arriving: &arriving,
        };
        let wanted = wanted_groups(runs.len(), capacity);
        let partition = Partition::new(partition::boundaries(
            &runs.sample(SAMPLE_PER_GROUP * wanted),
            wanted,
            MAX_GROUPS,
        ));
        let groups = partition.groups();
        let homes = runs.homes(&partition);
        let mut sizes = vec![[0usize; 2]; groups];
        runs.for_each(|at, side, _, _| sizes[usize::from(homes[at])][side as usize] += 1);
        let mut parts: Vec<[(Vec<f64>, Vec<u32>); 2]> = sizes
            .iter()
            .map(|&sizes| sizes.map(|n| (Vec::with_capacity(n), Vec::with_capacity(n))))
            .collect();
        runs.for_each(|at, side, t, slot| {
            let (values, slots) = &mut parts[usize::from(homes[at])][side as usize];
            values.push(t);
            slots.push(slot);
        });
        self.partition = partition;
        self.groups = parts
            .into_iter()
            .map(|[(lv, ls), (uv, us)]| Group {
                lower: BucketedThresholds::from_parts(lv, ls),
                upper: BucketedThresholds::from_parts(uv, us),
            })
            .collect();
        self.arrivals = Arrivals::new(groups);
        self.pending.clear();
        self.checked_at = self.thresholds;
        self.sure = (groups > 1).then(|| self.fill_sure(capacity));
    }

    /// Sure bitsets for the current groups, from scratch.
    fn fill_sure(&self, capacity: usize) -> SureBits {
        let words = capacity.div_ceil(64);
        let mut sure = SureBits::new(self.groups.len(), self.attr as usize);
        sure.reserve(words);
        let mut failing = vec![0u64; words];
        // Lower thresholds of the groups above `g` fail throughout `g`.
        for (g, group) in self.groups.iter().enumerate().rev() {
            sure.set_all(g, &failing);
            for &slot in group.lower.slots() {
                failing[slot as usize / 64] |= 1 << (slot % 64);
            }
        }
        failing.fill(0);
        // Upper thresholds of the groups below `g` fail throughout `g`.
        for (g, group) in self.groups.iter().enumerate() {
            sure.set_all(g, &failing);
            for &slot in group.upper.slots() {
                failing[slot as usize / 64] |= 1 << (slot % 64);
            }
        }
        sure
    }

    /// Where the event's numbers `low..=high` fall (see [`Side::fails`]): each side is split
    /// at the value it is compared with, in that value's group.
    fn locate(&self, low: f64, high: f64) -> Located {
        let (low_group, high_group) = (self.group_of(low), self.group_of(high));
        Located {
            low,
            high,
            low_group,
            high_group,
            lower: self.groups[high_group].lower.split(Side::Lower, high),
            upper: self.groups[low_group].upper.split(Side::Upper, low),
        }
    }

    /// Reads the first words of everything [`AttributeRanges::prune_located`] will read.
    fn touch(&self, at: &Located) -> u64 {
        let sure = match &self.sure {
            Some(sure) if at.low_group == at.high_group => sure.touch(at.low_group),
            _ => 0,
        };
        let lower = self.groups[at.high_group].lower.touch(&at.lower);
        let upper = self.groups[at.low_group].upper.touch(&at.upper);
        let arriving = self
            .arrivals
            .of(at.high_group)
            .first()
            .map_or(0, |a| a.slot);
        sure ^ lower ^ upper ^ u64::from(arriving)
    }

    /// Clears in `survivors` the slots ruled out by the numbers located at `at`.
    fn prune_located(&self, at: &Located, survivors: &mut [u64]) {
        if at.low_group == at.high_group {
            if let Some(sure) = &self.sure {
                sure.prune(at.low_group, survivors);
            }
        } else {
            // Numbers spread over several groups (a multi-valued attribute): no sure bitset
            // holds just the lower thresholds above `high` and the upper ones below `low`, so
            // those groups' thresholds are cleared one by one.
            let span = (at.low, at.high);
            for g in at.high_group + 1..self.groups.len() {
                self.groups[g].lower.clear_all(survivors);
                self.arrivals.prune(g, Side::Lower, span, true, survivors);
            }
            for g in 0..at.low_group {
                self.groups[g].upper.clear_all(survivors);
                self.arrivals.prune(g, Side::Upper, span, true, survivors);
            }
        }
        let span = (at.low, at.high);
        self.arrivals
            .prune(at.high_group, Side::Lower, span, false, survivors);
        self.arrivals
            .prune(at.low_group, Side::Upper, span, false, survivors);
        self.groups[at.high_group]
            .lower
            .prune_split(Side::Lower, at.high, &at.lower, survivors);
        self.groups[at.low_group]
            .upper
            .prune_split(Side::Upper, at.low, &at.upper, survivors);
        for p in &self.pending {
            clear_bit_if(survivors, p.slot, p.side.fails(p.value, span));
        }
    }

    fn prune_absent(&self, survivors: &mut [u64]) {
        for (word, constrained) in survivors.iter_mut().zip(&self.constrained) {
            *word &= !constrained;
        }
    }
}

/// An attribute's thresholds as a rebuild reads them: group by group of the partition they
/// were placed with (lower side, then upper), then the arrivals, always in that order.
struct Runs<'a> {
    groups: &'a [Group],
    /// The partition's cuts: group `g` holds values in `[cuts[g - 1], cuts[g])`.
    cuts: &'a [f64],
    arriving: &'a [Arrival],
}

impl Runs<'_> {
    fn len(&self) -> usize {
        self.groups.iter().map(Group::len).sum::<usize>() + self.arriving.len()
    }

    /// Calls `visit` with each threshold's position in the order, side, value and slot.
    fn for_each(&self, mut visit: impl FnMut(usize, Side, f64, u32)) {
        let mut at = 0;
        for group in self.groups {
            for (side, thresholds) in [(Side::Lower, &group.lower), (Side::Upper, &group.upper)] {
                for (t, slot) in thresholds.entries() {
                    visit(at, side, t, slot);
                    at += 1;
                }
            }
        }
        for a in self.arriving {
            visit(at, a.side, a.value, a.slot);
            at += 1;
        }
    }

    /// About `size` values evenly spaced in the order, sorted.
    fn sample(&self, size: usize) -> Vec<f64> {
        let step = self.len().div_ceil(size).max(1);
        let mut sample = Vec::with_capacity(size + 1);
        self.for_each(|at, _, t, _| {
            if at % step == 0 {
                sample.push(t);
            }
        });
        sample.sort_unstable_by(f64::total_cmp);
        sample
    }

    /// Each threshold's group in `partition`, by position in the order. A group's thresholds
    /// lie between its two cuts, so their new groups lie between those of the cuts, and
    /// only the new cuts in that range are compared: usually none or one, where a lookup
    /// from scratch cost a fifth of a rebuild.
    fn homes(&self, partition: &Partition) -> Vec<u8> {
        let mut homes = Vec::with_capacity(self.len());
        let cuts = partition.cuts();
        for (g, group) in self.groups.iter().enumerate() {
            let first = g
                .checked_sub(1)
                .map_or(0, |below| partition.group_of(self.cuts[below]));
            let last = self
                .cuts
                .get(g)
                .map_or(cuts.len(), |&above| partition.group_of(above.next_down()));
            let between = &cuts[first..last];
            for thresholds in [&group.lower, &group.upper] {
                homes.extend(thresholds.values().iter().map(|&t| {
                    let home = first + between.partition_point(|&c| c <= t);
                    debug_assert_eq!(home, partition.group_of(t));
                    home as u8
                }));
            }
        }
        homes.extend(
            self.arriving
                .iter()
                .map(|a| partition.group_of(a.value) as u8),
        );
        homes
    }
}

/// The thresholds of one cluster, by attribute.
#[derive(Debug, Default)]
pub(crate) struct RangeFilter {
    /// Sorted by attribute id.
    attrs: Vec<AttributeRanges>,
}

impl RangeFilter {
    /// The position of `attr`'s thresholds in `attrs`, added if new.
    fn position(&mut self, attr: AttrId) -> usize {
        match self.attrs.binary_search_by_key(&attr, |a| a.attr) {
            Ok(i) => i,
            Err(i) => {
                self.attrs.insert(i, AttributeRanges::new(attr));
                i
            }
        }
    }

    /// Adds the thresholds of `atoms` for `slot`; `capacity` is the cluster's slot capacity.
    /// A range's two bounds come one after the other, and the second finds its attribute
    /// where the first left it.
    pub(crate) fn add(&mut self, slot: u32, atoms: &[CompiledAtom], capacity: usize) {
        let mut previous: Option<(AttrId, usize)> = None;
        for atom in atoms {
            let Some((side, t)) = atom.threshold else {
                continue;
            };
            let i = match previous {
                Some((attr, i)) if attr == atom.attr => i,
                _ => {
                    let i = self.position(atom.attr);
                    self.attrs[i].reserve(capacity);
                    i
                }
            };
            previous = Some((atom.attr, i));
            let ranges = &mut self.attrs[i];
            ranges.add(slot, side, t);
            if ranges.needs_rebuild(capacity) {
                ranges.rebuild(capacity);
            }
        }
    }

    /// Forgets `slot`'s bits; its thresholds are dropped by the next [`RangeFilter::purge`],
    /// and the slot must not be reused before that.
    pub(crate) fn remove(&mut self, slot: u32) {
        let (word, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        for ranges in &mut self.attrs {
            if ranges.constrained.get(word).is_some_and(|w| w & bit != 0) {
                ranges.clear_slot(slot as usize);
            }
        }
    }

    /// Drops the thresholds of the `removed` slots, and the bits a rebuild since their
    /// removal set for them again: the slots are about to be reused.
    pub(crate) fn purge(&mut self, removed: &[u32], is_removed: impl Fn(u32) -> bool) {
        for ranges in &mut self.attrs {
            let mut count = 0;
            for group in &mut ranges.groups {
                group.lower.retain_slots(|s| !is_removed(s));
                group.upper.retain_slots(|s| !is_removed(s));
                count += group.len();
            }
            ranges.arrivals.retain_slots(|s| !is_removed(s));
            ranges.thresholds = count + ranges.arrivals.len();
            for &slot in removed {
                ranges.clear_slot(slot as usize);
            }
        }
        self.attrs.retain(|a| a.thresholds > 0);
    }

    /// Clears in `survivors` every slot that some threshold rules out for `view`, exactly: a
    /// survivor passes every threshold of the filter.
    ///
    /// Each attribute's pruning starts with a chain of dependent reads (its group, the group's
    /// layout, the runs it names), and each is a cache miss on a large index. Taken attribute
    /// by attribute, the misses follow one another; so every attribute is located first, then
    /// the first words of what each will read are touched, and only then is anything pruned:
    /// the misses of all attributes overlap. Matching cold events took about half as long
    /// again without this.
    pub(crate) fn prune(&self, view: &EventView<'_>, survivors: &mut [u64], scratch: &mut Scratch) {
        let located = &mut scratch.located;
        located.clear();
        for (index, ranges) in self.attrs.iter().enumerate() {
            match view.span(ranges.attr) {
                None => ranges.prune_absent(survivors),
                Some((low, high)) => located.push((index, ranges.locate(low, high))),
            }
        }
        let touched = located.iter().fold(0, |touched, (index, at)| {
            touched ^ self.attrs[*index].touch(at)
        });
        std::hint::black_box(touched);
        for (index, at) in located.iter() {
            self.attrs[*index].prune_located(at, survivors);
        }
    }
}

/// Where an event's numbers fall on one attribute (see [`AttributeRanges::locate`]).
#[derive(Debug)]
struct Located {
    low: f64,
    high: f64,
    low_group: usize,
    high_group: usize,
    /// The lower thresholds of `high_group`, split at `high`.
    lower: Split,
    /// The upper thresholds of `low_group`, split at `low`.
    upper: Split,
}

/// Buffers [`RangeFilter::prune`] reuses across clusters and events.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    located: Vec<(usize, Located)>,
}
