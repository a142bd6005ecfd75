//! The sure-fail bitsets of one attribute: for each group of its partition, the slots with a
//! threshold that fails for every value in the group.
//!
//! Each group's bitset is a row cut into chunks of [`CHUNK_WORDS`] words, so that a growing
//! cluster adds chunks instead of copying rows. Rows that were copied as they grew by half
//! again were, with the page faults of all the memory that copying churned through, the
//! costliest part of inserting into a large cluster; one array holding every group was worse,
//! since it was copied whole. While a cluster needs less than one chunk, its rows grow by half
//! again, so that small clusters keep small rows.
//!
//! Setting the bits of a 64-slot column writes the same word of every row, and where it lands
//! in the caches decides what an insertion costs. Rows a whole number of pages apart put all
//! those words in one set of the first-level cache and in a few sets of the second, eight lines
//! each, so most of the writes missed; and every attribute's rows are written at the same word
//! at the same time, since the slots of a cluster fill in order for all of them. So a chunk's
//! rows are laid out in a few large blocks, each full row followed by a line of padding, which
//! puts consecutive rows in consecutive sets, and each attribute's blocks start a different
//! number of lines in (the *skew*), which keeps different attributes' rows apart. Simulated with
//! cachegrind on 100,000 interval subscriptions, the column writes missed the first-level
//! cache 45 times per subscription and the second (1 MiB) 19 times with a page per row, and 19
//! and 12 times laid out so. A block holds at most [`ROWS_PER_BLOCK`] rows: a whole chunk in
//! one array is larger than the allocator's largest size class, and such arrays, each on pages
//! of its own, kept about 100 more bytes per subscription resident at a million.

/// Words of each row in a chunk: a page of bits, 32,768 slots.
const CHUNK_WORDS: usize = 512;

/// Words in a cache line.
const LINE_WORDS: usize = 8;

/// Rows per block: 62 rows of a full chunk with their padding and the largest skew take
/// 261,952 bytes, just under a size class of the allocator (256 KiB).
const ROWS_PER_BLOCK: usize = 62;

/// A block's first row starts this many cache lines in, at most.
const MAX_SKEW_LINES: usize = 64;

#[derive(Debug)]
pub(super) struct SureBits {
    /// Per chunk, its blocks: [`ROWS_PER_BLOCK`] groups' words of their rows each (fewer in
    /// the last), laid out as [`SureBits::layout`] says.
    chunks: Vec<Box<[Box<[u64]>]>>,
    groups: usize,
    /// Lines before the first row of each block of a full chunk.
    skew_lines: usize,
    /// Words of slots every row covers.
    words: usize,
}

impl SureBits {
    /// Empty bitsets for `groups` groups (at least two: one group has nothing that surely
    /// fails). Attributes given different `skew`s lay their rows out differently (see the
    /// module notes).
    pub(super) fn new(groups: usize, skew: usize) -> Self {
        debug_assert!(groups >= 2);
        SureBits {
            chunks: Vec::new(),
            groups,
            skew_lines: skew % MAX_SKEW_LINES,
            words: 0,
        }
    }

    /// How the rows lie in each block. Rows of full chunks are padded and skewed (see the
    /// module notes); the rows of a first chunk still growing are short, rarely a multiple of
    /// a page, and packed, so that small clusters keep small bitsets.
    fn layout(&self) -> Layout {
        if self.words >= CHUNK_WORDS {
            Layout {
                skew: self.skew_lines * LINE_WORDS,
                stride: CHUNK_WORDS + LINE_WORDS,
                row: CHUNK_WORDS,
            }
        } else {
            Layout {
                skew: 0,
                stride: self.words,
                row: self.words,
            }
        }
    }

    /// Where `group`'s row lies in each chunk: its block, and its words there.
    fn place(&self, group: usize) -> (usize, std::ops::Range<usize>) {
        let layout = self.layout();
        let start = layout.skew + (group % ROWS_PER_BLOCK) * layout.stride;
        (group / ROWS_PER_BLOCK, start..start + layout.row)
    }

    /// Covers at least `words` words of slots. Every row grows at once: a cluster gains a
    /// word of slots every 64 insertions, and growing the rows a word at a time touched the
    /// end of every row, a cache miss each, as often.
    pub(super) fn reserve(&mut self, words: usize) {
        if words <= self.words {
            return;
        }
        let old = self.layout();
        self.words = if words <= CHUNK_WORDS {
            words.max(self.words + self.words / 2).min(CHUNK_WORDS)
        } else {
            words.next_multiple_of(CHUNK_WORDS)
        };
        let new = self.layout();
        let groups = self.groups;
        // Zeroed by the allocator, which knows when fresh memory already is.
        let fresh = || {
            (0..groups.div_ceil(ROWS_PER_BLOCK))
                .map(|b| {
                    let rows = (groups - b * ROWS_PER_BLOCK).min(ROWS_PER_BLOCK);
                    vec![0; new.skew + rows * new.stride].into_boxed_slice()
                })
                .collect::<Box<[_]>>()
        };
        if let Some(first) = self.chunks.first_mut()
            && new.row > old.row
        {
            let mut grown = fresh();
            for (to, from) in new.rows_mut(&mut grown).zip(old.rows_mut(first)) {
                to[..old.row].copy_from_slice(&from[..old.row]);
            }
            *first = grown;
        }
        while self.chunks.len() * new.row < self.words {
            self.chunks.push(fresh());
        }
    }

