//! A bounded memory of the events a node has seen, for duplicate suppression.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};

use foldhash::HashSet;
use foldhash::fast::FixedState;

use crate::id::EventId;
use crate::strategy::Micros;

/// Remembers event ids for `window` microseconds, and at most `capacity` of them (the oldest
/// go first). Ids are kept as 64-bit hashes: a quarter of the memory of the ids themselves,
/// and two of a run's events share a hash with probability about `events² / 2^65`.
///
/// A duplicate that arrives after its id was forgotten is taken for a new event, so `window`
/// must exceed the time an event can still be travelling (hops × the largest latency) and
/// `capacity` the events a node sees in that time.
#[derive(Debug)]
pub struct SeenCache {
    order: VecDeque<(Micros, u64)>,
    ids: HashSet<u64>,
    capacity: usize,
    window: Micros,
}

/// Every node hashes ids alike, whatever the process: the simulator's runs must repeat.
const HASHER: FixedState = FixedState::with_seed(0x5eed_5eed_5eed_5eed);

impl SeenCache {
    pub fn new(capacity: usize, window: Micros) -> Self {
        SeenCache {
            order: VecDeque::new(),
            ids: HashSet::default(),
            capacity: capacity.max(1),
            window,
        }
    }

    /// Records `id` as seen at `now`; returns whether it is new. Ids are event ids, or
    /// anything else hashable a protocol remembers per event (an event and a key).
    pub fn insert(&mut self, now: Micros, id: &impl Hash) -> bool {
        self.forget_before(now.saturating_sub(self.window));
        let hash = HASHER.hash_one(id);
        if !self.ids.insert(hash) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some((_, oldest)) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        self.order.push_back((now, hash));
        true
    }

    /// Whether `id` was seen and is still remembered.
    pub fn contains(&self, id: &EventId) -> bool {
        self.ids.contains(&HASHER.hash_one(id))
    }

    fn forget_before(&mut self, cutoff: Micros) {
        while let Some(&(at, hash)) = self.order.front() {
            if at >= cutoff {
                break;
            }
            self.order.pop_front();
            self.ids.remove(&hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::NodeId;

    fn remembers(seen: &SeenCache, seq: u64) -> bool {
        seen.ids.contains(&HASHER.hash_one(id(seq)))
    }

    fn id(seq: u64) -> EventId {
        EventId {
            origin: NodeId::from_bytes([7; 32]),
            seq,
        }
    }

    #[test]
    fn a_second_sight_is_refused() {
        let mut seen = SeenCache::new(10, 1_000);
        assert!(seen.insert(0, &id(1)));
        assert!(!seen.insert(5, &id(1)));
        assert!(seen.insert(5, &id(2)));
        assert_eq!(seen.order.len(), 2);
    }

    #[test]
    fn ids_are_forgotten_after_the_window() {
        let mut seen = SeenCache::new(10, 1_000);
        seen.insert(0, &id(1));
        seen.insert(600, &id(2));
        seen.insert(1_001, &id(3));
        assert!(!remembers(&seen, 1));
        assert!(remembers(&seen, 2) && remembers(&seen, 3));
    }

    #[test]
    fn capacity_bounds_the_memory() {
        let mut seen = SeenCache::new(3, u64::MAX);
        for seq in 0..100 {
            assert!(seen.insert(0, &id(seq)));
            assert!(seen.order.len() <= 3 && seen.ids.len() == seen.order.len());
        }
        assert!(remembers(&seen, 99) && !remembers(&seen, 96));
    }
}
