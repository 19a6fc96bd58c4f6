//! Selective pseudo-labelling (TAD's inner loop, ALGORITHMS.md §6, **reconstructed** from the
//! summary: reliability threshold δ, agreement of three views, optional per-class cap).

use crate::error::Result;
use crate::losses::argmax;
use crate::reliability::Scores;
use serde::{Deserialize, Serialize};

/// How many new samples a class may receive per round.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RecallCap {
    /// At most `⌈f·|T_c|⌉` new samples for class `c`, `|T_c|` its trusted count before recall.
    Fraction(f64),
    /// At most this many new samples per class.
    Count(usize),
    /// No cap.
    Unlimited,
}

/// Settings of the recall.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecallConfig {
    /// Accept a pseudo-label when its reliability is at least δ (default 0.9). Previously
    /// recalled samples stay while their reliability for their pseudo-label is ≥ δ/2.
    pub delta: f64,
    /// Per-class, per-round cap (default: a fraction 0.2 of the class's trusted count).
    pub cap: RecallCap,
    /// Recall passes per round, anchors refitted between them (default 1; 0 disables recall).
    pub iterations: usize,
}

impl Default for RecallConfig {
    fn default() -> Self {
        Self {
            delta: 0.9,
            cap: RecallCap::Fraction(0.2),
            iterations: 1,
        }
    }
}

impl RecallConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// An invalid-parameter error naming `delta` or `recall_cap`.
    pub fn validate(&self) -> Result<()> {
        if !(self.delta.is_finite() && self.delta > 0.0 && self.delta <= 1.0) {
            return Err(trustdd_core::Error::invalid(
                "delta",
                self.delta,
                "a number in (0, 1]",
            ));
        }
        if let RecallCap::Fraction(f) = self.cap {
            if !(f.is_finite() && f >= 0.0) {
                return Err(trustdd_core::Error::invalid(
                    "recall_cap",
                    f,
                    "a fraction >= 0",
                ));
            }
        }
        Ok(())
    }

    fn limit(&self, trusted_in_class: usize) -> usize {
        match self.cap {
            RecallCap::Fraction(f) => (f * trusted_in_class as f64).ceil() as usize,
            RecallCap::Count(k) => k,
            RecallCap::Unlimited => usize::MAX,
        }
    }
}

/// Which scored samples (positions in `scores`) keep their previous pseudo-label: those whose
/// reliability for it is at least δ/2.
pub fn keep_previous(scores: &Scores, pseudo_labels: &[u32], delta: f64) -> Vec<bool> {
    pseudo_labels
        .iter()
        .enumerate()
        .map(|(k, &y)| scores.row(&scores.reliability, k)[y as usize] >= delta / 2.0)
        .collect()
}

/// New pseudo-labels for the scored `candidates` (sample ids, in the order of `scores`' rows):
/// `ŷ = argmax_c r_ic` is accepted when `r_iŷ ≥ δ` and the Mahalanobis argmin, the cosine
/// argmax and the proxy's prediction all equal `ŷ`. Per class, the most reliable accepted
/// candidates are taken up to the cap (`trusted_per_class` sizes the fraction cap); ties keep
/// the lower id. Returns `(sample id, pseudo-label)` sorted by id.
pub fn select_recalls(
    candidates: &[usize],
    scores: &Scores,
    predictions: &[u32],
    trusted_per_class: &[usize],
    config: &RecallConfig,
) -> Vec<(usize, u32)> {
    let mut accepted: Vec<Vec<(f64, usize)>> = vec![Vec::new(); scores.num_classes];
    for (k, &i) in candidates.iter().enumerate() {
        let r = scores.row(&scores.reliability, k);
        let y = argmax(r);
        let nearest = argmax(
            &scores
                .row(&scores.mahalanobis, k)
                .iter()
                .map(|m| -m)
                .collect::<Vec<_>>(),
        );
        let closest_angle = argmax(scores.row(&scores.cosine, k));
        if r[y] >= config.delta
            && nearest == y
            && closest_angle == y
            && predictions.get(i).is_some_and(|&p| p as usize == y)
        {
            accepted[y].push((r[y], i));
        }
    }
    let mut out = Vec::new();
    for (c, mut list) in accepted.into_iter().enumerate() {
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let limit = config.limit(trusted_per_class.get(c).copied().unwrap_or(0));
        out.extend(list.into_iter().take(limit).map(|(_, i)| (i, c as u32)));
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(rows: &[([f64; 2], [f64; 2], [f64; 2])]) -> Scores {
        Scores {
            num_classes: 2,
            mahalanobis: rows.iter().flat_map(|r| r.0).collect(),
            cosine: rows.iter().flat_map(|r| r.1).collect(),
            reliability: rows.iter().flat_map(|r| r.2).collect(),
        }
    }

    #[test]
    fn agreement_threshold_and_cap() {
        let s = scores(&[
            ([1.0, 9.0], [0.9, 0.1], [0.95, 0.05]), // id 10: all agree on 0, r ≥ δ → recalled
            ([1.0, 9.0], [0.1, 0.9], [0.95, 0.05]), // id 11: cosine disagrees
            ([1.0, 9.0], [0.9, 0.1], [0.85, 0.15]), // id 12: r < δ
            ([9.0, 1.0], [0.1, 0.9], [0.02, 0.98]), // id 13: class 1, proxy disagrees
            ([9.0, 1.0], [0.1, 0.9], [0.03, 0.97]), // id 14: class 1
            ([9.0, 1.0], [0.1, 0.9], [0.01, 0.99]), // id 15: class 1, most reliable
        ]);
        let pred = [0u32; 10]
            .into_iter()
            .chain([0, 0, 0, 0, 1, 1])
            .collect::<Vec<_>>();
        let ids = [10, 11, 12, 13, 14, 15];
        let c = RecallConfig {
            cap: RecallCap::Count(1),
            ..RecallConfig::default()
        };
        assert_eq!(
            select_recalls(&ids, &s, &pred, &[5, 5], &c),
            vec![(10, 0), (15, 1)]
        );
        let open = RecallConfig {
            cap: RecallCap::Unlimited,
            ..c
        };
        assert_eq!(
            select_recalls(&ids, &s, &pred, &[5, 5], &open),
            vec![(10, 0), (14, 1), (15, 1)]
        );
        // Fraction 0.2 of 5 trusted = 1 per class; of 0 trusted = none.
        let frac = RecallConfig::default();
        assert_eq!(
            select_recalls(&ids, &s, &pred, &[0, 5], &frac),
            vec![(15, 1)]
        );
        // Keeping needs r ≥ δ/2 = 0.45 for the old label: only id 14 (0.03 for class 0) drops.
        assert_eq!(
            keep_previous(&s, &[0, 0, 0, 1, 0, 1], 0.9),
            vec![true, true, true, true, false, true]
        );
        assert!(RecallConfig { delta: 0.0, ..frac }.validate().is_err());
    }
}
