//! The minimum-per-class guard: no class left without trusted samples.

use trustdd_core::TrustPartition;

/// Makes every class hold at least `min` trusted samples (or all its observed ones) by trusting
/// its smallest-loss observed samples not already recalled elsewhere; returns additions per class.
pub fn top_up(
    part: &mut TrustPartition,
    recalled: &[bool],
    losses: &[f64],
    labels: &[u32],
    classes: usize,
    min: usize,
) -> Vec<usize> {
    let mut added = vec![0; classes];
    for (c, members) in trustdd_core::index_by_class(labels, classes)
        .into_iter()
        .enumerate()
    {
        let have = |p: &TrustPartition| {
            (0..p.trusted.len())
                .filter(|&i| p.trusted[i] && p.working_labels[i] as usize == c)
                .count()
        };
        let mut count = have(part);
        let mut order = members;
        order.sort_by(|&a, &b| losses[a].total_cmp(&losses[b]).then(a.cmp(&b)));
        for i in order {
            if count >= min {
                break;
            }
            if !part.trusted[i] && !recalled[i] {
                part.trusted[i] = true;
                part.working_labels[i] = c as u32;
                added[c] += 1;
                count += 1;
            }
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_up_trusts_the_smallest_losses_of_short_classes() {
        // Class 0 (ids 0-3) has nothing trusted; id 1 was recalled into class 1, so it is not
        // taken back. The two smallest remaining losses are ids 2 (0.3) and 0 (0.5).
        // Class 1 (ids 4, 5) already holds 3 trusted (4, 5 and recalled 1). Class 2 is empty.
        let mut part = TrustPartition {
            trusted: vec![false, true, false, false, true, true],
            working_labels: vec![0, 1, 0, 0, 1, 1],
        };
        let recalled = [false, true, false, false, false, false];
        let losses = [0.5, 0.1, 0.3, 0.9, 2.0, 2.0];
        let added = top_up(&mut part, &recalled, &losses, &[0, 0, 0, 0, 1, 1], 3, 2);
        assert_eq!(added, vec![2, 0, 0]);
        assert_eq!(part.trusted, vec![true, true, true, false, true, true]);
        assert_eq!(part.working_labels, vec![0, 1, 0, 0, 1, 1]);
    }
}
