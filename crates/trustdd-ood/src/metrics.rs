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
    /// Fraction of OOD accepted at the threshold that keeps ≥ 95% of ID ([`fpr_at_95_tpr`]).
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

/// FPR at 95% TPR, in percent: with `t` the LARGEST score such that at least 95% of `id` scores
/// are `≥ t`, the percentage of `ood` scores `≥ t`. Everything tied at `t` is accepted, so with
/// ties the TPR may exceed 95%. Equals `fpr[np.searchsorted(tpr, 0.95)]` on sklearn's
/// `roc_curve(drop_intermediate=False)`; the 95% test is exact integer arithmetic.
///
/// # Errors
/// As [`auroc`].
pub fn fpr_at_95_tpr(id: &[f64], ood: &[f64]) -> Result<f64> {
    let points = curve(id, ood)?;
    // The last point has tp = |id|, so a point always qualifies.
    let &(_, fp) = points
        .iter()
        .find(|&&(tp, _)| tp * 100 >= 95 * id.len())
        .unwrap_or(&(id.len(), ood.len()));
    Ok(100.0 * fp as f64 / ood.len() as f64)
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
            let got = [m.auroc, m.aupr_in, m.aupr_out, m.fpr95];
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-9, "case {k}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn fpr95_by_hand() {
        // ID 1..=20: the largest threshold keeping ≥ 19/20 is 2; OOD ≥ 2: {2.5, 10.5} → 50%.
        let id: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(fpr_at_95_tpr(&id, &[0.5, 1.5, 2.5, 10.5]).unwrap(), 50.0);
        // 19 ID tied at 5 and one at 1: threshold 5 keeps exactly 95%; the OOD score tied at 5 is
        // accepted with them → 1 of 3.
        let mut id = vec![5.0; 19];
        id.push(1.0);
        let f = fpr_at_95_tpr(&id, &[5.0, 4.0, 0.0]).unwrap();
        assert!((f - 100.0 / 3.0).abs() < 1e-12);
        // 18 at 5 and 2 at 1 is only 90% at 5, so the threshold drops to 1: all OOD ≥ 1 count.
        let mut id = vec![5.0; 18];
        id.extend([1.0, 1.0]);
        assert_eq!(fpr_at_95_tpr(&id, &[5.0, 4.0, 0.0]).unwrap(), 200.0 / 3.0);
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
