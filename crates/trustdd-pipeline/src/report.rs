//! [`RunReport`]: what a run did, serialised as its `report.json`.

use crate::config::RunConfig;
use crate::ranking::RankingReport;
use serde::Serialize;
use trustdd_core::{PartitionRound, SyntheticSet};
use trustdd_distill::DistillReport;
use trustdd_noise::NoiseReport;
use trustdd_ood::OodReport;
use trustdd_train::EvalReport;

/// What a run did. Its JSON form holds no wall-clock figure, so two runs with the same
/// configuration write the same bytes; the timings are fields skipped by serde.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// The effective configuration ([`RunConfig::resolved`]): the run's reproducibility record.
    pub config: RunConfig,
    /// Parts replaced through the pipeline's builder, by role (for example
    /// `("objective", "my-objective")`): they are not described by `config`.
    pub overrides: Vec<(String, String)>,
    /// Images held out as the validation split (0 without one).
    pub validation_size: usize,
    /// The noise model's report (`None` without noise).
    pub noise: Option<NoiseReport>,
    /// Every distillation of the run; the last one is the run's set.
    pub runs: Vec<VariantReport>,
    /// The outlier set and OOD evaluation, when configured.
    pub outliers: Option<OutlierReport>,
    /// DD-Ranking's metrics for the run's set, when configured.
    pub ranking: Option<RankingReport>,
    /// Seconds of the whole run.
    #[serde(skip)]
    pub total_seconds: f64,
}

/// One distillation of a run (clean labels, noisy labels, or noisy labels with a partitioner).
#[derive(Debug, Serialize)]
pub struct VariantReport {
    /// Its name in tables ("clean labels", "noisy labels + TAD", ...).
    pub label: String,
    /// The partitioner's name, when one diverted the run.
    pub partitioner: Option<String>,
    /// The distillation (losses, evaluations).
    pub distill: DistillReport,
    /// Evaluation of the initial set, when asked.
    pub baseline: Option<EvalReport>,
    /// The distilled set's accuracy on the validation split, when there is one.
    pub validation: Option<EvalReport>,
    /// Every refit of the partitioner, in order (numbered 0, 1, … here): warm-up rounds, then
    /// refits during expert training or distillation.
    pub rounds: Vec<PartitionRound>,
    /// The distilled set.
    #[serde(skip)]
    pub syn: SyntheticSet,
}

/// TrustDD's outlier set S_o and the OOD evaluation with and without it.
#[derive(Debug, Serialize)]
pub struct OutlierReport {
    /// The groups of S_o (generators, or the outlier dataset).
    pub groups: Vec<String>,
    /// Distillation of S_o.
    pub distill: DistillReport,
    /// OOD evaluation of networks trained on S alone.
    pub plain: OodReport,
    /// OOD evaluation of networks trained on S and S_o (CE + λ·OE).
    pub exposed: OodReport,
    /// The outlier set.
    #[serde(skip)]
    pub set: SyntheticSet,
}

/// What [`crate::Pipeline::partition`] did: the rounds a run with this configuration fits.
/// Its JSON form, like [`RunReport`]'s, holds no wall-clock figure.
#[derive(Debug, Serialize)]
pub struct PartitionReport {
    /// The partitioner's name.
    pub partitioner: String,
    /// The effective configuration ([`RunConfig::resolved`]).
    pub config: RunConfig,
    /// Parts replaced through the pipeline's builder, by role.
    pub overrides: Vec<(String, String)>,
    /// Images held out as the validation split (0 without one).
    pub validation_size: usize,
    /// The noise model's report (`None` without noise).
    pub noise: Option<NoiseReport>,
    /// Every round, numbered 0, 1, …: warm-up rounds, then refits.
    pub rounds: Vec<PartitionRound>,
    /// The last split as `partition.png` bytes, when the partitioner gives a split view.
    #[serde(skip)]
    pub picture: Option<Vec<u8>>,
}
