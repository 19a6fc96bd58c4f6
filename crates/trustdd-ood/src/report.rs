//! What [`evaluate_ood`](crate::evaluate_ood) reports: per architecture, score and OOD set,
//! each run's metrics and their mean ± std (serde).

use crate::{OodMetrics, OodSet, ScoreKind};
use serde::{Deserialize, Serialize};
use trustdd_nn::ArchConfig;
use trustdd_train::mean_std;

/// Mean and population standard deviation over runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Mean.
    pub mean: f64,
    /// Population standard deviation (ddof = 0, as [`trustdd_train::mean_std`]).
    pub std: f64,
}

impl MeanStd {
    pub(crate) fn of(values: &[f64]) -> Self {
        let (mean, std) = mean_std(values);
        Self { mean, std }
    }
}

/// The four OOD metrics, each as mean ± std over runs (percent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricsSummary {
    /// AUROC.
    pub auroc: MeanStd,
    /// AUPR with ID positive.
    pub aupr_in: MeanStd,
    /// AUPR with OOD positive.
    pub aupr_out: MeanStd,
    /// FPR at 95% TPR.
    pub fpr95: MeanStd,
}

impl MetricsSummary {
    fn of(runs: &[OodMetrics]) -> Self {
        let field =
            |f: fn(&OodMetrics) -> f64| MeanStd::of(&runs.iter().map(f).collect::<Vec<_>>());
        Self {
            auroc: field(|m| m.auroc),
            aupr_in: field(|m| m.aupr_in),
            aupr_out: field(|m| m.aupr_out),
            fpr95: field(|m| m.fpr95),
        }
    }
}

/// One OOD set under one score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetOod {
    /// The OOD set's name.
    pub name: String,
    /// Metrics of each run.
    pub runs: Vec<OodMetrics>,
    /// Mean ± std over runs.
    pub summary: MetricsSummary,
}

/// Everything measured with one score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreOod {
    /// The score.
    pub score: ScoreKind,
    /// Per OOD set, in input order.
    pub sets: Vec<SetOod>,
    /// Each run's metrics averaged over the sets, then mean ± std over runs.
    pub mean_over_sets: MetricsSummary,
    /// Misclassification-detection AUROC (percent) of each run; `None` when a run's network was
    /// right on every test image or wrong on every one (undefined).
    pub misclassification_runs: Vec<Option<f64>>,
    /// Mean ± std over the runs where it is defined (`None` if none).
    pub misclassification_auroc: Option<MeanStd>,
}

/// Results for one architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchOod {
    /// The architecture's name (from the network).
    pub name: String,
    /// Its configuration.
    pub config: ArchConfig,
    /// Final-epoch test accuracy of each run, in [0, 1].
    pub accuracies: Vec<f64>,
    /// Their mean ± std.
    pub accuracy: MeanStd,
    /// Per score, in config order.
    pub scores: Vec<ScoreOod>,
}

/// The outcome of [`evaluate_ood`](crate::evaluate_ood).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OodReport {
    /// Whether the networks were trained with outlier exposure (CE + λ·L_OE).
    pub outlier_exposure: bool,
    /// λ used (0 when no outlier set was given).
    pub lambda: f64,
    /// Per architecture, in config order.
    pub architectures: Vec<ArchOod>,
    /// Histograms of the first network's scores (the first architecture's first run; MSP when
    /// evaluated), for pictures such as `ood.png`.
    pub histograms: Option<crate::ScoreHistograms>,
}

/// Aggregates one score's per-set, per-run metrics.
pub(crate) fn summarise(
    score: ScoreKind,
    sets: Vec<Vec<OodMetrics>>,
    ood_sets: &[OodSet],
    misclassification_runs: Vec<Option<f64>>,
) -> ScoreOod {
    let runs = sets.first().map_or(0, Vec::len);
    let per_run_mean: Vec<OodMetrics> = (0..runs)
        .map(|r| {
            let avg = |f: fn(&OodMetrics) -> f64| {
                sets.iter().map(|s| f(&s[r])).sum::<f64>() / sets.len() as f64
            };
            OodMetrics {
                auroc: avg(|m| m.auroc),
                aupr_in: avg(|m| m.aupr_in),
                aupr_out: avg(|m| m.aupr_out),
                fpr95: avg(|m| m.fpr95),
            }
        })
        .collect();
    let defined: Vec<f64> = misclassification_runs.iter().flatten().copied().collect();
    ScoreOod {
        score,
        mean_over_sets: MetricsSummary::of(&per_run_mean),
        sets: sets
            .into_iter()
            .zip(ood_sets)
            .map(|(runs, set)| SetOod {
                name: set.name.clone(),
                summary: MetricsSummary::of(&runs),
                runs,
            })
            .collect(),
        misclassification_auroc: (!defined.is_empty()).then(|| MeanStd::of(&defined)),
        misclassification_runs,
    }
}
