//! The filters a node has learned from its children, one table per child, each entry leased.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sift_matcher::{Event, Filter, SubscriptionIndex};

use crate::id::{NodeId, SubId};
use crate::strategy::Micros;

/// A subscription as a child announced it.
#[derive(Debug)]
pub(super) struct Learned {
    pub(super) filter: Arc<Filter>,
    pub(super) text: Arc<str>,
    pub(super) expires: Option<Micros>,
    /// The entry is dropped at this time unless the child refreshes it first.
    pub(super) lease: Micros,
}

#[derive(Debug, Default)]
struct ChildTable {
    entries: HashMap<SubId, Learned>,
    index: SubscriptionIndex<SubId>,
}

/// Per child, the subscriptions of its subtree. Bounded by [`ChildTables::max_entries`]: an
/// announcement past the bound is refused (and the subtree's events for it are lost until
/// room frees), so a peer cannot make the node grow without end.
#[derive(Debug)]
pub(super) struct ChildTables {
    tables: BTreeMap<NodeId, ChildTable>,
    entries: usize,
    max_entries: usize,
}

impl ChildTables {
    pub(super) fn new(max_entries: usize) -> Self {
        ChildTables {
            tables: BTreeMap::new(),
            entries: 0,
            max_entries,
        }
    }

    pub(super) fn entries(&self) -> usize {
        self.entries
    }

    pub(super) fn children(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.tables.keys().copied()
    }

    pub(super) fn get(&self, child: &NodeId, sub: &SubId) -> Option<&Learned> {
        self.tables.get(child)?.entries.get(sub)
    }

    /// Adds or replaces an entry; returns false if the bound refused it.
    pub(super) fn learn(&mut self, child: NodeId, sub: SubId, learned: Learned) -> bool {
        let table = self.tables.entry(child).or_default();
        if !table.entries.contains_key(&sub) {
            if self.entries >= self.max_entries {
                return false;
            }
            self.entries += 1;
        }
        table.index.insert(sub, &learned.filter);
        table.entries.insert(sub, learned);
        true
    }

    /// Extends the lease of `sub` from `child`; returns false if the entry is unknown.
    pub(super) fn refresh(&mut self, child: &NodeId, sub: &SubId, lease: Micros) -> bool {
        match self
            .tables
            .get_mut(child)
            .and_then(|t| t.entries.get_mut(sub))
        {
            Some(learned) => {
                learned.lease = learned.lease.max(lease);
                true
            }
            None => false,
        }
    }

    pub(super) fn forget(&mut self, child: &NodeId, sub: &SubId) -> Option<Learned> {
        let table = self.tables.get_mut(child)?;
        let learned = table.entries.remove(sub)?;
        table.index.remove(sub);
        self.entries -= 1;
        if table.entries.is_empty() {
            self.tables.remove(child);
        }
        Some(learned)
    }

    /// Drops a child's whole table; returns the subscriptions it held, in id order.
    pub(super) fn drop_child(&mut self, child: &NodeId) -> Vec<SubId> {
        let Some(table) = self.tables.remove(child) else {
            return Vec::new();
        };
        self.entries -= table.entries.len();
        let mut subs: Vec<SubId> = table.entries.into_keys().collect();
        subs.sort_unstable();
        subs
    }

    /// Entries whose lease or expiry has passed at `now`, in (child, id) order.
    pub(super) fn lapsed(&self, now: Micros) -> Vec<(NodeId, SubId)> {
        let mut lapsed = Vec::new();
        for (&child, table) in &self.tables {
            let mut subs: Vec<SubId> = table
                .entries
                .iter()
                .filter(|(_, l)| l.lease <= now || l.expires.is_some_and(|at| at <= now))
                .map(|(&sub, _)| sub)
                .collect();
            subs.sort_unstable();
            lapsed.extend(subs.into_iter().map(|sub| (child, sub)));
        }
        lapsed
    }

    /// Whether some filter learned from `child` matches `event`.
    pub(super) fn wants(&self, child: &NodeId, event: &Event) -> bool {
        self.tables
            .get(child)
            .is_some_and(|table| !table.index.matches(event).is_empty())
    }
}
