//! The subscription index: which of many filters does an event match?
//!
//! Each filter is lowered to its normal form (a disjunction of conjunctions, see
//! [`crate::normal`]); each conjunction is compiled against the index's attribute table and
//! filed in one *cluster*:
//!
//! - a conjunction with an equality, a short in-list or a prefix is *anchored*: filed in the
//!   cluster of that value (or of each listed value), chosen among its anchorable atoms as the
//!   one whose clusters are smallest now;
//! - every other conjunction (ranges, negations, regexes only) goes to the unanchored cluster.
//!
//! An event visits the unanchored cluster and the clusters named by its own values. There the
//! cluster's filters rule out conjunctions by their atoms (module `cluster`); a survivor still
//! has to pass the atoms the filters do not decide, the only ones the index keeps besides what
//! the filters hold. So the index returns exactly the subscriptions whose filter matches (an
//! anchor only decides where a conjunction is checked, never whether), and subscriptions can
//! come and go at any time without a rebuild.
//!
//! Hash maps here use foldhash: several times faster than the standard SipHash on the short
//! keys an event is looked up by, and still seeded at random per process, so a peer cannot
//! choose values that collide.

mod anchor;
mod cluster;
mod compiled;
mod equality;
mod one_or_many;
mod pattern;
mod ranges;
#[cfg(test)]
mod tests;
mod value_map;

use std::hash::Hash;

use foldhash::HashMap;

use anchor::{AnchorKey, AttributeAnchors, ClusterId};
use cluster::{Cluster, ConjId, Repeats, is_decided};
use compiled::{AttrId, AttrTable, CompiledAtom, EventView, PatternTable, Undecided};
use one_or_many::OneOrMany;

use crate::event::Event;
use crate::filter::Filter;
use crate::normal::{Formula, NormalForm};

type SubSlot = u32;

/// The cluster that holds every conjunction without an anchor; it always exists.
const UNANCHORED: ClusterId = 0;

/// Maps subscription keys to filters and answers which keys an event matches.
#[derive(Debug)]
pub struct SubscriptionIndex<K> {
    attrs: AttrTable,
    patterns: PatternTable,
    /// By attribute id; grown as names are interned.
    anchors: Vec<AttributeAnchors>,
    slots: HashMap<K, SubSlot>,
    /// Each subscription's conjunctions, by subscription slot.
    subs: Slab<OneOrMany<ConjId>>,
    /// Subscription keys by slot. A removed subscription's key stays until its slot is reused
    /// (no cluster names the slot any more, so it is never returned): the key of a match is
    /// then found by address alone, where a checked slab entry cost a cache miss per match.
    keys: Vec<K>,
    conjunctions: Slab<FiledConjunction>,
    clusters: Slab<Cluster>,
}

#[derive(Debug)]
struct FiledConjunction {
    /// What a survivor of the cluster's filters still has to pass; `None` when the
    /// conjunction is exact (nothing is left), as most are.
    undecided: Option<Box<Undecided>>,
    /// Where the conjunction is filed: each cluster and its slot there.
    placements: OneOrMany<(ClusterId, u32)>,
}

/// Buffers for [`SubscriptionIndex::matches_with`], kept from one event to the next. An
/// event many subscriptions match needs them large, and a block of a size the allocator has
/// not handed out before comes from a fresh page: where the system backs memory with 2 MiB
/// pages, that page is zeroed (or memory compacted to find one) as it is first touched, which
/// cost one realistic event 6.6 ms where its matching takes 70 µs.
#[derive(Debug, Default)]
pub struct MatchBuffers {
    clusters: Vec<ClusterId>,
    matched: Vec<SubSlot>,
    repeatable: Vec<SubSlot>,
    scratch: cluster::Scratch,
}

impl<K: Hash + Eq + Clone> Default for SubscriptionIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq + Clone> SubscriptionIndex<K> {
    pub fn new() -> Self {
        let mut clusters = Slab::default();
        let unanchored = clusters.insert(Cluster::default());
        debug_assert_eq!(unanchored, UNANCHORED);
        SubscriptionIndex {
            attrs: AttrTable::default(),
            patterns: PatternTable::default(),
            anchors: Vec::new(),
            slots: HashMap::default(),
            subs: Slab::default(),
            keys: Vec::new(),
            conjunctions: Slab::default(),
            clusters,
        }
    }

