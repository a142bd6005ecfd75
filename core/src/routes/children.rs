//! The filters a node has learned from its children: one entry per route (a subscription, or
//! a subscription toward one rendezvous), naming the children that announced it (usually one;
//! two while a tree turns), each with its lease, and one index over all of them, so an event is
//! matched once per node rather than once per child.

use std::collections::BTreeSet;
use std::sync::Arc;

use foldhash::HashMap;
use sift_matcher::{Event, Filter, SubscriptionIndex};

use crate::id::NodeId;
use crate::strategy::Micros;

use super::{RouteKey, RouteTag};

/// A subscription as children announced it. The parsed filter lives only in the index: the
/// text is enough to announce it onward, and is parsed again in the rare case it must be
/// offered anew (a new parent, a coverer gone).
#[derive(Debug)]
pub struct Learned {
    pub text: Arc<str>,
    pub expires: Option<Micros>,
    /// The children holding it.
    holders: Vec<Holder>,
}

/// A child holding a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    pub child: NodeId,
    /// When its lease runs out.
    pub until: Micros,
    /// The child's tag for the route, if it gave one (see [`super::RouteTag`]).
    pub tag: Option<RouteTag>,
}

/// What [`ChildTables::learn`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Learnt {
    /// A subscription this node did not know.
    New,
    /// Known already, now also (or again) from this child.
    Known,
    /// Known with another filter, which this one replaces.
    Changed,
    /// Refused: the table is full, or another child holds the route with another filter.
    Refused,
}

/// Bounded by `max_entries` routes: an announcement past the bound is refused (and the
/// subtree's events for it are lost until room frees), so a peer cannot make the node grow
/// without end.
///
/// Entries live in a vector under dense ids, and the index is keyed by those ids: a match
/// leads straight to the entry and its holders. Keyed by route, every matched route cost
/// another hash lookup of a 40-byte key in a table that, among thousands of nodes, is never
/// in cache; that lookup was the largest cost of forwarding an event.
#[derive(Debug)]
pub struct ChildTables<R> {
    ids: HashMap<R, EntryId>,
    /// By id; `None` for a free id.
    entries: Vec<Option<(R, Learned)>>,
    free: Vec<EntryId>,
    index: SubscriptionIndex<EntryId>,
    /// Routes each child holds, so that a peer holding none costs nothing to drop.
    holdings: HashMap<NodeId, usize>,
    max_entries: usize,
}

type EntryId = u32;

impl<R: RouteKey> ChildTables<R> {
    pub fn new(max_entries: usize) -> Self {
        ChildTables {
            ids: HashMap::default(),
            entries: Vec::new(),
            free: Vec::new(),
            index: SubscriptionIndex::new(),
            holdings: HashMap::default(),
            max_entries,
        }
    }

    fn hold(&mut self, child: NodeId) {
        *self.holdings.entry(child).or_default() += 1;
    }

    fn unhold(&mut self, child: &NodeId) {
        if let Some(count) = self.holdings.get_mut(child) {
            *count -= 1;
            if *count == 0 {
                self.holdings.remove(child);
            }
        }
    }

    fn entry(&self, id: EntryId) -> &(R, Learned) {
        self.entries[id as usize]
            .as_ref()
            .expect("ids name live entries")
    }

    fn learned_mut(&mut self, sub: &R) -> Option<&mut Learned> {
        let id = *self.ids.get(sub)?;
        self.entries[id as usize]
            .as_mut()
            .map(|(_, learned)| learned)
    }

    /// Every live entry.
    fn live(&self) -> impl Iterator<Item = &(R, Learned)> {
        self.entries.iter().flatten()
    }

