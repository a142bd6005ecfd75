//! A cluster: the conjunctions filed under one anchor (or none), in slots, with the filters
//! that rule most of them out without looking at them.
//!
//! Matching a cluster starts from the bitset of live slots and clears, with passes over
//! bitsets, every slot some filter proves failing: the presence filter (a positive atom on an
//! attribute the event lacks), the equality filter, the pattern filter and the range filter.
//! Each filter only clears slots that truly fail, so the survivors include every match. A
//! conjunction all of whose atoms a filter decides exactly is *exact*: when it survives, it
//! matches, and nobody needs to look at it. For the others the caller checks the atoms the
//! filters leave undecided (see [`is_decided`]).
//!
//! The filters pay a cost per attribute whatever the cluster's size, and build tables sized
//! for many slots. A small cluster is cheaper without them: while it has never held more than
//! [`SCAN_LIMIT`] conjunctions it keeps their atoms and checks each live slot's atoms in turn
//! (most conjunctions fail on their first atoms). A routing overlay keeps one index per node,
//! and most of those hold a few dozen filters: scanning matched them several times faster,
//! and inserted into them without building any table.

use super::anchor::AnchorKey;
use super::compiled::{AttrId, CompiledAtom, EventView};
use super::equality::{EqualityFilter, accepted, forbidden};
use super::pattern::{PatternFilter, positive_pattern};
use super::ranges::{self, RangeFilter, Side};
use crate::filter::Test;

pub(crate) type ConjId = u32;

/// Removed slots are recycled once there are this many (or a quarter of the live ones): their
/// entries are purged from the filters in one pass, amortized over the removals.
const MIN_PURGE: usize = 64;

/// A cluster scans its atoms (see the module notes) until it holds more conjunctions than
/// this. On the interval workload scanning costs about as much as filtering at a few hundred
/// conjunctions; the limit stays below that so that the filters take over well before
/// scanning is the slower of the two.
const SCAN_LIMIT: usize = 64;

/// Whether one event can reach a subscription more than once, so its matches need
/// deduplicating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repeats {
    /// One conjunction in one cluster.
    Never,
    /// One conjunction filed under several in-list values: an event reaches it twice only if
    /// it carries several of them, so only if the anchor attribute has several values.
    IfSeveralAnchorValues,
    /// Several conjunctions.
    Always,
}

#[derive(Debug, Default)]
pub(crate) struct Cluster {
    /// `None` only for the unanchored cluster.
    pub(crate) anchor: Option<(AttrId, AnchorKey)>,
    /// Per slot, while it is live: the subscription slot and the conjunction it holds. A
    /// match needs only the first, so it is an array of its own (four bytes a slot: matches
    /// land on few cache lines).
    subs: Vec<u32>,
    conjunctions: Vec<ConjId>,
    /// One bit per live slot.
    live: Vec<u64>,
    /// Live slots whose conjunction is exact: every atom decided by the filters (see the
    /// module notes).
    exact: Vec<u64>,
    /// Live slots that one event may reach twice (see [`Repeats`]).
    repeat_if_several: Vec<u64>,
    repeat_always: Vec<u64>,
    /// Per slot, the atoms to check, while the cluster scans; empty once it filters (see the
    /// module notes).
    scanned: Vec<ScannedAtoms>,
    /// The cluster has held more than [`SCAN_LIMIT`] conjunctions; its filters decide.
    filtering: bool,
    /// Slots ready for reuse.
    free: Vec<u32>,
    /// Removed slots whose entries are still in the filters; not reusable yet.
    removed: Vec<u32>,
    /// Per attribute (sorted by id), the slots with a positive atom on it: they all fail when
    /// the event lacks the attribute, whatever the atom. The anchor's attribute is left out,
    /// since every event that reaches the cluster carries it, and so are thresholds: the
    /// range filter rules out a slot with a threshold on an attribute that carries no number,
    /// absent or not. Most atoms of range-heavy filters are thresholds, which so cost no
    /// lookup here on insertion and no second pass on an event that lacks the attribute.
    required: Vec<(AttrId, Vec<u64>)>,
    equality: EqualityFilter,
    patterns: PatternFilter,
    ranges: RangeFilter,
    len: usize,
}

/// Buffers a match reuses across clusters.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    survivors: Vec<u64>,
    failing: Vec<u64>,
    ranges: ranges::Scratch,
}

/// A conjunction that survived the filters.
pub(crate) struct Candidate {
    pub(crate) sub: u32,
    /// The conjunction the caller still has to check, or `None` if it is known to match.
    pub(crate) unchecked: Option<ConjId>,
    /// No other candidate of this event can name the same subscription.
    pub(crate) unique: bool,
}

