//! The equality filter: rules out a cluster's conjunctions by their equality and in-list atoms,
//! plain or negated, on attributes other than the anchor's.
//!
//! For each attribute:
//!
//! - a slot with positive `==` or `in` atoms there is *listed* under each value they accept. If
//!   none of the event's values on the attribute is listed for the slot, every such atom fails,
//!   so the slots to rule out are the attribute's listed slots minus those found under the
//!   event's values: one pass over a bitset plus the lists of the event's own values. This is
//!   sound, and exact for a slot with one such atom on the attribute (with `x == 1 && x == 2`
//!   the slot survives an event with only `x: 1`; the index keeps such atoms undecided and
//!   checks them on survivors);
//! - a slot with negated ones (`!(x == 1)`, `!(x in [...])`) is *excluded* under each value
//!   they name: such an atom fails exactly when the event carries one of them, so the slots
//!   found under the event's values are ruled out, with no pass over a bitset. This is exact.

use super::compiled::{AttrId, CompiledAtom, EventView};
use super::value_map::ValueMap;
use crate::filter::{CmpOp, Test};
use crate::value::Value;

/// The values an equality or in-list atom names, negated or not.
fn named_values(atom: &CompiledAtom) -> Option<&[Value]> {
    match &atom.test {
        Test::Cmp(CmpOp::Eq, v) => Some(std::slice::from_ref(v)),
        Test::In(values) => Some(values),
        _ => None,
    }
}

/// The values a positive equality or in-list atom accepts.
pub(crate) fn accepted(atom: &CompiledAtom) -> Option<&[Value]> {
    named_values(atom).filter(|_| !atom.negated)
}

/// The values a negated equality or in-list atom forbids.
pub(crate) fn forbidden(atom: &CompiledAtom) -> Option<&[Value]> {
    named_values(atom).filter(|_| atom.negated)
}

#[derive(Debug)]
struct AttributeEquality {
    attr: AttrId,
    /// Slots listed under some value here.
    listed: Vec<u64>,
    /// Slots by accepted value; may name removed slots until the next purge.
    accepting: ValueMap<Vec<u32>>,
    /// Slots by forbidden value; may name removed slots until the next purge.
    forbidding: ValueMap<Vec<u32>>,
}

impl AttributeEquality {
    fn is_empty(&self) -> bool {
        self.listed.iter().all(|&w| w == 0) && self.forbidding.is_empty()
    }
}

#[derive(Debug, Default)]
pub(crate) struct EqualityFilter {
    /// Sorted by attribute id.
    attrs: Vec<AttributeEquality>,
}

/// Adds `slot` to the list under each of `values`, once (`1` and `1.0` share a list).
fn file_under(map: &mut ValueMap<Vec<u32>>, values: &[Value], slot: u32) {
    for value in values {
        let slots = map.get_or_insert_with(value, Vec::new);
        if slots.last() != Some(&slot) {
            slots.push(slot);
        }
    }
}

impl EqualityFilter {
    /// Files `slot` under the values its atoms name (the caller leaves out the anchor atom,
    /// which the cluster's lookup already checked). `words` is the cluster's bitset length.
    pub(crate) fn add(&mut self, slot: u32, atoms: &[CompiledAtom], words: usize) {
        for atom in atoms {
            let Some(values) = named_values(atom) else {
                continue;
            };
            let index = match self.attrs.binary_search_by_key(&atom.attr, |a| a.attr) {
                Ok(index) => index,
                Err(index) => {
                    let entry = AttributeEquality {
                        attr: atom.attr,
                        listed: Vec::new(),
                        accepting: ValueMap::default(),
                        forbidding: ValueMap::default(),
                    };
                    self.attrs.insert(index, entry);
                    index
                }
            };
            let entry = &mut self.attrs[index];
            if atom.negated {
                file_under(&mut entry.forbidding, values, slot);
                continue;
            }
            if entry.listed.len() < words {
                entry.listed.resize(words, 0);
            }
            entry.listed[slot as usize / 64] |= 1 << (slot % 64);
            file_under(&mut entry.accepting, values, slot);
        }
    }

    /// Unlists `slot`; its list entries stay until [`EqualityFilter::purge`], and the slot is
    /// not reused before then.
    pub(crate) fn remove(&mut self, slot: u32) {
        for entry in &mut self.attrs {
            if let Some(word) = entry.listed.get_mut(slot as usize / 64) {
                *word &= !(1 << (slot % 64));
            }
        }
    }

    /// Drops list entries of removed slots.
    pub(crate) fn purge(&mut self, removed: impl Fn(u32) -> bool) {
        for entry in &mut self.attrs {
            for map in [&mut entry.accepting, &mut entry.forbidding] {
                map.retain(|slots| {
                    slots.retain(|&s| !removed(s));
                    !slots.is_empty()
                });
            }
        }
        self.attrs.retain(|entry| !entry.is_empty());
    }

    /// Clears in `survivors` the slots whose equality atoms fail for `view`. `failing` is a
    /// scratch buffer.
    pub(crate) fn prune(
        &self,
        view: &EventView<'_>,
        survivors: &mut [u64],
        failing: &mut Vec<u64>,
    ) {
        for entry in &self.attrs {
            let values = view.get(entry.attr).unwrap_or_default();
            if !entry.listed.is_empty() {
                failing.clear();
                failing.extend_from_slice(&entry.listed);
                for value in values {
                    for &slot in entry.accepting.get(value).map_or(&[][..], |s| &s[..]) {
                        failing[slot as usize / 64] &= !(1 << (slot % 64));
                    }
                }
                for (word, fails) in survivors.iter_mut().zip(failing.iter()) {
                    *word &= !fails;
                }
            }
            for value in values {
                for &slot in entry.forbidding.get(value).map_or(&[][..], |s| &s[..]) {
                    if let Some(word) = survivors.get_mut(slot as usize / 64) {
                        *word &= !(1 << (slot % 64));
                    }
                }
            }
        }
    }
}
