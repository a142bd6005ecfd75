//! Uniform sampling without replacement, as the protocols and the simulator draw peers.

use rand::RngExt;

/// Up to `n` distinct entries of `items`, chosen uniformly with `rng` (a partial
/// Fisher-Yates shuffle), in the order drawn.
pub fn sample<T: Copy>(items: &[T], n: usize, rng: &mut impl rand::Rng) -> Vec<T> {
    let mut pool = items.to_vec();
    let n = n.min(pool.len());
    for i in 0..n {
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
    }
    pool.truncate(n);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn draws_distinct_entries_and_no_more_than_there_are() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut drawn = sample(&[1, 2, 3, 4, 5], 3, &mut rng);
        drawn.sort_unstable();
        drawn.dedup();
        assert_eq!(drawn.len(), 3);
        assert_eq!(sample(&[1, 2], 5, &mut rng).len(), 2);
        assert!(sample::<u8>(&[], 1, &mut rng).is_empty());
    }
}
