//! A bounded memory of the events a node has seen, for duplicate suppression.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

use foldhash::HashSet;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use siphasher::sip::SipHasher24;

use crate::id::EventId;
use crate::strategy::Micros;

/// Remembers event ids for `window` microseconds, and at most `capacity` of them (the oldest
/// go first). Ids are kept as 64-bit keyed hashes ([`FingerprintKey`]): a quarter of the memory
/// of the ids themselves, and two of a run's events share a hash with probability about
/// `events² / 2^65`.
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
    key: FingerprintKey,
}

/// The secret key of one node's event fingerprints.
///
/// Event ids are predictable (origin and sequence number), and a fingerprint stands for the id
/// itself: were the hash public, a peer could search offline for an id whose fingerprint equals
/// that of an event still to come, send it first, and have the real event dropped as a
/// duplicate. Keyed SipHash-2-4 is a pseudorandom function, so without the key a forged id
/// collides with a chosen one only by chance (2^-64 per try), and the node never reveals its
/// fingerprints.
#[derive(Clone, Copy, Debug)]
pub struct FingerprintKey {
    k0: u64,
    k1: u64,
}

/// The ChaCha stream a node's fingerprint key is read from: not the stream 0 its protocols
/// draw from, so deriving the key takes nothing from them.
const FINGERPRINT_STREAM: u64 = u64::from_le_bytes(*b"seen-key");

impl FingerprintKey {
    /// Derives the key from the seed of the node's random generator, read on a stream of its
    /// own: as secret as the generator (the daemon seeds it from the operating system), the
    /// same in every run of a simulated node, and the node's protocols draw the same numbers
    /// as without it.
    pub fn derive(rng: &ChaCha8Rng) -> Self {
        let mut keys = ChaCha8Rng::from_seed(rng.get_seed());
        keys.set_stream(FINGERPRINT_STREAM);
        let [k0, k1]: [u64; 2] = keys.random();
        FingerprintKey { k0, k1 }
    }

    fn fingerprint(&self, id: &impl Hash) -> u64 {
        let mut hasher = SipHasher24::new_with_keys(self.k0, self.k1);
        id.hash(&mut hasher);
        hasher.finish()
    }
}

impl SeenCache {
    pub fn new(capacity: usize, window: Micros, key: FingerprintKey) -> Self {
        SeenCache {
            order: VecDeque::new(),
            ids: HashSet::default(),
            capacity: capacity.max(1),
            window,
            key,
        }
    }

    /// Records `id` as seen at `now`; returns whether it is new. Ids are event ids, or
    /// anything else hashable a protocol remembers per event (an event and a key).
    pub fn insert(&mut self, now: Micros, id: &impl Hash) -> bool {
        self.forget_before(now.saturating_sub(self.window));
        let hash = self.key.fingerprint(id);
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
        self.ids.contains(&self.key.fingerprint(id))
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
        seen.ids.contains(&seen.key.fingerprint(&id(seq)))
    }

    fn key() -> FingerprintKey {
        FingerprintKey::derive(&ChaCha8Rng::seed_from_u64(1))
    }

    fn id(seq: u64) -> EventId {
        EventId {
            origin: NodeId::from_bytes([7; 32]),
            seq,
        }
    }

    #[test]
    fn a_second_sight_is_refused() {
        let mut seen = SeenCache::new(10, 1_000, key());
        assert!(seen.insert(0, &id(1)));
        assert!(!seen.insert(5, &id(1)));
        assert!(seen.insert(5, &id(2)));
        assert_eq!(seen.order.len(), 2);
    }

    #[test]
    fn ids_are_forgotten_after_the_window() {
        let mut seen = SeenCache::new(10, 1_000, key());
        seen.insert(0, &id(1));
        seen.insert(600, &id(2));
        seen.insert(1_001, &id(3));
        assert!(!remembers(&seen, 1));
        assert!(remembers(&seen, 2) && remembers(&seen, 3));
    }

    #[test]
    fn the_key_is_the_generators_secret_on_a_stream_of_its_own() {
        let rng = ChaCha8Rng::seed_from_u64(1);
        let key = FingerprintKey::derive(&rng);
        let again = FingerprintKey::derive(&rng);
        assert_eq!((key.k0, key.k1), (again.k0, again.k1));
        let drawn: [u64; 2] = rng.clone().random();
        assert_ne!(
            [key.k0, key.k1],
            drawn,
            "the key must not repeat the protocols' draws"
        );
        let other = FingerprintKey::derive(&ChaCha8Rng::seed_from_u64(2));
        assert_ne!(key.fingerprint(&id(1)), other.fingerprint(&id(1)));
    }

    #[test]
    fn capacity_bounds_the_memory() {
        let mut seen = SeenCache::new(3, u64::MAX, key());
        for seq in 0..100 {
            assert!(seen.insert(0, &id(seq)));
            assert!(seen.order.len() <= 3 && seen.ids.len() == seen.order.len());
        }
        assert!(remembers(&seen, 99) && !remembers(&seen, 96));
    }
}