    /// Number of subscriptions.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn contains(&self, key: &K) -> bool {
        self.slots.contains_key(key)
    }

    /// Adds a subscription, replacing any earlier one with the same key.
    pub fn insert(&mut self, key: K, filter: &Filter) {
        self.remove(&key);
        let sub = self.subs.next_key();
        let conjunctions =
            match compiled::compile_plain(filter.expr(), &mut self.attrs, &mut self.patterns) {
                Some(atoms) => OneOrMany::One(self.file(sub, atoms, None, true)),
                None => {
                    let satisfiable: Vec<_> = NormalForm::of(filter)
                        .conjunctions
                        .into_iter()
                        .filter(|c| !c.is_unsatisfiable())
                        .collect();
                    let single = satisfiable.len() == 1;
                    satisfiable
                        .into_iter()
                        .map(|conjunction| {
                            let (atoms, residual) =
                                compiled::compile(conjunction, &mut self.attrs, &mut self.patterns);
                            self.file(sub, atoms, residual, single)
                        })
                        .collect()
                }
            };
        let slot = self.subs.insert(conjunctions);
        debug_assert_eq!(slot, sub);
        match self.keys.get_mut(slot as usize) {
            Some(stale) => *stale = key.clone(),
            None => self.keys.push(key.clone()),
        }
        self.slots.insert(key, slot);
    }

    /// Removes a subscription; returns whether it was there.
    pub fn remove(&mut self, key: &K) -> bool {
        let Some(slot) = self.slots.remove(key) else {
            return false;
        };
        for &id in self.subs.remove(slot).as_slice() {
            let filed = self.conjunctions.remove(id);
            for &(cluster, slot) in filed.placements.as_slice() {
                self.unfile(cluster, slot);
            }
        }
        true
    }

    /// The keys of every subscription whose filter matches `event`, each once, in no
    /// particular order.
    pub fn matches(&self, event: &Event) -> Vec<&K> {
        self.matches_with(event, &mut MatchBuffers::default())
            .collect()
    }

    /// [`SubscriptionIndex::matches`], working in `buffers`, which a caller matching event
    /// after event keeps: then matching allocates nothing but what the event's view needs,
    /// however many subscriptions match.
    pub fn matches_with<'i, 'b>(
        &'i self,
        event: &Event,
        buffers: &'b mut MatchBuffers,
    ) -> impl ExactSizeIterator<Item = &'i K> + use<'i, 'b, K> {
        let MatchBuffers {
            clusters,
            matched,
            repeatable,
            scratch,
        } = buffers;
        let view = EventView::new(event, &self.attrs);
        // An event with repeated values, or values sharing a prefix anchor, names some
        // clusters twice; each is visited once.
        clusters.clear();
        clusters.push(UNANCHORED);
        for &(attr, values) in &view.attrs {
            if let Some(anchors) = self.anchors.get(attr as usize) {
                anchors.for_each_cluster(values, |cluster| clusters.push(cluster));
            }
        }
        clusters.sort_unstable();
        clusters.dedup();
        // A subscription filed once can match once; the others (several conjunctions, or an
        // in-list anchor filing one conjunction in several clusters) are deduplicated.
        matched.clear();
        repeatable.clear();
        for &cluster in clusters.iter() {
            self.clusters
                .get(cluster)
                .candidates(&view, scratch, |candidate| {
                    let matches = candidate.unchecked.is_none_or(|conjunction| {
                        let filed = self.conjunctions.get(conjunction);
                        filed.undecided.as_ref().is_none_or(|u| u.matches(&view))
                    });
                    if matches {
                        if candidate.unique {
                            matched.push(candidate.sub);
                        } else {
                            repeatable.push(candidate.sub);
                        }
                    }
                });
        }
        repeatable.sort_unstable();
        repeatable.dedup();
        matched.extend_from_slice(repeatable);
        matched.iter().map(|&slot| &self.keys[slot as usize])
    }

    /// Files a conjunction under its anchor (or in the unanchored cluster), keeping only what
    /// the cluster's filters leave undecided. `single`: it is its subscription's only
    /// conjunction.
    fn file(
        &mut self,
        sub: SubSlot,
        mut atoms: Vec<CompiledAtom>,
        residual: Option<Box<Formula>>,
        single: bool,
    ) -> ConjId {
        let chosen = anchor::choose(&atoms, |attr, key| {
            self.anchors
                .get(attr as usize)
                .and_then(|a| a.get(key))
                .map_or(0, |c| self.clusters.get(c).len())
        });
        let clusters: OneOrMany<ClusterId> = match chosen {
            None => OneOrMany::One(UNANCHORED),
            Some((atom, keys)) => {
                // Every event that reaches an anchored cluster passes its anchor.
                let anchor = atoms.swap_remove(atom);
                keys.into_iter()
                    .map(|key| self.anchored_cluster(anchor.attr, key))
                    .collect()
            }
        };
        let exact = residual.is_none() && atoms.iter().all(|a| is_decided(a, &atoms));
        let repeats = match (single, clusters.as_slice().len()) {
            (false, _) => Repeats::Always,
            (true, 1) => Repeats::Never,
            (true, _) => Repeats::IfSeveralAnchorValues,
        };
        let id = self.conjunctions.next_key();
        let placements = clusters
            .as_slice()
            .iter()
            .map(|&cluster| {
                let filed_in = self.clusters.get_mut(cluster);
                (cluster, filed_in.insert(id, sub, repeats, &atoms, exact))
            })
            .collect();
        // Most conjunctions are exact: nothing is left to keep, and nothing to decide again.
        let undecided = (!exact).then(|| {
            Box::new(Undecided {
                atoms: atoms
                    .iter()
                    .filter(|a| !is_decided(a, &atoms))
                    .cloned()
                    .collect(),
                residual,
            })
        });
        debug_assert!(undecided.as_ref().is_none_or(|u| !u.is_empty()));
        let filed = self.conjunctions.insert(FiledConjunction {
            undecided,
            placements,
        });
        debug_assert_eq!(filed, id);
        id
    }

    /// The cluster anchored at `key` on `attr`, created if needed.
    fn anchored_cluster(&mut self, attr: AttrId, key: AnchorKey) -> ClusterId {
        if self.anchors.len() < self.attrs.len() {
            self.anchors
                .resize_with(self.attrs.len(), AttributeAnchors::default);
        }
        let anchors = &mut self.anchors[attr as usize];
        if let Some(cluster) = anchors.get(&key) {
            return cluster;
        }
        let cluster = self.clusters.insert(Cluster::anchored(attr, key.clone()));
        anchors.insert(key, cluster);
        cluster
    }

    /// Takes a conjunction out of `cluster`; an anchored cluster left empty is dropped.
    fn unfile(&mut self, cluster: ClusterId, slot: u32) {
        let filed_in = self.clusters.get_mut(cluster);
        filed_in.remove(slot);
        if cluster != UNANCHORED && filed_in.len() == 0 {
            let emptied = self.clusters.remove(cluster);
            if let Some((attr, key)) = emptied.anchor {
                self.anchors[attr as usize].remove(&key);
            }
        }
    }
}

/// A vector with stable `u32` keys and a free list. Keys are dense, so they index plain
/// vectors, and reused, so memory stays bounded by the live entries' peak.
#[derive(Debug)]
struct Slab<T> {
    entries: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// The key the next `insert` will return.
    fn next_key(&self) -> u32 {
        self.free
            .last()
            .copied()
            .unwrap_or(self.entries.len() as u32)
    }

    fn insert(&mut self, value: T) -> u32 {
        match self.free.pop() {
            Some(key) => {
                self.entries[key as usize] = Some(value);
                key
            }
            None => {
                self.entries.push(Some(value));
                (self.entries.len() - 1) as u32
            }
        }
    }

    fn remove(&mut self, key: u32) -> T {
        let value = self.entries[key as usize]
            .take()
            .expect("removing a live slab entry");
        self.free.push(key);
        value
    }

    fn get(&self, key: u32) -> &T {
        self.entries[key as usize]
            .as_ref()
            .expect("a live slab entry")
    }

    fn get_mut(&mut self, key: u32) -> &mut T {
        self.entries[key as usize]
            .as_mut()
            .expect("a live slab entry")
    }
}
