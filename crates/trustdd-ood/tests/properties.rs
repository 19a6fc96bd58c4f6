//! Property tests of the OOD metrics on random score sets. Scores are small integers (scaled)
//! so ties are frequent; AUROC and FPR95 (the official evaluation's rule) are also checked
//! against brute-force definitions.

use proptest::prelude::*;
use trustdd_ood::metrics::{auroc, fpr_at_95_tpr};
use trustdd_ood::ood_metrics;

const CASES: u32 = 96;

/// 1..=40 scores from a small grid (many ties), scaled so they are not all integers.
fn scores() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((-20i32..=20).prop_map(|v| f64::from(v) * 0.25), 1..=40)
}

/// Mann–Whitney: the fraction of (positive, negative) pairs ranked correctly, ties counting
/// one half, in percent.
fn auroc_by_pairs(pos: &[f64], neg: &[f64]) -> f64 {
    let wins: f64 = pos
        .iter()
        .flat_map(|p| neg.iter().map(move |n| (p, n)))
        .map(|(p, n)| {
            if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            }
        })
        .sum();
    100.0 * wins / (pos.len() * neg.len()) as f64
}

/// FPR95 from the official rule, by brute force: every distinct score `t` from the lowest ID
/// score upward (the thresholds up to the first that accepts every ID score), then a last point
/// of recall 1 with no false positive; the first of them whose ID recall (`#id ≥ t / |id|`) is
/// nearest 0.95 gives the percentage of OOD scores `≥ t`.
fn fpr95_by_definition(id: &[f64], ood: &[f64]) -> f64 {
    let at_least = |v: &[f64], t: f64| v.iter().filter(|&&s| s >= t).count();
    let lowest_id = id.iter().copied().fold(f64::INFINITY, f64::min);
    let mut ts: Vec<f64> = id
        .iter()
        .chain(ood)
        .copied()
        .filter(|&t| t >= lowest_id)
        .collect();
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    let points = ts
        .iter()
        .map(|&t| {
            let recall = at_least(id, t) as f64 / id.len() as f64;
            (recall, 100.0 * at_least(ood, t) as f64 / ood.len() as f64)
        })
        .chain(std::iter::once((1.0, 0.0)));
    let mut best = (f64::INFINITY, 0.0);
    for (recall, fpr) in points {
        if (recall - 0.95).abs() < best.0 {
            best = ((recall - 0.95).abs(), fpr);
        }
    }
    best.1
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn every_metric_is_a_percentage(id in scores(), ood in scores()) {
        let m = ood_metrics(&id, &ood).unwrap();
        for v in [m.auroc, m.aupr_in, m.aupr_out, m.fpr95] {
            prop_assert!((0.0..=100.0 + 1e-9).contains(&v), "{m:?}");
        }
    }

    #[test]
    fn auroc_counts_correctly_ranked_pairs(id in scores(), ood in scores()) {
        let got = auroc(&id, &ood).unwrap();
        prop_assert!((got - auroc_by_pairs(&id, &ood)).abs() < 1e-9);
    }

    #[test]
    fn swapping_the_sets_complements_auroc(id in scores(), ood in scores()) {
        let sum = auroc(&id, &ood).unwrap() + auroc(&ood, &id).unwrap();
        prop_assert!((sum - 100.0).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn fpr95_matches_its_definition(id in scores(), ood in scores()) {
        let got = fpr_at_95_tpr(&id, &ood).unwrap();
        prop_assert!((got - fpr95_by_definition(&id, &ood)).abs() < 1e-9);
    }

    /// Metrics depend on the order of the scores only: an affine map and `exp` preserve it
    /// (and every tie) exactly on this grid.
    #[test]
    fn a_strictly_increasing_transform_changes_nothing(id in scores(), ood in scores()) {
        let base = ood_metrics(&id, &ood).unwrap();
        let transforms: [fn(f64) -> f64; 2] = [|s| 3.0 * s - 7.0, f64::exp];
        for f in transforms {
            let map = |v: &[f64]| v.iter().map(|&s| f(s)).collect::<Vec<_>>();
            let m = ood_metrics(&map(&id), &map(&ood)).unwrap();
            let pairs = [
                (base.auroc, m.auroc),
                (base.aupr_in, m.aupr_in),
                (base.aupr_out, m.aupr_out),
                (base.fpr95, m.fpr95),
            ];
            for (a, b) in pairs {
                prop_assert!((a - b).abs() < 1e-9, "{base:?} vs {m:?}");
            }
        }
    }

    #[test]
    fn perfect_separation_scores_perfectly(id in scores(), ood in scores()) {
        // Shift the OOD scores strictly below every ID score.
        let lowest = id.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = ood.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let ood: Vec<f64> = ood.iter().map(|s| s - highest + lowest - 1.0).collect();
        let m = ood_metrics(&id, &ood).unwrap();
        prop_assert_eq!((m.auroc, m.fpr95), (100.0, 0.0));
        prop_assert!((m.aupr_in - 100.0).abs() < 1e-9 && (m.aupr_out - 100.0).abs() < 1e-9);
    }
}
