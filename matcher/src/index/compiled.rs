//! Conjunctions compiled against the index's attribute table, and the event view they are
//! checked against.

use std::collections::HashMap;

use crate::event::Event;
use crate::filter::Test;
use crate::normal::{Conjunction, Formula};
use crate::value::Value;

/// Dense id of an attribute name the index has seen in some filter.
pub(crate) type AttrId = u32;

/// Interns attribute names. Names are never forgotten while the index lives: they are bounded
/// by the filters that were inserted, and ids must stay stable for the clusters keyed by them.
#[derive(Debug, Default)]
pub(crate) struct AttrTable {
    ids: HashMap<Box<str>, AttrId>,
}

impl AttrTable {
    pub(crate) fn intern(&mut self, name: &str) -> AttrId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.ids.len() as AttrId;
        self.ids.insert(name.into(), id);
        id
    }

    pub(crate) fn get(&self, name: &str) -> Option<AttrId> {
        self.ids.get(name).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// The event's attributes that some filter mentions, by attribute id.
pub(crate) struct EventView<'e> {
    pub(crate) event: &'e Event,
    /// Sorted by id.
    pub(crate) attrs: Vec<(AttrId, &'e [Value])>,
}

impl<'e> EventView<'e> {
    pub(crate) fn new(event: &'e Event, table: &AttrTable) -> Self {
        let mut attrs: Vec<_> = event
            .attributes()
            .iter()
            .filter_map(|a| Some((table.get(a.name())?, a.values())))
            .collect();
        attrs.sort_unstable_by_key(|&(id, _)| id);
        EventView { event, attrs }
    }

    pub(crate) fn get(&self, attr: AttrId) -> Option<&'e [Value]> {
        self.attrs
            .binary_search_by_key(&attr, |&(id, _)| id)
            .ok()
            .map(|i| self.attrs[i].1)
    }
}

/// One atom with its attribute resolved to an id.
#[derive(Debug)]
pub(crate) struct CompiledAtom {
    pub(crate) attr: AttrId,
    pub(crate) negated: bool,
    pub(crate) test: Test,
}

impl CompiledAtom {
    pub(crate) fn matches(&self, view: &EventView<'_>) -> bool {
        view.get(self.attr)
            .is_some_and(|values| self.test.holds_any(values))
            != self.negated
    }
}

/// A conjunction ready to check: its atoms, and the residual formula (rare) evaluated on the
/// event directly.
#[derive(Debug)]
pub(crate) struct CompiledConjunction {
    pub(crate) atoms: Box<[CompiledAtom]>,
    pub(crate) residual: Option<Box<Formula>>,
}

impl CompiledConjunction {
    pub(crate) fn compile(conjunction: Conjunction, table: &mut AttrTable) -> Self {
        let atoms = conjunction
            .atoms
            .into_iter()
            .map(|a| CompiledAtom {
                attr: table.intern(a.predicate.path.key()),
                negated: a.negated,
                test: a.predicate.test,
            })
            .collect();
        CompiledConjunction {
            atoms,
            residual: conjunction.residual.map(Box::new),
        }
    }

    pub(crate) fn matches(&self, view: &EventView<'_>) -> bool {
        self.atoms.iter().all(|a| a.matches(view))
            && self.residual.as_ref().is_none_or(|r| r.matches(view.event))
    }
}
