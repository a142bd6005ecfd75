//! Anchors: the positive atoms an index can look up by hash from an event's values.
//!
//! A conjunction with an equality, a short in-list or a prefix on some attribute can only match
//! events that carry one of a few values (or prefixes) there. Filing the conjunction under those
//! keys lets an event visit just the clusters its own values name.

use std::collections::{BTreeMap, HashMap};

use super::compiled::{AttrId, CompiledConjunction};
use crate::filter::{CmpOp, Test};
use crate::value::Value;

/// An in-list longer than this is not used as an anchor: filing the conjunction under every
/// value would cost more than it saves.
pub(crate) const MAX_IN_LIST_ANCHORS: usize = 8;

pub(crate) type ClusterId = u32;

/// A number as a hash key: numerically equal values (`1`, `1.0`, `-0.0` and `0`) give equal keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum NumberKey {
    Int(i64),
    /// A float that is not an integer in `i64` range, by its bits.
    Float(u64),
}

impl NumberKey {
    pub(crate) fn of(value: &Value) -> Option<NumberKey> {
        match *value {
            Value::Int(i) => Some(NumberKey::Int(i)),
            Value::Float(f) => {
                // Integral floats within i64 range are keyed as the integer they equal; the
                // bounds are exact in f64 (-2^63 and 2^63).
                if f.fract() == 0.0
                    && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
                {
                    Some(NumberKey::Int(f as i64))
                } else {
                    Some(NumberKey::Float(f.to_bits()))
                }
            }
            _ => None,
        }
    }
}

/// One anchor key on an attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AnchorKey {
    Number(NumberKey),
    Str(Box<str>),
    Bool(bool),
    Prefix(Box<str>),
}

impl AnchorKey {
    fn of_value(value: &Value) -> AnchorKey {
        match value {
            Value::Str(s) => AnchorKey::Str(s.clone()),
            Value::Bool(b) => AnchorKey::Bool(*b),
            number => AnchorKey::Number(
                NumberKey::of(number).expect("a value that is not a string or bool is a number"),
            ),
        }
    }

    /// The keys an atom can be anchored under, if any: an event that passes the atom carries one
    /// of them.
    pub(crate) fn of_atom(test: &Test) -> Option<Vec<AnchorKey>> {
        match test {
            Test::Cmp(CmpOp::Eq, v) => Some(vec![AnchorKey::of_value(v)]),
            Test::In(values) if values.len() <= MAX_IN_LIST_ANCHORS => {
                let mut keys: Vec<AnchorKey> = Vec::with_capacity(values.len());
                for key in values.iter().map(AnchorKey::of_value) {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                Some(keys)
            }
            Test::Prefix(p) if !p.is_empty() => Some(vec![AnchorKey::Prefix(p.clone())]),
            _ => None,
        }
    }
}

/// The clusters anchored on one attribute, in one map per kind of key so that an event's
/// values are looked up by reference, without building owned keys.
#[derive(Debug, Default)]
pub(crate) struct AttributeAnchors {
    numbers: HashMap<NumberKey, ClusterId>,
    strings: HashMap<Box<str>, ClusterId>,
    bools: [Option<ClusterId>; 2],
    prefixes: HashMap<Box<str>, ClusterId>,
    /// Byte lengths of the prefix anchors, with how many anchors have each length: an event's
    /// string is looked up once per length present.
    prefix_lengths: BTreeMap<usize, u32>,
}

impl AttributeAnchors {
    pub(crate) fn get(&self, key: &AnchorKey) -> Option<ClusterId> {
        match key {
            AnchorKey::Number(n) => self.numbers.get(n).copied(),
            AnchorKey::Str(s) => self.strings.get(s).copied(),
            AnchorKey::Bool(b) => self.bools[usize::from(*b)],
            AnchorKey::Prefix(p) => self.prefixes.get(p).copied(),
        }
    }

    pub(crate) fn insert(&mut self, key: AnchorKey, cluster: ClusterId) {
        match key {
            AnchorKey::Number(n) => {
                self.numbers.insert(n, cluster);
            }
            AnchorKey::Str(s) => {
                self.strings.insert(s, cluster);
            }
            AnchorKey::Bool(b) => self.bools[usize::from(b)] = Some(cluster),
            AnchorKey::Prefix(p) => {
                *self.prefix_lengths.entry(p.len()).or_default() += 1;
                self.prefixes.insert(p, cluster);
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &AnchorKey) {
        match key {
            AnchorKey::Number(n) => {
                self.numbers.remove(n);
            }
            AnchorKey::Str(s) => {
                self.strings.remove(s);
            }
            AnchorKey::Bool(b) => self.bools[usize::from(*b)] = None,
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
            let found = match value {
                Value::Str(s) => {
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
                    self.strings.get(&**s).copied()
                }
                Value::Bool(b) => self.bools[usize::from(*b)],
                number => NumberKey::of(number).and_then(|n| self.numbers.get(&n).copied()),
            };
            if let Some(cluster) = found {
                visit(cluster);
            }
        }
    }
}

/// The anchor a conjunction is filed under: the positive atom whose keys' clusters are smallest
/// now, so that large clusters stop growing when a more selective anchor exists. Returns the
/// atom's index and its keys.
pub(crate) fn choose(
    conjunction: &CompiledConjunction,
    cluster_size: impl Fn(AttrId, &AnchorKey) -> usize,
) -> Option<(usize, Vec<AnchorKey>)> {
    conjunction
        .atoms
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.negated)
        .filter_map(|(i, a)| Some((i, a.attr, AnchorKey::of_atom(&a.test)?)))
        .min_by_key(|(_, attr, keys)| {
            keys.iter()
                .map(|k| cluster_size(*attr, k) + 1)
                .sum::<usize>()
        })
        .map(|(i, _, keys)| (i, keys))
}
