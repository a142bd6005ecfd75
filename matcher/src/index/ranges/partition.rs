//! Where an attribute's number line is cut into groups, and which group a value falls in.

/// Guide slices per group (see [`Partition`]): enough that most slices hold no cut, so that a
/// lookup reads one guide entry and one or two cuts.
const SLICES_PER_GROUP: usize = 4;

/// Below this many cuts a binary search is as quick as the guide.
const MIN_GUIDED: usize = 8;

/// The cuts of an attribute's number line: group `k` is `[cuts[k - 1], cuts[k])`, with
/// `cuts[-1] = -inf` and `cuts[G - 1] = +inf`.
///
/// Every threshold inserted and every value of every event asks for its group. A binary search
/// over a hundred cuts is seven dependent reads, and the cuts of twenty attributes do not stay
/// in the first-level cache while thresholds stream in, so it was the largest single cost of an
/// insertion. The *guide* cuts `[cuts[0], cuts[last]]` into equal slices and keeps, per slice,
/// the group of its left edge: a value's slice is found with arithmetic, and its group lies
/// between the guide entries of that slice and the next, which are usually the same or
/// adjacent. The answer is checked against the cuts on either side of it, and a full search
/// runs when rounding placed the value in a neighbouring slice, so the guide only ever makes a
/// lookup faster, never wrong.
#[derive(Debug, Default)]
pub(super) struct Partition {
    cuts: Vec<f64>,
    /// `guide[i]`: the group of slice `i`'s left edge, `guide[0] = 0` and the last entry the
    /// last group; non-decreasing. Empty when there are few cuts.
    guide: Vec<u8>,
    origin: f64,
    /// Slices per unit of value.
    scale: f64,
}

impl Partition {
    /// A partition at the ascending `cuts`, at most 255 of them (a group index fits a `u8`).
    pub(super) fn new(cuts: Vec<f64>) -> Self {
        debug_assert!(cuts.is_sorted() && cuts.len() <= usize::from(u8::MAX));
        let (first, last) = match (cuts.first(), cuts.last()) {
            (Some(&first), Some(&last)) if cuts.len() >= MIN_GUIDED => (first, last),
            _ => {
                return Partition {
                    cuts,
                    ..Partition::default()
                };
            }
        };
        let slices = cuts.len() * SLICES_PER_GROUP;
        // Cuts are within ±2^52 and strictly ascending, so the spread is finite and positive.
        // A spread of a few subnormals makes the scale infinite: every value then falls in the
        // first or the last slice, which is slow but still right (see `group_of`).
        let scale = slices as f64 / (last - first);
        let mut guide = Vec::with_capacity(slices + 1);
        guide.push(0);
        for i in 1..slices {
            let edge = first + i as f64 / scale;
            let group = cuts.partition_point(|&c| c <= edge) as u8;
            // Rounding in `edge` must not make the guide step back.
            guide.push(group.max(guide[i - 1]));
        }
        guide.push(cuts.len() as u8);
        Partition {
            cuts,
            guide,
            origin: first,
            scale,
        }
    }

    pub(super) fn groups(&self) -> usize {
        self.cuts.len() + 1
    }

    pub(super) fn cuts(&self) -> &[f64] {
        &self.cuts
    }

    /// The group of `v`: the number of cuts at or below it.
    pub(super) fn group_of(&self, v: f64) -> usize {
        if self.guide.is_empty() {
            return self.cuts.partition_point(|&c| c <= v);
        }
        // Saturating: values below the first cut (and NaN) land in slice 0, above the last
        // in the last slice.
        let slice = (((v - self.origin) * self.scale) as usize).min(self.guide.len() - 2);
        let (low, high) = (
            usize::from(self.guide[slice]),
            usize::from(self.guide[slice + 1]),
        );
        let group = low + self.cuts[low..high].partition_point(|&c| c <= v);
        let above_cut_below = group == 0 || self.cuts[group - 1] <= v;
        let below_cut_above = self.cuts.get(group).is_none_or(|&c| c > v);
        if above_cut_below && below_cut_above {
            group
        } else {
            self.cuts.partition_point(|&c| c <= v)
        }
    }
}

