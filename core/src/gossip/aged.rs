//! A map bounded by a count and by age: the shape of every per-event table the dissemination
//! protocols keep.

use std::collections::{BTreeMap, VecDeque};

use crate::strategy::Micros;

/// Entries in key order (so that iterating is deterministic), at most `capacity` of them
/// (inserting past it evicts the oldest), none older than `max_age` once [`Self::expire`] ran.
#[derive(Debug)]
pub(crate) struct AgedMap<K, V> {
    /// Per key: the insertion's stamp, its time, the value.
    entries: BTreeMap<K, (u64, Micros, V)>,
    /// Insertions in order. A key removed or inserted again leaves a stale entry here,
    /// recognized by its stamp and skipped; they are swept out when they outnumber the live.
    order: VecDeque<(u64, Micros, K)>,
    /// Stamps every insertion anew, so that a stale entry never passes for a live one.
    stamps: u64,
    capacity: usize,
    max_age: Micros,
}

impl<K: Ord + Copy, V> AgedMap<K, V> {
    pub(crate) fn new(capacity: usize, max_age: Micros) -> Self {
        AgedMap {
            entries: BTreeMap::new(),
            order: VecDeque::new(),
            stamps: 0,
            capacity: capacity.max(1),
            max_age,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(_, _, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.entries.get_mut(key).map(|(_, _, v)| v)
    }

    fn is_live(&self, stamp: u64, key: &K) -> bool {
        self.entries.get(key).is_some_and(|(s, _, _)| *s == stamp)
    }

    /// Inserts `key` unless present (then returns false and changes nothing), evicting the
    /// oldest entry if the map is full.
    pub(crate) fn insert(&mut self, now: Micros, key: K, value: V) -> bool {
        if self.entries.contains_key(&key) {
            return false;
        }
        while self.entries.len() >= self.capacity {
            self.pop_oldest();
        }
        self.stamps += 1;
        self.entries.insert(key, (self.stamps, now, value));
        self.order.push_back((self.stamps, now, key));
        if self.order.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.order
                .retain(|(stamp, _, k)| entries.get(k).is_some_and(|(s, _, _)| s == stamp));
        }
        true
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key).map(|(_, _, v)| v)
    }

    /// Drops the entries inserted more than `max_age` before `now`.
    pub(crate) fn expire(&mut self, now: Micros) {
        let cutoff = now.saturating_sub(self.max_age);
        while let Some(&(stamp, at, key)) = self.order.front() {
            let live = self.is_live(stamp, &key);
            if live && at >= cutoff {
                break;
            }
            self.order.pop_front();
            if live {
                self.entries.remove(&key);
            }
        }
    }

    fn pop_oldest(&mut self) {
        while let Some((stamp, _, key)) = self.order.pop_front() {
            if self.is_live(stamp, &key) {
                self.entries.remove(&key);
                return;
            }
        }
    }

    /// Entries in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, (_, _, v))| (k, v))
    }

    /// Live entries, newest first.
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = (&K, &V)> {
        self.order.iter().rev().filter_map(|(stamp, _, key)| {
            self.entries
                .get_key_value(key)
                .filter(|(_, (s, _, _))| s == stamp)
                .map(|(k, (_, _, v))| (k, v))
        })
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain(|k, (_, _, v)| keep(k, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_count_and_age() {
        let mut map = AgedMap::new(3, 100);
        for (t, k) in [(0, 1), (10, 2), (20, 3)] {
            assert!(map.insert(t, k, k * 10));
        }
        assert!(!map.insert(25, 2, 0));
        assert!(map.insert(30, 4, 40));
        assert_eq!(map.len(), 3);
        assert!(map.get(&1).is_none());
        assert_eq!(
            map.newest_first().map(|(k, _)| *k).collect::<Vec<_>>(),
            vec![4, 3, 2]
        );
        map.remove(&3);
        assert!(map.insert(40, 3, 33));
        // Removed and inserted again at the same time: listed once.
        map.remove(&3);
        assert!(map.insert(40, 3, 33));
        assert_eq!(map.newest_first().filter(|(k, _)| **k == 3).count(), 1);
        assert_eq!(map.get(&3), Some(&33));
        map.expire(125);
        assert_eq!(map.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![3, 4]);
        map.expire(1_000);
        assert!(map.is_empty());
    }

    #[test]
    fn churn_keeps_the_order_bounded() {
        let mut map = AgedMap::new(8, u64::MAX);
        for i in 0..10_000u64 {
            map.insert(i, i % 4, i);
            map.remove(&(i % 4));
        }
        assert!(map.order.len() <= 2 * map.len() + 65);
    }
}
