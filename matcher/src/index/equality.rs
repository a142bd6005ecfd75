//! The equality filter: rules out a cluster's conjunctions by their equality and in-list atoms
//! on attributes other than the anchor's.
//!
//! For each attribute, a slot with positive `==` or `in` atoms there is listed under each value
//! they accept. If none of the event's values on that attribute is listed for the slot, every
//! such atom fails, so the slots to rule out are the attribute's listed slots minus those found
//! under the event's values: one pass over a bitset plus the lists of the event's own values.
//! The filter is sound, not exact (a slot with `x == 1 && x == 2` survives an event with only
//! `x: 1`): conjunctions with such atoms are always checked in full after it.

use super::compiled::{AttrId, CompiledAtom, EventView};
use super::value_map::ValueMap;
use crate::filter::{CmpOp, Test};
use crate::value::Value;

/// The values an atom accepts, if it is an equality or in-list atom.
pub(crate) fn accepted(atom: &CompiledAtom) -> Option<&[Value]> {
    match &atom.test {
        _ if atom.negated => None,
        Test::Cmp(CmpOp::Eq, v) => Some(std::slice::from_ref(v)),
        Test::In(values) => Some(values),
        _ => None,
    }
}

#[derive(Debug)]
struct AttributeEquality {
    attr: AttrId,
    /// Slots listed under some value here.
    listed: Vec<u64>,
    /// Slots by accepted value; may name removed slots until the next purge.
    by_value: ValueMap<Vec<u32>>,
}

#[derive(Debug, Default)]
pub(crate) struct EqualityFilter {
    /// Sorted by attribute id.
    attrs: Vec<AttributeEquality>,
}

impl EqualityFilter {
    /// Lists `slot` under the accepted values of `atoms` (skipping the anchor atom, which the
    /// cluster's lookup already checked). `words` is the cluster's bitset length.
    pub(crate) fn add(&mut self, slot: u32, atoms: &[CompiledAtom], words: usize) {
        for atom in atoms {
            let Some(values) = accepted(atom) else {
                continue;
            };
            let index = match self.attrs.binary_search_by_key(&atom.attr, |a| a.attr) {
                Ok(index) => index,
                Err(index) => {
                    let entry = AttributeEquality {
                        attr: atom.attr,
                        listed: Vec::new(),
                        by_value: ValueMap::default(),
                    };
                    self.attrs.insert(index, entry);
                    index
                }
            };
            let entry = &mut self.attrs[index];
            if entry.listed.len() < words {
                entry.listed.resize(words, 0);
            }
            entry.listed[slot as usize / 64] |= 1 << (slot % 64);
            for value in values {
                let slots = entry.by_value.get_or_insert_with(value, Vec::new);
                // `1` and `1.0` in one list, or two atoms naming one value, share a key.
                if slots.last() != Some(&slot) {
                    slots.push(slot);
                }
            }
        }
    }

    /// Unlists `slot`; its list entries stay until [`EqualityFilter::purge`].
    pub(crate) fn remove(&mut self, slot: u32, atoms: &[CompiledAtom]) {
        for atom in atoms.iter().filter(|a| accepted(a).is_some()) {
            if let Ok(index) = self.attrs.binary_search_by_key(&atom.attr, |a| a.attr)
                && let Some(word) = self.attrs[index].listed.get_mut(slot as usize / 64)
            {
                *word &= !(1 << (slot % 64));
            }
        }
    }

    /// Drops list entries of removed slots.
    pub(crate) fn purge(&mut self, removed: impl Fn(u32) -> bool) {
        for entry in &mut self.attrs {
            entry.by_value.retain(|slots| {
                slots.retain(|&s| !removed(s));
                !slots.is_empty()
            });
        }
        self.attrs
            .retain(|entry| entry.listed.iter().any(|&w| w != 0));
    }

    /// Clears in `survivors` the slots whose equality atom fails for `view`. `failing` is a
    /// scratch buffer.
    pub(crate) fn prune(
        &self,
        view: &EventView<'_>,
        survivors: &mut [u64],
        failing: &mut Vec<u64>,
    ) {
        for entry in &self.attrs {
            failing.clear();
            failing.extend_from_slice(&entry.listed);
            for value in view.get(entry.attr).unwrap_or_default() {
                for &slot in entry.by_value.get(value).map_or(&[][..], |s| &s[..]) {
                    failing[slot as usize / 64] &= !(1 << (slot % 64));
                }
            }
            for (word, fails) in survivors.iter_mut().zip(failing.iter()) {
                *word &= !fails;
            }
        }
    }
}