impl Cluster {
    pub(crate) fn anchored(attr: AttrId, key: AnchorKey) -> Self {
        Cluster {
            anchor: Some((attr, key)),
            ..Cluster::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Files conjunction `id` of subscription slot `sub`, given by the atoms the cluster must
    /// decide (all but the anchor, which every event reaching the cluster passes); returns its
    /// slot here. `exact`: every one of them is decided by the filters (see [`is_decided`])
    /// and there is no residual formula, so a survivor matches.
    pub(crate) fn insert(
        &mut self,
        id: ConjId,
        sub: u32,
        repeats: Repeats,
        atoms: &[CompiledAtom],
        exact: bool,
    ) -> u32 {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.subs.push(0);
                self.conjunctions.push(0);
                if self.live.len() * 64 < self.subs.len() {
                    for bits in [
                        &mut self.live,
                        &mut self.exact,
                        &mut self.repeat_if_several,
                        &mut self.repeat_always,
                    ] {
                        bits.push(0);
                    }
                }
                (self.subs.len() - 1) as u32
            }
        };
        self.subs[slot as usize] = sub;
        self.conjunctions[slot as usize] = id;
        let (word, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        self.live[word] |= bit;
        let set = |bits: &mut Vec<u64>, on: bool| {
            bits[word] = if on {
                bits[word] | bit
            } else {
                bits[word] & !bit
            };
        };
        set(&mut self.exact, exact);
        set(
            &mut self.repeat_if_several,
            repeats == Repeats::IfSeveralAnchorValues,
        );
        set(&mut self.repeat_always, repeats == Repeats::Always);
        self.len += 1;
        if self.filtering {
            self.add_to_filters(slot, atoms);
        } else {
            let kept = ScannedAtoms::new(atoms);
            match self.scanned.get_mut(slot as usize) {
                Some(entry) => *entry = kept,
                None => self.scanned.push(kept),
            }
            if self.len > SCAN_LIMIT {
                self.start_filtering();
            }
        }
        slot
    }

    /// Hands every live slot's atoms to the filters, which decide from now on.
    fn start_filtering(&mut self) {
        self.filtering = true;
        let scanned = std::mem::take(&mut self.scanned);
        for (slot, atoms) in scanned.iter().enumerate() {
            if self.live[slot / 64] & (1 << (slot % 64)) != 0 {
                self.add_to_filters(slot as u32, &atoms.atoms);
            }
        }
    }

    fn add_to_filters(&mut self, slot: u32, atoms: &[CompiledAtom]) {
        let words = self.live.len();
        let mut previous = None;
        for atom in atoms.iter().filter(|a| !a.negated && a.threshold.is_none()) {
            // Atoms on one attribute often come one after the other: one bit does for all.
            if previous.replace(atom.attr) == Some(atom.attr) {
                continue;
            }
            let index = match self
                .required
                .binary_search_by_key(&atom.attr, |(attr, _)| *attr)
            {
                Ok(index) => index,
                Err(index) => {
                    self.required.insert(index, (atom.attr, Vec::new()));
                    index
                }
            };
            let bits = &mut self.required[index].1;
            if bits.len() < words {
                bits.resize(words, 0);
            }
            bits[slot as usize / 64] |= 1 << (slot % 64);
        }
        self.equality.add(slot, atoms, words);
        self.patterns.add(slot, atoms, words);
        self.ranges.add(slot, atoms, self.subs.len());
    }

    /// Empties `slot`. Every filter finds what it holds for the slot by the slot itself, so
    /// the index keeps no copy of the atoms it decides.
    pub(crate) fn remove(&mut self, slot: u32) {
        let (word, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        self.live[word] &= !bit;
        self.len -= 1;
        if !self.filtering {
            self.scanned[slot as usize] = ScannedAtoms::default();
            self.free.push(slot);
            return;
        }
        for (_, bits) in &mut self.required {
            if let Some(bits) = bits.get_mut(word) {
                *bits &= !bit;
            }
        }
        self.equality.remove(slot);
        self.patterns.remove(slot);
        self.ranges.remove(slot);
        self.removed.push(slot);
        if self.removed.len() >= MIN_PURGE.max(self.len / 4) {
            self.purge();
        }
    }

    fn purge(&mut self) {
        let mut removed = vec![0u64; self.live.len()];
        for &slot in &self.removed {
            removed[slot as usize / 64] |= 1 << (slot % 64);
        }
        let is_removed = |slot: u32| removed[slot as usize / 64] & (1 << (slot % 64)) != 0;
        self.ranges.purge(&self.removed, is_removed);
        self.equality.purge(is_removed);
        self.free.append(&mut self.removed);
    }

    /// Calls `visit` with every conjunction the filters do not rule out for `view`.
    pub(crate) fn candidates(
        &self,
        view: &EventView<'_>,
        scratch: &mut Scratch,
        mut visit: impl FnMut(Candidate),
    ) {
        if self.len == 0 {
            return;
        }
        let Scratch {
            survivors,
            failing,
            ranges,
        } = scratch;
        survivors.clear();
        survivors.extend_from_slice(&self.live);
        if self.filtering {
            self.filter(view, survivors, failing, ranges);
        } else {
            self.scan(view, survivors);
        }
        let anchor_repeats = self
            .anchor
            .as_ref()
            .is_some_and(|(attr, _)| view.get(*attr).is_some_and(|values| values.len() > 1));
        for (index, &word) in survivors.iter().enumerate() {
            let exact = self.exact[index];
            let repeating = self.repeat_always[index]
                | if anchor_repeats {
                    self.repeat_if_several[index]
                } else {
                    0
                };
            let mut bits = word;
            while bits != 0 {
                let bit = bits & bits.wrapping_neg();
                let slot = index * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                visit(Candidate {
                    sub: self.subs[slot],
                    unchecked: (exact & bit == 0).then(|| self.conjunctions[slot]),
                    unique: repeating & bit == 0,
                });
            }
        }
    }
}

impl Cluster {
    /// Clears in `survivors` the slots the filters rule out.
    fn filter(
        &self,
        view: &EventView<'_>,
        survivors: &mut [u64],
        failing: &mut Vec<u64>,
        ranges: &mut ranges::Scratch,
    ) {
        for (attr, required) in &self.required {
            if view.get(*attr).is_none() {
                for (word, required) in survivors.iter_mut().zip(required) {
                    *word &= !required;
                }
            }
        }
        self.equality.prune(view, survivors, failing);
        self.patterns.prune(view, survivors);
        self.ranges.prune(view, survivors, ranges);
    }

    /// Clears in `survivors` the slots with an atom `view` fails.
    fn scan(&self, view: &EventView<'_>, survivors: &mut [u64]) {
        for (index, word) in survivors.iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let slot = index * 64 + bits.trailing_zeros() as usize;
                let bit = bits & bits.wrapping_neg();
                bits &= bits - 1;
                if !self.scanned[slot].matches(view) {
                    *word &= !bit;
                }
            }
        }
    }
}

