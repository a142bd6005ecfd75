//! The sure-fail bitsets of one attribute: for each group of its partition, the slots with a
//! threshold that fails for every value in the group.
//!
//! They are stored in chunks of [`CHUNK_WORDS`] words of slots, each chunk holding every
//! group's words for its slots, group after group. Growing the cluster adds a chunk instead of
//! re-laying out every group (one large array per group had to be copied as it grew, and the
//! copies' page faults cost more than the insertions), and the bits a batch of new slots sets
//! in every group lie in one chunk that stays in cache. A pruning pass still reads runs of
//! [`CHUNK_WORDS`] contiguous words, long enough for the prefetcher.

/// Words of slots per chunk (131,072 slots).
pub(super) const CHUNK_WORDS: usize = 2048;

#[derive(Debug)]
pub(super) struct SureBits {
    groups: usize,
    /// Chunk `c` covers slot words `c * CHUNK_WORDS ..` for its width, `chunk.len() / groups`:
    /// every chunk but the last is [`CHUNK_WORDS`] wide; the last grows by doubling.
    chunks: Vec<Box<[u64]>>,
}

impl SureBits {
    /// Empty bitsets for `groups` groups (at least two: one group has nothing that surely
    /// fails).
    pub(super) fn new(groups: usize) -> Self {
        debug_assert!(groups >= 2);
        SureBits {
            groups,
            chunks: Vec::new(),
        }
    }

    fn width(&self, chunk: &[u64]) -> usize {
        chunk.len() / self.groups
    }

    /// Words of slots covered.
    fn words(&self) -> usize {
        self.chunks.last().map_or(0, |last| {
            (self.chunks.len() - 1) * CHUNK_WORDS + self.width(last)
        })
    }

    /// Covers at least `words` words of slots.
    pub(super) fn reserve(&mut self, words: usize) {
        while self.words() < words {
            let first_word = self.chunks.len().saturating_sub(1) * CHUNK_WORDS;
            let last_width = self.chunks.last().map(|c| self.width(c));
            match last_width {
                Some(old) if old < CHUNK_WORDS => {
                    let new = (words - first_word)
                        .next_power_of_two()
                        .max(2 * old)
                        .min(CHUNK_WORDS);
                    let mut grown = vec![0u64; self.groups * new];
                    let last = self.chunks.last_mut().expect("a last chunk");
                    for (from, to) in last.chunks_exact(old).zip(grown.chunks_exact_mut(new)) {
                        to[..old].copy_from_slice(from);
                    }
                    *last = grown.into();
                }
                _ => {
                    let start = self.chunks.len() * CHUNK_WORDS;
                    let width = (words - start).next_power_of_two().min(CHUNK_WORDS);
                    self.chunks.push(vec![0u64; self.groups * width].into());
                }
            }
        }
    }

    /// The word of `group` holding slot word `word`.
    fn word_mut(&mut self, group: usize, word: usize) -> &mut u64 {
        let chunk = &mut self.chunks[word / CHUNK_WORDS];
        let width = chunk.len() / self.groups;
        &mut chunk[group * width + word % CHUNK_WORDS]
    }

    /// Sets `mask` in word `word` of `group`.
    pub(super) fn set(&mut self, group: usize, word: usize, mask: u64) {
        *self.word_mut(group, word) |= mask;
    }

    /// Clears `slot` in every group.
    pub(super) fn clear_slot(&mut self, slot: usize) {
        let bit = 1u64 << (slot % 64);
        for group in 0..self.groups {
            *self.word_mut(group, slot / 64) &= !bit;
        }
    }

    /// Sets in `group` every bit of `bits` (a bitset over all slots).
    pub(super) fn set_all(&mut self, group: usize, bits: &[u64]) {
        let groups = self.groups;
        for (chunk, bits) in self.chunks.iter_mut().zip(bits.chunks(CHUNK_WORDS)) {
            let width = chunk.len() / groups;
            let row = &mut chunk[group * width..(group + 1) * width];
            for (word, bits) in row.iter_mut().zip(bits) {
                *word |= bits;
            }
        }
    }

    /// Reads the first word of each chunk of `group`, so that the pass of [`SureBits::prune`]
    /// starts on its way to the cache; returns them to be kept from being optimized away.
    pub(super) fn touch(&self, group: usize) -> u64 {
        self.chunks
            .iter()
            .map(|chunk| chunk[group * self.width(chunk)])
            .fold(0, |touched, word| touched ^ word)
    }

    /// Clears in `survivors` the slots that surely fail in `group`.
    pub(super) fn prune(&self, group: usize, survivors: &mut [u64]) {
        for (chunk, survivors) in self.chunks.iter().zip(survivors.chunks_mut(CHUNK_WORDS)) {
            let width = self.width(chunk);
            let row = &chunk[group * width..(group + 1) * width];
            for (word, sure) in survivors.iter_mut().zip(row) {
                *word &= !sure;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_set(sure: &SureBits, group: usize, slot: usize) -> bool {
        let mut survivors = vec![u64::MAX; sure.words()];
        sure.prune(group, &mut survivors);
        survivors[slot / 64] & (1 << (slot % 64)) == 0
    }

    #[test]
    fn bits_survive_growth_across_chunks() {
        let mut sure = SureBits::new(3);
        let slots = [
            0,
            63,
            64,
            1000,
            CHUNK_WORDS * 64 - 1,
            CHUNK_WORDS * 64,
            40_000,
        ];
        for (i, &slot) in slots.iter().enumerate() {
            sure.reserve(slot / 64 + 1);
            sure.set(i % 3, slot / 64, 1 << (slot % 64));
        }
        sure.reserve(3 * CHUNK_WORDS + 5);
        for (i, &slot) in slots.iter().enumerate() {
            for group in 0..3 {
                assert_eq!(is_set(&sure, group, slot), group == i % 3, "slot {slot}");
            }
        }
        sure.clear_slot(1000);
        assert!(!is_set(&sure, 0, 1000) && !is_set(&sure, 1, 1000));
        let mut all = vec![0u64; sure.words()];
        all[40_000 / 64] = 1 << (40_000 % 64);
        all[1] = 1;
        sure.set_all(2, &all);
        assert!(is_set(&sure, 2, 40_000) && is_set(&sure, 2, 64) && !is_set(&sure, 2, 0));
    }
}
