//! Where an attribute's number line is cut into groups.

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
