//! DD-Ranking's label-robust score (NUS-HPC-AI-Lab/DD-Ranking, `metrics/hard_label.py` and
//! `metrics/soft_label.py`): how much of the full data's accuracy a distilled set recovers
//! under hard labels, and how much it improves on a random real subset of the same size under
//! the set's own evaluation.

use crate::mean_std;
use serde::{Deserialize, Serialize};

/// DD-Ranking's default weight `w` of the improvement over random (`lrs_lambda = 0.5`).
pub const DEFAULT_LRS_WEIGHT: f64 = 0.5;

/// The scores of one evaluation round, from accuracies in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LabelRobustScore {
    /// Hard-label recovery `HLR = acc(full data, hard) − acc(set, hard labels)`: lower is better.
    pub hlr: f64,
    /// Improvement over random `IOR = acc(set, its evaluation) − acc(random subset, same
    /// evaluation)`: higher is better.
    pub ior: f64,
    /// `LRS = (e^α − e^−1) / (e − e^−1)` with `α = w·IOR − (1 − w)·HLR`, in [0, 1] for
    /// accuracies in [0, 1].
    pub lrs: f64,
}

impl LabelRobustScore {
    /// The scores of one round. `full` is the full training set's accuracy, `syn_hard` the
    /// set's with hard labels, `syn_any` the set's under its own evaluation (equal to
    /// `syn_hard` for a hard-label set), `random` a random real subset's under that evaluation;
    /// `weight` is `w`.
    ///
    /// DD-Ranking's code feeds percentages to the exponential, which leaves any real gap
    /// outside the score's range; the paper's normalisation to [0, 1] needs fractions, which is
    /// what this takes.
    pub fn new(full: f64, syn_hard: f64, syn_any: f64, random: f64, weight: f64) -> Self {
        let hlr = full - syn_hard;
        let ior = syn_any - random;
        let alpha = weight * ior - (1.0 - weight) * hlr;
        let e = std::f64::consts::E;
        let lrs = (alpha.exp() - 1.0 / e) / (e - 1.0 / e);
        Self { hlr, ior, lrs }
    }
}

/// Mean and population standard deviation over rounds, as DD-Ranking reports them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreSummary {
    /// Mean HLR.
    pub hlr_mean: f64,
    /// Population std of HLR.
    pub hlr_std: f64,
    /// Mean IOR.
    pub ior_mean: f64,
    /// Population std of IOR.
    pub ior_std: f64,
    /// Mean LRS.
    pub lrs_mean: f64,
    /// Population std of LRS.
    pub lrs_std: f64,
}

impl ScoreSummary {
    /// Summarises rounds (`NaN`s for none).
    pub fn of(rounds: &[LabelRobustScore]) -> Self {
        let pick =
            |f: fn(&LabelRobustScore) -> f64| mean_std(&rounds.iter().map(f).collect::<Vec<_>>());
        let (hlr_mean, hlr_std) = pick(|r| r.hlr);
        let (ior_mean, ior_std) = pick(|r| r.ior);
        let (lrs_mean, lrs_std) = pick(|r| r.lrs);
        Self {
            hlr_mean,
            hlr_std,
            ior_mean,
            ior_std,
            lrs_mean,
            lrs_std,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_by_hand() {
        // full 0.9, set 0.8 (hard = any), random 0.7: HLR 0.1, IOR 0.1, α = 0.05 − 0.05 = 0,
        // LRS = (1 − e^−1)/(e − e^−1) = 0.632121/2.350402 = 0.268941 (= 1/(1 + e)).
        let s = LabelRobustScore::new(0.9, 0.8, 0.8, 0.7, 0.5);
        assert!((s.hlr - 0.1).abs() < 1e-12 && (s.ior - 0.1).abs() < 1e-12);
        assert!((s.lrs - 1.0 / (1.0 + std::f64::consts::E)).abs() < 1e-12);
        assert!((s.lrs - 0.268_941_421).abs() < 1e-8);
        // The extremes map to 0 and 1: α = −1 (HLR 1, IOR −1) and α = 1 (HLR −1, IOR 1).
        assert!(LabelRobustScore::new(1.0, 0.0, 0.0, 1.0, 0.5).lrs.abs() < 1e-12);
        assert!((LabelRobustScore::new(0.0, 1.0, 1.0, 0.0, 0.5).lrs - 1.0).abs() < 1e-12);
        // A soft-label set: HLR from the hard-label accuracy, IOR from its own evaluation;
        // w = 1 ignores HLR: α = IOR = 0.3, LRS = (e^0.3 − e^−1)/(e − e^−1) = 0.417792.
        let s = LabelRobustScore::new(0.9, 0.5, 0.8, 0.5, 1.0);
        assert!((s.hlr - 0.4).abs() < 1e-12 && (s.ior - 0.3).abs() < 1e-12);
        assert!((s.lrs - 0.417_792_0).abs() < 1e-6, "{}", s.lrs);
    }

    #[test]
    fn summary_is_mean_and_population_std_of_the_rounds() {
        let rounds = [
            LabelRobustScore::new(0.9, 0.8, 0.8, 0.7, 0.5),
            LabelRobustScore::new(0.9, 0.6, 0.6, 0.7, 0.5),
        ];
        let s = ScoreSummary::of(&rounds);
        // HLR 0.1 and 0.3: mean 0.2, std 0.1; IOR 0.1 and −0.1: mean 0, std 0.1.
        assert!((s.hlr_mean - 0.2).abs() < 1e-12 && (s.hlr_std - 0.1).abs() < 1e-12);
        assert!(s.ior_mean.abs() < 1e-12 && (s.ior_std - 0.1).abs() < 1e-12);
        let lrs = [rounds[0].lrs, rounds[1].lrs];
        assert!((s.lrs_mean - (lrs[0] + lrs[1]) / 2.0).abs() < 1e-12);
    }
}