/// Boundaries cutting the sorted `sample` into about `wanted` groups of equal weight, at most
/// `max_groups`. A value repeated so often that it would fill a group by itself (many
/// subscriptions with the same bound) gets a group of its own, `[v, next float)`: otherwise all
/// its copies would share a group with everything around them and be handled one by one on
/// every event there.
pub(super) fn boundaries(sample: &[f64], wanted: usize, max_groups: usize) -> Vec<f64> {
    let per_group = (sample.len() / wanted.max(1)).max(1);
    let mut cuts: Vec<f64> = Vec::new();
    let mut weight = 0;
    let mut i = 0;
    while i < sample.len() {
        let v = sample[i];
        // Runs of one value are short but for heavy values; a scan finds their end.
        let end = i + sample[i..].iter().take_while(|&&x| x <= v).count();
        if end - i >= per_group {
            if cuts.last().is_none_or(|&c| c < v) {
                cuts.push(v);
            }
            cuts.push(v.next_up());
            weight = 0;
        } else {
            weight += end - i;
            if weight >= per_group && end < sample.len() {
                cuts.push(sample[end]);
                weight = 0;
            }
        }
        i = end;
    }
    cuts.dedup();
    // Each heavy value can add two cuts; keep within the group limit by thinning evenly.
    if cuts.len() >= max_groups {
        let keep = max_groups - 1;
        cuts = (0..keep).map(|k| cuts[k * cuts.len() / keep]).collect();
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The guide finds what a binary search finds, for values on, between and beyond cuts,
    /// on even and on heavily skewed cuts.
    #[test]
    fn the_guide_finds_the_group_a_search_finds() {
        let skewed: Vec<f64> = (0..60)
            .map(|i| 1e-3 * f64::from(i))
            .chain((0..60).map(|i| 1e12 * f64::from(i + 1)))
            .collect();
        let even: Vec<f64> = (0..127).map(|i| f64::from(i) * 10.0).collect();
        let heavy: Vec<f64> = (0..40)
            .flat_map(|i| {
                let v = f64::from(i) * 3.0;
                [v, v.next_up()]
            })
            .collect();
        for cuts in [skewed, even, heavy, vec![1.0, 2.0], Vec::new()] {
            let partition = Partition::new(cuts.clone());
            let mut probes = vec![f64::NEG_INFINITY, f64::INFINITY, f64::NAN, -1e300, 1e300];
            for &c in &cuts {
                probes.extend([c, c.next_up(), c.next_down(), c + 0.5, c * 0.999]);
            }
            for v in probes {
                assert_eq!(
                    partition.group_of(v),
                    cuts.partition_point(|&c| c <= v),
                    "{v} in {} cuts",
                    cuts.len()
                );
            }
        }
    }

    #[test]
    fn even_values_give_even_groups() {
        let sample: Vec<f64> = (0..1000).map(f64::from).collect();
        let cuts = boundaries(&sample, 4, 64);
        assert_eq!(cuts, vec![250.0, 500.0, 750.0]);
    }

    #[test]
    fn a_heavy_value_gets_a_group_of_its_own() {
        let mut sample: Vec<f64> = (0..500).map(f64::from).collect();
        sample.extend(std::iter::repeat_n(700.0, 500));
        sample.sort_by(f64::total_cmp);
        let cuts = boundaries(&sample, 4, 64);
        let i = cuts
            .iter()
            .position(|&c| c == 700.0)
            .expect("a cut at the heavy value");
        assert_eq!(cuts[i + 1], 700.0f64.next_up());
    }

    #[test]
    fn never_more_groups_than_allowed() {
        // Every other value heavy: up to two cuts each before thinning.
        let sample: Vec<f64> = (0..200).flat_map(|v| [f64::from(v); 10]).collect();
        for max in [2, 3, 64] {
            let cuts = boundaries(&sample, 200, max);
            assert!(cuts.len() < max, "{} cuts for {max} groups", cuts.len());
            assert!(cuts.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
