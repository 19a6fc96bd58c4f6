//! OOD-detection metrics with in-distribution as the positive class, in percent
//! (ALGORITHMS.md §7), with ties handled exactly as scikit-learn.

use crate::Result;
use serde::{Deserialize, Serialize};

/// The four OOD-detection figures for one (ID, OOD) pair of score sets, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OodMetrics {
    /// Area under the ROC curve (ID positive): `roc_auc_score`.
    pub auroc: f64,
    /// Average precision with ID positive: `average_precision_score(y_id, s)`.
    pub aupr_in: f64,
    /// Average precision with OOD positive and negated scores:
    /// `average_precision_score(y_ood, −s)`.
    pub aupr_out: f64,
    /// Fraction of OOD accepted at the threshold nearest 95% ID recall ([`fpr_at_95_tpr`], the
    /// official evaluation's rule).
    pub fpr95: f64,
}

/// Cumulative (true positives, false positives) after each DISTINCT threshold, scores descending:
/// the points of sklearn's `roc_curve(drop_intermediate=False)` / `precision_recall_curve`.
fn curve(pos: &[f64], neg: &[f64]) -> Result<Vec<(usize, usize)>> {
    if pos.is_empty() || neg.is_empty() {
        let which = if pos.is_empty() {
            "positive"
        } else {
            "negative"
        };
        return Err(trustdd_core::Error::empty(format!(
            "{which} (in- or out-of-distribution) scores"
        )));
    }
    if let Some(bad) = pos.iter().chain(neg).find(|s| s.is_nan()) {
        return Err(trustdd_core::Error::invalid(
            "OOD score",
            bad,
            "a number (not NaN)",
        ));
    }
    let mut all: Vec<(f64, bool)> = pos.iter().map(|&s| (s, true)).collect();
    all.extend(neg.iter().map(|&s| (s, false)));
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut points = Vec::new();
    let (mut tp, mut fp) = (0, 0);
    for (i, &(s, is_pos)) in all.iter().enumerate() {
        if is_pos {
            tp += 1;
        } else {
            fp += 1;
        }
        // A threshold ends where the next score differs (all tied scores are accepted together).
        if all.get(i + 1).is_none_or(|next| next.0 != s) {
            points.push((tp, fp));
        }
    }
    Ok(points)
}

/// Area under the ROC curve, positives `pos` against negatives `neg`, in percent: the
/// trapezoidal area over the distinct-threshold points, as `sklearn.metrics.roc_auc_score`
/// (a tie between a positive and a negative counts one half).
///
/// # Errors
/// [`trustdd_core::Error::Empty`] when either set is empty; an invalid-parameter error for a NaN score.
pub fn auroc(pos: &[f64], neg: &[f64]) -> Result<f64> {
    let (p, n) = (pos.len() as f64, neg.len() as f64);
    let (mut area, mut prev) = (0.0, (0usize, 0usize));
    for (tp, fp) in curve(pos, neg)? {
        area += (fp - prev.1) as f64 * (tp + prev.0) as f64 / 2.0;
        prev = (tp, fp);
    }
    Ok(100.0 * area / (p * n))
}

/// Average precision of positives `pos` against negatives `neg`, in percent:
/// `Σ_n (R_n − R_{n−1}) P_n` over distinct thresholds in descending order (`R_0 = 0`), as
/// `sklearn.metrics.average_precision_score`.
///
/// # Errors
/// As [`auroc`].
pub fn average_precision(pos: &[f64], neg: &[f64]) -> Result<f64> {
    let p = pos.len() as f64;
    let (mut ap, mut prev_tp) = (0.0, 0usize);
    for (tp, fp) in curve(pos, neg)? {
        ap += (tp - prev_tp) as f64 / p * (tp as f64 / (tp + fp) as f64);
        prev_tp = tp;
    }
    Ok(100.0 * ap)
}

/// FPR at 95% TPR, in percent, by the rule of the official TrustDD (and Outlier Exposure)
/// evaluation, `fpr_and_fdr_at_recall(recall_level=0.95)` with ID as the positive class: over
/// the distinct score thresholds (descending) up to the first one that accepts every ID score,
/// plus a final point of recall 1 and no false positive, take the first point (walking from
/// that all-accepting threshold upward) whose recall is closest to 0.95, and return the
/// percentage of OOD scores accepted there. The closest point may lie below 95% recall.
///
/// # Errors
/// As [`auroc`].
pub fn fpr_at_95_tpr(id: &[f64], ood: &[f64]) -> Result<f64> {
    let points = curve(id, ood)?;
    let tp_max = id.len();
    // The first threshold that accepts every ID score; the walk goes from there back up.
    let last = points
        .iter()
        .position(|&(tp, _)| tp == tp_max)
        .unwrap_or(points.len() - 1);
    let walk = points[..=last]
        .iter()
        .rev()
        .map(|&(tp, fp)| (tp as f64 / tp_max as f64, fp))
        .chain(std::iter::once((1.0, 0)));
    let mut best = (f64::INFINITY, 0);
    for (recall, fp) in walk {
        let distance = (recall - 0.95).abs();
        if distance < best.0 {
            best = (distance, fp);
        }
    }
    Ok(100.0 * best.1 as f64 / ood.len() as f64)
}