/// A conjunction's atoms as a scanning cluster keeps them: thresholds first, each also as a
/// number to compare the event's numbers with (as the range filter would), then the others.
#[derive(Debug, Default)]
struct ScannedAtoms {
    atoms: Box<[CompiledAtom]>,
    /// The thresholds of the first `thresholds.len()` atoms.
    thresholds: Box<[(AttrId, Side, f64)]>,
}

impl ScannedAtoms {
    fn new(atoms: &[CompiledAtom]) -> Self {
        let (mut ordered, rest): (Vec<_>, Vec<_>) =
            atoms.iter().cloned().partition(|a| a.threshold.is_some());
        let thresholds = ordered
            .iter()
            .filter_map(|a| a.threshold.map(|(side, t)| (a.attr, side, t)))
            .collect();
        ordered.extend(rest);
        ScannedAtoms {
            atoms: ordered.into_boxed_slice(),
            thresholds,
        }
    }

    fn matches(&self, view: &EventView<'_>) -> bool {
        self.thresholds
            .iter()
            .all(|&(attr, side, t)| view.span(attr).is_some_and(|span| !side.fails(t, span)))
            && self.atoms[self.thresholds.len()..]
                .iter()
                .all(|atom| atom.matches(view))
    }
}

/// Whether the filters decide `atom` exactly, among the atoms of its conjunction the cluster
/// must decide: a threshold, a positive regex, `exists`, a negated equality or in-list atom, or
/// the only positive equality or in-list atom on its attribute (two of them may need two
/// different values, which the equality filter does not check).
pub(crate) fn is_decided(atom: &CompiledAtom, atoms: &[CompiledAtom]) -> bool {
    if atom.threshold.is_some() || forbidden(atom).is_some() {
        return true;
    }
    if atom.negated {
        return false;
    }
    if positive_pattern(atom).is_some() || atom.test == Test::Exists {
        return true;
    }
    accepted(atom).is_some()
        && atoms
            .iter()
            .filter(|a| a.attr == atom.attr && accepted(a).is_some())
            .count()
            == 1
}
