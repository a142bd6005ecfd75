//! The sure-fail bitsets of one attribute: for each group of its partition, the slots with a
//! threshold that fails for every value in the group.
//!
//! Each group's bitset is one contiguous row, so that pruning streams through it. Rows grow
//! by half again when the cluster outgrows them, each on its own: one array holding every
//! group had to be copied whole as it grew (and its page faults cost more than the
//! insertions), and fixed-size chunks broke the rows into runs too short for the prefetcher.

#[derive(Debug)]
pub(super) struct SureBits {
    rows: Vec<Vec<u64>>,
    /// Words of slots every row covers.
    words: usize,
}

impl SureBits {
    /// Empty bitsets for `groups` groups (at least two: one group has nothing that surely
    /// fails).
    pub(super) fn new(groups: usize) -> Self {
        debug_assert!(groups >= 2);
        SureBits {
            rows: vec![Vec::new(); groups],
            words: 0,
        }
    }

    /// Covers at least `words` words of slots. Every row grows at once, by half again: a
    /// cluster gains a word of slots every 64 insertions, and growing the rows a word at a
    /// time touched the end of every row, a cache miss each, as often.
    pub(super) fn reserve(&mut self, words: usize) {
        if words <= self.words {
            return;
        }
        self.words = words.max(self.words + self.words / 2);
        for row in &mut self.rows {
            row.reserve_exact(self.words - row.len());
            row.resize(self.words, 0);
        }
    }

    /// Sets `mask` in word `word` of `group`.
    pub(super) fn set(&mut self, group: usize, word: usize, mask: u64) {
        self.rows[group][word] |= mask;
    }

    /// Clears `slot` in every group.
    pub(super) fn clear_slot(&mut self, slot: usize) {
        let bit = 1u64 << (slot % 64);
        for row in &mut self.rows {
            if let Some(word) = row.get_mut(slot / 64) {
                *word &= !bit;
            }
        }
    }

    /// Sets in `group` every bit of `bits` (a bitset over all slots).
    pub(super) fn set_all(&mut self, group: usize, bits: &[u64]) {
        for (word, bits) in self.rows[group].iter_mut().zip(bits) {
            *word |= bits;
        }
    }

    /// Reads the first word of `group`, so that the pass of [`SureBits::prune`] starts on its
    /// way to the cache; returns it to be kept from being optimized away.
    pub(super) fn touch(&self, group: usize) -> u64 {
        self.rows[group].first().copied().unwrap_or(0)
    }

    /// Clears in `survivors` the slots that surely fail in `group`.
    pub(super) fn prune(&self, group: usize, survivors: &mut [u64]) {
        for (word, sure) in survivors.iter_mut().zip(&self.rows[group]) {
            *word &= !sure;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_set(sure: &SureBits, group: usize, slot: usize) -> bool {
        let mut survivors = vec![u64::MAX; slot / 64 + 1];
        sure.prune(group, &mut survivors);
        survivors[slot / 64] & (1 << (slot % 64)) == 0
    }

    #[test]
    fn bits_survive_growth() {
        let mut sure = SureBits::new(3);
        let slots = [0, 63, 64, 1000, 16_383, 16_384, 40_000];
        for (i, &slot) in slots.iter().enumerate() {
            sure.reserve(slot / 64 + 1);
            sure.set(i % 3, slot / 64, 1 << (slot % 64));
        }
        sure.reserve(3000);
        for (i, &slot) in slots.iter().enumerate() {
            for group in 0..3 {
                assert_eq!(is_set(&sure, group, slot), group == i % 3, "slot {slot}");
            }
        }
        sure.clear_slot(1000);
        assert!(!is_set(&sure, 0, 1000) && !is_set(&sure, 1, 1000));
        let mut all = vec![0u64; 3000];
        all[40_000 / 64] = 1 << (40_000 % 64);
        all[1] = 1;
        sure.set_all(2, &all);
        assert!(is_set(&sure, 2, 40_000) && is_set(&sure, 2, 64) && !is_set(&sure, 2, 0));
    }
}
