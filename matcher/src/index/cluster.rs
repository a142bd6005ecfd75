//! A cluster: the conjunctions filed under one anchor (or none), in slots, with the range
//! filter that rules most of them out without looking at them.

use super::anchor::AnchorKey;
use super::compiled::{AttrId, CompiledConjunction, EventView};
use super::equality::EqualityFilter;
use super::ranges::{Pruned, RangeFilter};

pub(crate) type ConjId = u32;

/// Removed slots are recycled once there are this many (or a quarter of the live ones): their
/// thresholds are purged from the range filter in one pass, amortized over the removals.
const MIN_PURGE: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Cluster {
    /// `None` only for the unanchored cluster.
    pub(crate) anchor: Option<(AttrId, AnchorKey)>,
    /// The conjunction in each slot, if the slot is live.
    slots: Vec<Option<ConjId>>,
    /// One bit per live slot.
    live: Vec<u64>,
    /// Slots ready for reuse.
    free: Vec<u32>,
    /// Removed slots whose thresholds are still in the range filter; not reusable yet.
    removed: Vec<u32>,
    ranges: RangeFilter,
    equality: EqualityFilter,
    /// Per attribute (sorted by id), the slots with a positive atom on it: they all fail when
    /// the event lacks the attribute, whatever the atom. The anchor's attribute is left out,
    /// since every event that reaches the cluster carries it.
    required: Vec<(AttrId, Vec<u64>)>,
    len: usize,
}

/// Buffers a match reuses across clusters.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    survivors: Vec<u64>,
    failing: Vec<u64>,
}

/// A conjunction that survived the range filter.
pub(crate) struct Candidate {
    pub(crate) conjunction: ConjId,
    /// Whether every threshold was applied to it, so that a conjunction made only of
    /// thresholds is known to match.
    pub(crate) pruned: Pruned,
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

    /// Files `conjunction` and returns its slot.
    pub(crate) fn insert(&mut self, id: ConjId, conjunction: &CompiledConjunction) -> u32 {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                if self.live.len() * 64 < self.slots.len() {
                    self.live.push(0);
                }
                (self.slots.len() - 1) as u32
            }
        };
        self.slots[slot as usize] = Some(id);
        self.live[slot as usize / 64] |= 1 << (slot % 64);
        self.ranges.add(slot, &conjunction.atoms, self.slots.len());
        // An anchored conjunction's first atom is its anchor, known to hold here.
        let unchecked = &conjunction.atoms[usize::from(self.anchor.is_some())..];
        self.equality.add(slot, unchecked, self.live.len());
        let anchor_attr = self.anchor.as_ref().map(|(attr, _)| *attr);
        for atom in conjunction
            .atoms
            .iter()
            .filter(|a| !a.negated && Some(a.attr) != anchor_attr)
        {
            let i = match self
                .required
                .binary_search_by_key(&atom.attr, |(attr, _)| *attr)
            {
                Ok(i) => i,
                Err(i) => {
                    self.required.insert(i, (atom.attr, Vec::new()));
                    i
                }
            };
            let bits = &mut self.required[i].1;
            if bits.len() < self.live.len() {
                bits.resize(self.live.len(), 0);
            }
            bits[slot as usize / 64] |= 1 << (slot % 64);
        }
        self.len += 1;
        slot
    }

    pub(crate) fn remove(&mut self, slot: u32, conjunction: &CompiledConjunction) {
        self.slots[slot as usize] = None;
        self.live[slot as usize / 64] &= !(1 << (slot % 64));
        self.ranges.remove(slot, &conjunction.atoms);
        self.equality.remove(slot, &conjunction.atoms);
        for atom in conjunction.atoms.iter().filter(|a| !a.negated) {
            if let Ok(i) = self
                .required
                .binary_search_by_key(&atom.attr, |(attr, _)| *attr)
            {
                self.required[i].1[slot as usize / 64] &= !(1 << (slot % 64));
            }
        }
        self.removed.push(slot);
        self.len -= 1;
        if self.removed.len() >= MIN_PURGE.max(self.len / 4) {
            self.purge();
        }
    }

    fn purge(&mut self) {
        let mut removed = vec![0u64; self.slots.len().div_ceil(64)];
        for &slot in &self.removed {
            removed[slot as usize / 64] |= 1 << (slot % 64);
        }
        let is_removed = |slot: u32| removed[slot as usize / 64] & (1 << (slot % 64)) != 0;
        self.ranges.purge(is_removed);
        self.equality.purge(is_removed);
        self.free.append(&mut self.removed);
    }

    /// Calls `visit` with every conjunction the presence, equality and range filters do not
    /// rule out for `view`. `scratch` holds buffers the caller reuses across clusters.
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
            survivors: scratch,
            failing,
        } = scratch;
        scratch.clear();
        scratch.extend_from_slice(&self.live);
        for (attr, required) in &self.required {
            if view.get(*attr).is_none() {
                for (word, required) in scratch.iter_mut().zip(required) {
                    *word &= !required;
                }
            }
        }
        self.equality.prune(view, scratch, failing);
        let pruned = self.ranges.prune(view, scratch);
        for (index, &word) in scratch.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let slot = index * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some(conjunction) = self.slots[slot] {
                    visit(Candidate {
                        conjunction,
                        pruned,
                    });
                }
            }
        }
    }
}