    /// Sets in word `word` of each group `g` the bits of `masks[g]`; the word must be
    /// covered. Every row is written: a batch of new thresholds leaves a mask on nearly every
    /// group, and a branch per row cost more than the few writes it saved.
    pub(super) fn set_column(&mut self, word: usize, masks: &[u64]) {
        let (chunk, at) = (word / CHUNK_WORDS, word % CHUNK_WORDS);
        let layout = self.layout();
        let blocks = self.chunks[chunk].iter_mut();
        for (block, masks) in blocks.zip(masks.chunks(ROWS_PER_BLOCK)) {
            for (row, &mask) in layout.rows_of(block).zip(masks) {
                row[at] |= mask;
            }
        }
    }

    /// Clears `slot` in every group.
    pub(super) fn clear_slot(&mut self, slot: usize) {
        let word = slot / 64;
        if word >= self.words {
            return;
        }
        let (chunk, at, bit) = (word / CHUNK_WORDS, word % CHUNK_WORDS, 1u64 << (slot % 64));
        for row in self.layout().rows_mut(&mut self.chunks[chunk]) {
            row[at] &= !bit;
        }
    }

    /// The chunks of `group`'s row, in order.
    fn row(&self, group: usize) -> impl Iterator<Item = &[u64]> {
        let (block, words) = self.place(group);
        self.chunks
            .iter()
            .map(move |chunk| &chunk[block][words.clone()])
    }

    /// Sets in `group` every bit of `bits` (a bitset over all slots).
    pub(super) fn set_all(&mut self, group: usize, bits: &[u64]) {
        let (block, words) = self.place(group);
        for (chunk, bits) in self.chunks.iter_mut().zip(bits.chunks(CHUNK_WORDS)) {
            for (word, bits) in chunk[block][words.clone()].iter_mut().zip(bits) {
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

/// Where rows lie in the blocks of a chunk: each block's first row `skew` words in, the next
/// ones `stride` words apart, each `row` words long.
#[derive(Clone, Copy)]
struct Layout {
    skew: usize,
    stride: usize,
    row: usize,
}

impl Layout {
    /// The rows of a block laid out so, in group order, each with its padding.
    fn rows_of(self, block: &mut [u64]) -> std::slice::ChunksExactMut<'_, u64> {
        block[self.skew..].chunks_exact_mut(self.stride)
    }

    /// The rows of a chunk laid out so, in group order, each with its padding.
    fn rows_mut(self, chunk: &mut [Box<[u64]>]) -> impl Iterator<Item = &mut [u64]> {
        chunk.iter_mut().flat_map(move |block| self.rows_of(block))
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

    /// Slots on both sides of chunk edges (a chunk holds 32,768 slots), set as the rows grow,
    /// with groups in one block and in several, skewed or not.
    #[test]
    fn bits_survive_growth() {
        let slots = [
            0, 63, 64, 1000, 16_383, 32_767, 32_768, 40_000, 65_536, 100_000,
        ];
        for (groups, skew) in [(3, 5), (130, 0), (130, 63)] {
            let group_of = |i: usize| i * 37 % groups;
            let mut sure = SureBits::new(groups, skew);
            for (i, &slot) in slots.iter().enumerate() {
                sure.reserve(slot / 64 + 1);
                let mut masks = vec![0; groups];
                masks[group_of(i)] = 1 << (slot % 64);
                sure.set_column(slot / 64, &masks);
            }
            sure.reserve(3000);
            for (i, &slot) in slots.iter().enumerate() {
                for group in 0..groups {
                    assert_eq!(
                        is_set(&sure, group, slot),
                        group == group_of(i),
                        "slot {slot}"
                    );
                }
            }
            sure.clear_slot(1000);
            assert!((0..groups).all(|g| !is_set(&sure, g, 1000)));
            let last = groups - 1;
            let mut all = vec![0u64; 3000];
            all[40_000 / 64] = 1 << (40_000 % 64);
            all[99_999 / 64] = 1 << (99_999 % 64);
            all[1] = 1;
            sure.set_all(last, &all);
            assert!(is_set(&sure, last, 40_000) && is_set(&sure, last, 64));
            assert!(is_set(&sure, last, 99_999) && !is_set(&sure, last, 99_998));
            assert_eq!(is_set(&sure, last, 0), group_of(0) == last);
        }
    }
}
