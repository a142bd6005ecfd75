//! The sure-fail bitsets of one attribute: for each group of its partition, the slots with a
//! threshold that fails for every value in the group.
//!
//! Each group's bitset is a row of page-sized chunks, so that pruning streams through a page
//! at a time (the hardware prefetcher stops at page boundaries anyway) and a growing cluster
//! adds chunks instead of copying rows. Rows that were copied as they grew by half again
//! were, with the page faults of all the memory that copying churned through, the costliest
//! part of inserting into a large cluster; one array holding every group was worse, since it
//! was copied whole. A row shorter than a chunk grows by half again, so that small clusters
//! keep small rows.
//!
//! The chunks are listed chunk by chunk, each with its every group's row: setting the bits of
//! a 64-slot column writes one word in each group's row, and finds those rows side by side in
//! one list instead of behind a separate header per group, one cache miss fewer per group.

/// Words per chunk of a row: one page.
const CHUNK_WORDS: usize = 512;

#[derive(Debug)]
pub(super) struct SureBits {
    /// Per chunk, per group, its words of the group's row: [`CHUNK_WORDS`] words, but in the
    /// last chunk, which may be shorter while it is the only one.
    chunks: Vec<Box<[Box<[u64]>]>>,
    groups: usize,
    /// Words of slots every row covers.
    words: usize,
}

impl SureBits {
    /// Empty bitsets for `groups` groups (at least two: one group has nothing that surely
    /// fails).
    pub(super) fn new(groups: usize) -> Self {
        debug_assert!(groups >= 2);
        SureBits {
            chunks: Vec::new(),
            groups,
            words: 0,
        }
    }

    /// Covers at least `words` words of slots. Every row grows at once: a cluster gains a
    /// word of slots every 64 insertions, and growing the rows a word at a time touched the
    /// end of every row, a cache miss each, as often.
    pub(super) fn reserve(&mut self, words: usize) {
        if words <= self.words {
            return;
        }
        let target = if words <= CHUNK_WORDS {
            words.max(self.words + self.words / 2).min(CHUNK_WORDS)
        } else {
            words.next_multiple_of(CHUNK_WORDS)
        };
        let mut covered = self.words;
        while covered < target {
            let chunk = covered / CHUNK_WORDS;
            let len = (target - chunk * CHUNK_WORDS).min(CHUNK_WORDS);
            // Zeroed by the allocator, which knows when fresh memory already is.
            let grown = (0..self.groups).map(|_| vec![0; len].into_boxed_slice());
            if chunk == self.chunks.len() {
                self.chunks.push(grown.collect());
            } else {
                for (row, mut words) in self.chunks[chunk].iter_mut().zip(grown) {
                    words[..row.len()].copy_from_slice(row);
                    *row = words;
                }
            }
            covered = chunk * CHUNK_WORDS + len;
        }
        self.words = target;
    }

    /// Sets in word `word` of each group `g` the bits of `masks[g]`; the word must be
    /// covered. Every row is written: a batch of new thresholds leaves a mask on nearly every
    /// group, and a branch per row cost more than the few writes it saved.
    pub(super) fn set_column(&mut self, word: usize, masks: &[u64]) {
        let (chunk, at) = (word / CHUNK_WORDS, word % CHUNK_WORDS);
        for (row, &mask) in self.chunks[chunk].iter_mut().zip(masks) {
            row[at] |= mask;
        }
    }

    /// Clears `slot` in every group.
    pub(super) fn clear_slot(&mut self, slot: usize) {
        let (chunk, word, bit) = (
            slot / 64 / CHUNK_WORDS,
            slot / 64 % CHUNK_WORDS,
            1u64 << (slot % 64),
        );
        if let Some(rows) = self.chunks.get_mut(chunk) {
            for row in rows.iter_mut() {
                if let Some(word) = row.get_mut(word) {
                    *word &= !bit;
                }
            }
        }
    }

    /// The chunks of `group`'s row, in order.
    fn row(&self, group: usize) -> impl Iterator<Item = &[u64]> {
        self.chunks.iter().map(move |rows| &*rows[group])
    }

    /// Sets in `group` every bit of `bits` (a bitset over all slots).
    pub(super) fn set_all(&mut self, group: usize, bits: &[u64]) {
        for (rows, bits) in self.chunks.iter_mut().zip(bits.chunks(CHUNK_WORDS)) {
            for (word, bits) in rows[group].iter_mut().zip(bits) {
                *word |= bits;
            }
        }
    }

    /// Reads the first word of `group`, so that the pass of [`SureBits::prune`] starts on its
    /// way to the cache; returns it to be kept from being optimized away.
    pub(super) fn touch(&self, group: usize) -> u64 {
        self.row(group)
            .next()
            .and_then(|chunk| chunk.first())
            .copied()
            .unwrap_or(0)
    }

    /// Clears in `survivors` the slots that surely fail in `group`.
    pub(super) fn prune(&self, group: usize, survivors: &mut [u64]) {
        for (chunk, survivors) in self.row(group).zip(survivors.chunks_mut(CHUNK_WORDS)) {
            for (word, sure) in survivors.iter_mut().zip(chunk) {
                *word &= !sure;
            }
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

    /// Slots on both sides of chunk edges (a chunk holds 32,768 slots), set as the rows grow.
    #[test]
    fn bits_survive_growth() {
        let mut sure = SureBits::new(3);
        let slots = [
            0, 63, 64, 1000, 16_383, 32_767, 32_768, 40_000, 65_536, 100_000,
        ];
        for (i, &slot) in slots.iter().enumerate() {
            sure.reserve(slot / 64 + 1);
            let mut masks = [0; 3];
            masks[i % 3] = 1 << (slot % 64);
            sure.set_column(slot / 64, &masks);
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
        all[99_999 / 64] = 1 << (99_999 % 64);
        all[1] = 1;
        sure.set_all(2, &all);
        assert!(is_set(&sure, 2, 40_000) && is_set(&sure, 2, 64) && !is_set(&sure, 2, 0));
        assert!(is_set(&sure, 2, 99_999) && !is_set(&sure, 2, 99_998));
    }
}
