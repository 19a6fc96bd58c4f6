//! [`ScoreHistograms`]: how the in-distribution and each OOD set's scores are distributed.

use crate::ScoreKind;
use serde::{Deserialize, Serialize};

/// Bins of the score histograms.
pub const BINS: usize = 40;

/// Histograms of one network's scores over the test set and each OOD set, on shared bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistograms {
    /// The score.
    pub score: ScoreKind,
    /// `BINS + 1` bin edges, ascending (the first and last are the lowest and highest score).
    pub edges: Vec<f64>,
    /// Counts of the test set's scores per bin.
    pub in_distribution: Vec<u64>,
    /// Counts per bin of each OOD set's scores, by name.
    pub sets: Vec<(String, Vec<u64>)>,
}

impl ScoreHistograms {
    /// Histograms of `id` and each of `sets` over `BINS` equal bins spanning all their scores
    /// (a bin holds `lo ≤ s < hi`; the last also its upper edge).
    pub fn new(score: ScoreKind, id: &[f64], sets: &[(String, Vec<f64>)]) -> Self {
        let all = id.iter().chain(sets.iter().flat_map(|(_, s)| s.iter()));
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &s| {
            (a.min(s), b.max(s))
        });
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo, hi)
        } else {
            (lo.min(0.0), lo.max(0.0) + 1.0)
        };
        let width = (hi - lo) / BINS as f64;
        let count = |scores: &[f64]| {
            let mut bins = vec![0u64; BINS];
            for &s in scores {
                let k = (((s - lo) / width) as usize).min(BINS - 1);
                bins[k] += 1;
            }
            bins
        };
        Self {
            score,
            edges: (0..=BINS)
                .map(|k| if k == BINS { hi } else { lo + width * k as f64 })
                .collect(),
            in_distribution: count(id),
            sets: sets.iter().map(|(n, s)| (n.clone(), count(s))).collect(),
        }
    }
}
