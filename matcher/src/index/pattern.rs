//! The pattern filter: rules out a cluster's conjunctions by their regex atoms, evaluating each
//! distinct pattern once per event instead of once per conjunction.

use super::compiled::{AttrId, CompiledAtom, EventView};
use crate::filter::{Pattern, Test};

/// The slots with a positive regex atom of one pattern on one attribute.
#[derive(Debug)]
struct PatternSlots {
    attr: AttrId,
    /// Patterns are shared by the index (see `PatternTable`), so equal patterns are one
    /// allocation and its address identifies them.
    pattern: Pattern,
    slots: Vec<u64>,
}

impl PatternSlots {
    fn is(&self, attr: AttrId, pattern: &Pattern) -> bool {
        self.attr == attr && std::ptr::eq(self.pattern.as_str(), pattern.as_str())
    }
}

#[derive(Debug, Default)]
pub(crate) struct PatternFilter {
    entries: Vec<PatternSlots>,
}

/// The pattern of a positive regex atom.
pub(crate) fn positive_pattern(atom: &CompiledAtom) -> Option<&Pattern> {
    match &atom.test {
        Test::Regex(pattern) if !atom.negated => Some(pattern),
        _ => None,
    }
}

impl PatternFilter {
    pub(crate) fn add(&mut self, slot: u32, atoms: &[CompiledAtom], words: usize) {
        for atom in atoms {
            let Some(pattern) = positive_pattern(atom) else {
                continue;
            };
            let index = match self.entries.iter().position(|e| e.is(atom.attr, pattern)) {
                Some(index) => index,
                None => {
                    let entry = PatternSlots {
                        attr: atom.attr,
                        pattern: pattern.clone(),
                        slots: Vec::new(),
                    };
                    self.entries.push(entry);
                    self.entries.len() - 1
                }
            };
            let slots = &mut self.entries[index].slots;
            if slots.len() < words {
                slots.resize(words, 0);
            }
            slots[slot as usize / 64] |= 1 << (slot % 64);
        }
    }

    /// Unlists `slot`; an entry left without slots is dropped, so the filter holds only
    /// patterns in use.
    pub(crate) fn remove(&mut self, slot: u32) {
        let (word, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        self.entries
            .retain_mut(|entry| match entry.slots.get_mut(word) {
                Some(bits) if *bits & bit != 0 => {
                    *bits &= !bit;
                    entry.slots.iter().any(|&w| w != 0)
                }
                _ => true,
            });
    }

    /// Clears in `survivors` the slots whose regex atom fails for `view`.
    pub(crate) fn prune(&self, view: &EventView<'_>, survivors: &mut [u64]) {
        for entry in &self.entries {
            if !view.regex_holds(entry.attr, &entry.pattern) {
                for (word, slots) in survivors.iter_mut().zip(&entry.slots) {
                    *word &= !slots;
                }
            }
        }
    }
}