    /// Routes held.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn get(&self, sub: &R) -> Option<&Learned> {
        self.ids.get(sub).map(|&id| &self.entry(id).1)
    }

    /// Every route held, in order.
    pub fn subs(&self) -> Vec<R> {
        let mut subs: Vec<R> = self.ids.keys().copied().collect();
        subs.sort_unstable();
        subs
    }

    /// Takes in `holder`'s announcement of `sub` with its parsed `filter`.
    pub fn learn(
        &mut self,
        holder: Holder,
        sub: R,
        text: Arc<str>,
        filter: &Filter,
        expires: Option<Micros>,
    ) -> Learnt {
        let child = holder.child;
        let full = self.ids.len() >= self.max_entries;
        let Some(&id) = self.ids.get(&sub) else {
            if full {
                return Learnt::Refused;
            }
            let learned = Learned {
                text,
                expires,
                holders: vec![holder],
            };
            let id = match self.free.pop() {
                Some(id) => {
                    self.entries[id as usize] = Some((sub, learned));
                    id
                }
                None => {
                    self.entries.push(Some((sub, learned)));
                    (self.entries.len() - 1) as EntryId
                }
            };
            self.ids.insert(sub, id);
            self.hold(child);
            self.index.insert(id, filter);
            return Learnt::New;
        };
        let (_, learned) = self.entries[id as usize]
            .as_mut()
            .expect("ids name live entries");
        if learned.text == text {
            learned.expires = expires;
            match learned.holders.iter_mut().find(|h| h.child == child) {
                Some(known) => {
                    known.until = holder.until;
                    // A child's tags only grow: a late copy of an older announcement must not
                    // bring back the tag a newer one replaced.
                    known.tag = known.tag.max(holder.tag);
                }
                None => {
                    learned.holders.push(holder);
                    self.hold(child);
                }
            }
            return Learnt::Known;
        }
        // Only a child holding the route may change its filter: another peer naming it must
        // not take it over.
        if !learned.holders.iter().any(|h| h.child == child) {
            return Learnt::Refused;
        }
        let before = std::mem::replace(
            learned,
            Learned {
                text,
                expires,
                holders: vec![holder],
            },
        );
        for old in &before.holders {
            self.unhold(&old.child);
        }
        self.hold(child);
        self.index.insert(id, filter);
        Learnt::Changed
    }

    /// Extends `child`'s lease on `sub`; returns false if the child does not hold it.
    pub fn refresh(&mut self, child: &NodeId, sub: &R, lease: Micros) -> bool {
        let holder = self
            .learned_mut(sub)
            .and_then(|l| l.holders.iter_mut().find(|h| h.child == *child));
        match holder {
            Some(holder) => {
                holder.until = holder.until.max(lease);
                true
            }
            None => false,
        }
    }

    /// `child` no longer holds `sub`; returns true if no child does any more (the entry is
    /// gone).
    pub fn forget(&mut self, child: &NodeId, sub: &R) -> bool {
        let Some(learned) = self.learned_mut(sub) else {
            return false;
        };
        let before = learned.holders.len();
        learned.holders.retain(|h| h.child != *child);
        if learned.holders.len() == before {
            return false;
        }
        let gone = learned.holders.is_empty();
        self.unhold(child);
        if !gone {
            return false;
        }
        let id = self.ids.remove(sub).expect("a learned route has an id");
        self.entries[id as usize] = None;
        self.free.push(id);
        self.index.remove(&id);
        true
    }

    /// `child` stops holding anything at `until` at the latest: its leases are cut short.
    pub fn release_child(&mut self, child: &NodeId, until: Micros) {
        for (_, learned) in self.entries.iter_mut().flatten() {
            for holder in &mut learned.holders {
                if holder.child == *child {
                    holder.until = holder.until.min(until);
                }
            }
        }
    }

    /// `child` holds nothing any more; returns the routes now gone, in route order.
    pub fn drop_child(&mut self, child: &NodeId) -> Vec<R> {
        if !self.holdings.contains_key(child) {
            return Vec::new();
        }
        let held: Vec<R> = self
            .live()
            .filter(|(_, l)| l.holders.iter().any(|h| h.child == *child))
            .map(|&(sub, _)| sub)
            .collect();
        let mut gone: Vec<R> = held
            .into_iter()
            .filter(|sub| self.forget(child, sub))
            .collect();
        gone.sort_unstable();
        gone
    }

    /// Holdings whose lease, or whose subscription's expiry, has passed at `now`, in
    /// (subscription, child) order.
    pub fn lapsed(&self, now: Micros) -> Vec<(R, NodeId)> {
        let mut lapsed: Vec<(R, NodeId)> = self
            .live()
            .flat_map(|&(sub, ref l)| {
                let expired = l.expires.is_some_and(|at| at <= now);
                l.holders
                    .iter()
                    .filter(move |h| expired || h.until <= now)
                    .map(move |h| (sub, h.child))
            })
            .collect();
        lapsed.sort_unstable();
        lapsed
    }

    /// The children holding each route whose filter matches `event`, route by route in no
    /// particular order.
    pub fn matching_holders(&self, event: &Event) -> impl Iterator<Item = &Holder> {
        self.index
            .matches(event)
            .into_iter()
            .flat_map(|&id| self.entry(id).1.holders.iter())
    }

    /// The children holding `route`.
    pub fn holders(&self, route: &R) -> impl Iterator<Item = &Holder> {
        self.get(route).into_iter().flat_map(|l| l.holders.iter())
    }

    /// The children holding a route that `along` accepts and whose filter matches `event`, in
    /// key order.
    pub fn interested(&self, event: &Event, along: impl Fn(&R) -> bool) -> BTreeSet<NodeId> {
        self.index
            .matches(event)
            .into_iter()
            .map(|&id| self.entry(id))
            .filter(|(route, _)| along(route))
            .flat_map(|(_, l)| l.holders.iter().map(|h| h.child))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SubId;

    fn node(n: u8) -> NodeId {
        NodeId::from_bytes([n; 32])
    }

    fn sub(seq: u64) -> SubId {
        SubId {
            origin: node(9),
            seq,
        }
    }

    fn learn(
        tables: &mut ChildTables<SubId>,
        child: u8,
        seq: u64,
        text: &str,
        lease: Micros,
    ) -> Learnt {
        let filter = Filter::parse(text).unwrap();
        let holder = Holder {
            child: node(child),
            until: lease,
            tag: None,
        };
        tables.learn(holder, sub(seq), text.into(), &filter, None)
    }

    #[test]
    fn holders_leases_and_matching() {
        let mut tables = ChildTables::new(10);
        assert_eq!(learn(&mut tables, 1, 1, "x > 1", 100), Learnt::New);
        assert_eq!(learn(&mut tables, 2, 1, "x > 1", 50), Learnt::Known);
        assert_eq!(learn(&mut tables, 3, 2, "y > 1", 100), Learnt::New);
        let event = sift_matcher::Event::from_json(r#"{"x": 5}"#, &Default::default()).unwrap();
        assert_eq!(
            tables.interested(&event, |_| true),
            BTreeSet::from([node(1), node(2)])
        );
        assert_eq!(tables.lapsed(60), vec![(sub(1), node(2))]);
        assert!(tables.refresh(&node(2), &sub(1), 200));
        assert!(!tables.refresh(&node(3), &sub(1), 200));
        assert!(tables.lapsed(60).is_empty());
        assert!(!tables.forget(&node(1), &sub(1)));
        assert!(tables.forget(&node(2), &sub(1)));
        assert_eq!(tables.drop_child(&node(3)), vec![sub(2)]);
        assert_eq!(tables.len(), 0);
        assert!(tables.interested(&event, |_| true).is_empty());
    }

    #[test]
    fn a_changed_filter_replaces_the_old_and_the_bound_holds() {
        let mut tables = ChildTables::new(1);
        learn(&mut tables, 1, 1, "x > 1", 100);
        assert_eq!(learn(&mut tables, 1, 1, "x < 1", 100), Learnt::Changed);
        // A child that does not hold it cannot change it.
        assert_eq!(learn(&mut tables, 2, 1, "x == 7", 100), Learnt::Refused);
        let event = sift_matcher::Event::from_json(r#"{"x": 5}"#, &Default::default()).unwrap();
        assert!(tables.interested(&event, |_| true).is_empty());
        assert_eq!(learn(&mut tables, 1, 2, "x > 1", 100), Learnt::Refused);
    }
}
