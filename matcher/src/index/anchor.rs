//! Anchors: the positive atoms an index can look up by hash from an event's values.
//!
//! A conjunction with an equality, a short in-list or a prefix on some attribute can only match
//! events that carry one of a few values (or prefixes) there. Filing the conjunction under those
//! keys lets an event visit just the clusters its own values name.

use std::collections::BTreeMap;

use foldhash::HashMap;

use super::compiled::{AttrId, CompiledAtom};
use super::value_map::ValueMap;
use crate::filter::{CmpOp, Test};
use crate::value::Value;

/// An in-list longer than this is not used as an anchor: filing the conjunction under every
/// value would cost more than it saves.
pub(crate) const MAX_IN_LIST_ANCHORS: usize = 8;

pub(crate) type ClusterId = u32;

/// One anchor key on an attribute.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AnchorKey {
    /// The attribute has a value equal (under the language's equality) to this one.
    Equal(Value),
    /// The attribute has a string value starting with this.
    Prefix(Box<str>),
}

impl AnchorKey {
    /// The keys an atom can be anchored under, if any: an event that passes the atom carries one
    /// of them. Listed values that are equal (`1` and `1.0`) give one key.
    pub(crate) fn of_atom(test: &Test) -> Option<Vec<AnchorKey>> {
        match test {
            Test::Cmp(CmpOp::Eq, v) => Some(vec![AnchorKey::Equal(v.clone())]),
            Test::In(values) if values.len() <= MAX_IN_LIST_ANCHORS => {
                let mut distinct: Vec<&Value> = Vec::with_capacity(values.len());
                for v in values.iter() {
                    if !distinct.iter().any(|d| d.equals(v)) {
                        distinct.push(v);
                    }
                }
                Some(
                    distinct
                        .into_iter()
                        .map(|v| AnchorKey::Equal(v.clone()))
                        .collect(),
                )
            }
            Test::Prefix(p) if !p.is_empty() => Some(vec![AnchorKey::Prefix(p.clone())]),
            _ => None,
        }
    }
}

/// The clusters anchored on one attribute.
#[derive(Debug, Default)]
pub(crate) struct AttributeAnchors {
    equal: ValueMap<ClusterId>,
    prefixes: HashMap<Box<str>, ClusterId>,
    /// Byte lengths of the prefix anchors, with how many anchors have each length: an event's
    /// string is looked up once per length present.
    prefix_lengths: BTreeMap<usize, u32>,
}

impl AttributeAnchors {
    pub(crate) fn get(&self, key: &AnchorKey) -> Option<ClusterId> {
        match key {
            AnchorKey::Equal(v) => self.equal.get(v).copied(),
            AnchorKey::Prefix(p) => self.prefixes.get(p).copied(),
        }
    }

    pub(crate) fn insert(&mut self, key: AnchorKey, cluster: ClusterId) {
        match key {
            AnchorKey::Equal(v) => *self.equal.get_or_insert_with(&v, || cluster) = cluster,
            AnchorKey::Prefix(p) => {
                *self.prefix_lengths.entry(p.len()).or_default() += 1;
                self.prefixes.insert(p, cluster);
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &AnchorKey) {
        match key {
            AnchorKey::Equal(v) => {
                self.equal.remove(v);
            }
            AnchorKey::Prefix(p) => {
                if self.prefixes.remove(p).is_some()
                    && let Some(count) = self.prefix_lengths.get_mut(&p.len())
                {
                    *count -= 1;
                    if *count == 0 {
                        self.prefix_lengths.remove(&p.len());
                    }
                }
            }
        }
    }

    /// Calls `visit` with every cluster whose anchor one of `values` satisfies.
    pub(crate) fn for_each_cluster(&self, values: &[Value], mut visit: impl FnMut(ClusterId)) {
        for value in values {
            if let Value::Str(s) = value {
                for &len in self.prefix_lengths.keys() {
                    if len > s.len() {
                        break;
                    }
                    if let Some(prefix) = s.get(..len)
                        && let Some(&cluster) = self.prefixes.get(prefix)
                    {
                        visit(cluster);
                    }
                }
            }
            if let Some(&cluster) = self.equal.get(value) {
                visit(cluster);
            }
        }
    }
}

/// The anchor a conjunction is filed under: the positive atom whose keys' clusters are smallest
/// now, so that large clusters stop growing when a more selective anchor exists. Returns the
/// atom's index and its keys.
pub(crate) fn choose(
    atoms: &[CompiledAtom],
    cluster_size: impl Fn(AttrId, &AnchorKey) -> usize,
) -> Option<(usize, Vec<AnchorKey>)> {
    atoms
        .iter()
        .enumerate()
        // A threshold is never an anchor; most atoms of range-heavy filters are one.
        .filter(|(_, a)| !a.negated && a.threshold.is_none())
        .filter_map(|(i, a)| Some((i, a.attr, AnchorKey::of_atom(&a.test)?)))
        .min_by_key(|(_, attr, keys)| {
            keys.iter()
                .map(|k| cluster_size(*attr, k) + 1)
                .sum::<usize>()
        })
        .map(|(i, _, keys)| (i, keys))
}