/// All four metrics for in-distribution scores `id` against out-of-distribution scores `ood`
/// (higher = more in-distribution).
///
/// # Errors
/// [`trustdd_core::Error::Empty`] when either set is empty; an invalid-parameter error for a NaN score.
pub fn ood_metrics(id: &[f64], ood: &[f64]) -> Result<OodMetrics> {
    let neg = |v: &[f64]| v.iter().map(|s| -s).collect::<Vec<_>>();
    Ok(OodMetrics {
        auroc: auroc(id, ood)?,
        aupr_in: average_precision(id, ood)?,
        aupr_out: average_precision(&neg(ood), &neg(id))?,
        fpr95: fpr_at_95_tpr(id, ood)?,
    })
}

/// Misclassification-detection AUROC in percent: positives are the correctly classified
/// samples, ranked by their confidence `scores`.
///
/// # Errors
/// [`trustdd_core::Error::Empty`] when every sample is correct or every one is wrong (the AUROC is then
/// undefined); a shape error when the lengths differ.
pub fn misclassification_auroc(scores: &[f64], correct: &[bool]) -> Result<f64> {
    if scores.len() != correct.len() {
        return Err(trustdd_core::Error::shape(
            "correctness flags for scores",
            scores.len(),
            correct.len(),
        ));
    }
    let pick = |want: bool| -> Vec<f64> {
        scores
            .iter()
            .zip(correct)
            .filter(|(_, &c)| c == want)
            .map(|(&s, _)| s)
            .collect()
    };
    auroc(&pick(true), &pick(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from scikit-learn 1.9.1 (/tmp/torchenv/bin/python):
    /// ```python
    /// import numpy as np
    /// from sklearn.metrics import roc_auc_score, average_precision_score, roc_curve
    /// cases = {
    ///  "A": ([0.9,0.8,0.8,0.7,0.5,0.5],[0.8,0.6,0.5,0.5,0.1]),
    ///  "B": ([1,1,1],[1,1]),
    ///  "C": ([3,4,5],[0,1,2]),
    ///  "D": ([0,1],[2,3,3]),
    ///  "E": ([(i*37)%11 for i in range(30)],[(i*13)%7 for i in range(25)]),
    /// }
    /// for k,(i,o) in cases.items():
    ///     s=np.array(i+o,float); y=np.array([1]*len(i)+[0]*len(o))
    ///     fpr,tpr,_=roc_curve(y,s,drop_intermediate=False)
    ///     print(k, 100*roc_auc_score(y,s), 100*average_precision_score(y,s),
    ///           100*average_precision_score(1-y,-s), 100*fpr[np.searchsorted(tpr,0.95)])
    /// ```
    #[test]
    fn metrics_equal_sklearn_with_ties() {
        let e_id: Vec<f64> = (0..30).map(|i| ((i * 37) % 11) as f64).collect();
        let e_ood: Vec<f64> = (0..25).map(|i| ((i * 13) % 7) as f64).collect();
        let cases: Vec<(Vec<f64>, Vec<f64>, [f64; 4])> = vec![
            (
                vec![0.9, 0.8, 0.8, 0.7, 0.5, 0.5],
                vec![0.8, 0.6, 0.5, 0.5, 0.1],
                [
                    73.33333333333333,
                    74.99999999999999,
                    67.33333333333333,
                    80.0,
                ],
            ),
            // All tied.
            (vec![1.; 3], vec![1.; 2], [50.0, 60.0, 40.0, 100.0]),
            // Perfectly separated.
            (
                vec![3., 4., 5.],
                vec![0., 1., 2.],
                [100.0, 100.0, 100.0, 0.0],
            ),
            // Perfectly reversed, with a tie among the OOD.
            (
                vec![0., 1.],
                vec![2., 3., 3.],
                [0.0, 32.5, 51.11111111111111, 100.0],
            ),
            (
                e_id,
                e_ood,
                [
                    65.60000000000001,
                    74.45881113931398,
                    54.92537277851369,
                    100.0,
                ],
            ),
        ];
        for (k, (id, ood, want)) in cases.iter().enumerate() {
            let m = ood_metrics(id, ood).unwrap();
            // FPR95 follows the official rule instead (fpr95_equals_the_official_evaluation).
            let got = [m.auroc, m.aupr_in, m.aupr_out];
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-9, "case {k}: {got:?} vs {want:?}");
            }
        }
    }

    /// Reference values of the official evaluation's FPR95 (mashijie1028/TrustDD,
    /// `utils/ood_utils.py`, imported from a clone with numpy 2.4.6 and scikit-learn; `torch`
    /// stubbed by an empty package, since `get_measures` uses only numpy and sklearn):
    /// ```python
    /// import sys; sys.path.insert(0, "<clone>/utils"); sys.path.insert(0, "<empty torch stub>")
    /// import numpy as np
    /// from ood_utils import get_measures
    /// cases = {
    ///     "A": ([0.9, 0.8, 0.8, 0.7, 0.5, 0.5], [0.8, 0.6, 0.5, 0.5, 0.1]),
    ///     "B": ([1, 1, 1], [1, 1]),
    ///     "C": ([3, 4, 5], [0, 1, 2]),
    ///     "D": ([0, 1], [2, 3, 3]),
    ///     "E": ([(i * 37) % 11 for i in range(30)], [(i * 13) % 7 for i in range(25)]),
    ///     "F": ([float(i) for i in range(1, 21)], [0.5, 1.5, 2.5, 10.5]),
    ///     "G": ([5.0] * 19 + [1.0], [5.0, 4.0, 0.0]),
    ///     "H": ([5.0] * 18 + [1.0, 1.0], [5.0, 4.0, 0.0]),
    ///     "I": ([((i * 7919) % 1000) / 10 for i in range(100)],
    ///           [((i * 104729) % 1000) / 12 for i in range(60)]),
    /// }
    /// for k, (i, o) in cases.items():
    ///     print(k, repr(100 * get_measures(np.array(i, float), np.array(o, float))[2]))
    /// ```
    /// prints 80, 100, 0, 100, 84, 75, 66.666…, 66.666…, 95. Case E differs from sklearn's
    /// `fpr[searchsorted(tpr, 0.95)]` (100), F and G too (50, 33.3): the official rule takes the
    /// threshold nearest 95% recall, not the first one reaching it.
    #[test]
    fn fpr95_equals_the_official_evaluation() {
        let range = |n: i32, f: &dyn Fn(i32) -> f64| (0..n).map(f).collect::<Vec<f64>>();
        let mut g = vec![5.0; 19];
        g.push(1.0);
        let mut h = vec![5.0; 18];
        h.extend([1.0, 1.0]);
        let cases: Vec<(Vec<f64>, Vec<f64>, f64)> = vec![
            (
                vec![0.9, 0.8, 0.8, 0.7, 0.5, 0.5],
                vec![0.8, 0.6, 0.5, 0.5, 0.1],
                80.0,
            ),
            (vec![1.; 3], vec![1.; 2], 100.0),
            (vec![3., 4., 5.], vec![0., 1., 2.], 0.0),
            (vec![0., 1.], vec![2., 3., 3.], 100.0),
            (
                range(30, &|i| f64::from((i * 37) % 11)),
                range(25, &|i| f64::from((i * 13) % 7)),
                84.0,
            ),
            (
                range(20, &|i| f64::from(i + 1)),
                vec![0.5, 1.5, 2.5, 10.5],
                75.0,
            ),
            (g, vec![5.0, 4.0, 0.0], 66.66666666666666),
            (h, vec![5.0, 4.0, 0.0], 66.66666666666666),
            (
                range(100, &|i| f64::from((i * 7919) % 1000) / 10.0),
                range(60, &|i| f64::from((i * 104729) % 1000) / 12.0),
                95.0,
            ),
        ];
        for (k, (id, ood, want)) in cases.iter().enumerate() {
            let got = fpr_at_95_tpr(id, ood).unwrap();
            assert!((got - want).abs() < 1e-9, "case {k}: {got} vs {want}");
        }
    }

    #[test]
    fn misclassification_and_empty_sets() {
        // Correct: 0.9, 0.6; wrong: 0.7, 0.2 → pairs (0.9>0.7, 0.9>0.2, 0.6<0.7, 0.6>0.2) = 3/4.
        let a = misclassification_auroc(&[0.9, 0.7, 0.6, 0.2], &[true, false, true, false]);
        assert_eq!(a.unwrap(), 75.0);
        assert!(matches!(
            misclassification_auroc(&[0.9, 0.7], &[true, true]),
            Err(trustdd_core::Error::Empty { .. })
        ));
        assert!(matches!(
            ood_metrics(&[], &[1.0]),
            Err(trustdd_core::Error::Empty { .. })
        ));
        assert!(matches!(
            ood_metrics(&[1.0], &[]),
            Err(trustdd_core::Error::Empty { .. })
        ));
        assert!(ood_metrics(&[f64::NAN], &[1.0]).is_err());
    }
}
