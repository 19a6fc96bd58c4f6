//! TrustDD: pseudo-outlier exposure and OOD detection, ALGORITHMS.md §7.
//!
//! - [`generators`]: pseudo-outlier corruptions ([`trustdd_core::OutlierGenerator`]s) and
//!   [`GeneratorList`] with its spec parser (`"poe"`, `"jigsaw:4,pixelate:0.25"`).
//! - [`PseudoOutlierSampler`]: a [`trustdd_core::RealSampler`] whose "class" `g` is real images
//!   corrupted by generator `g`, so any objective distils the outlier set S_o from it (the
//!   pipeline, `trustdd-pipeline`, composes that: this crate depends on no other strategy
//!   crate).
//! - [`oe_loss`], and [`OeSource`]: training on S with `CE + λ·L_OE` on S_o through the ordinary
//!   training loop.
//! - [`scores()`] (MSP, MaxLogit, Energy), [`metrics`] (AUROC, AUPR-In/Out, FPR95, as
//!   scikit-learn), [`OodSet`] builders, and [`evaluate_ood`], the OOD evaluation protocol.
//!
//! What follows the paper: the four corruptions, S_o of the same size as S with slot `k` drawn
//! from corruption `k mod 4`, matching ∇θ L_OE (DC/DSA) or embedding means per slot group (DM),
//! the training loss `CE + λ L_OE` with λ = 0.5, the scores and metrics. What is reconstructed
//! (documented where it is implemented): the corruption parameters' details, the size rounding
//! of S_o, how mini-batches mix S and S_o, the inner network training of outlier gradient
//! matching, and the noise OOD sets.
#![deny(missing_docs)]

mod arrays;
mod error;
mod evaluate;
pub mod generators;
mod histograms;
pub mod metrics;
pub mod noise_sets;
mod oe;
mod ood_resize;
mod ood_sets;
mod report;
pub mod resample;
mod sampler;
mod scores;
mod slots;
mod train_oe;

pub use arrays::{ood_metrics_arrays, scores_array};
pub use error::{OodError, Result};
pub use evaluate::{evaluate_ood, OodEvalConfig};
pub use generators::{
    GeneratorList, Invert, Jigsaw, Mix, Pixelate, QuadrantJigsaw, Speckle, POE_SPEC,
};
pub use histograms::{ScoreHistograms, BINS};
pub use metrics::{ood_metrics, OodMetrics};
pub use oe::oe_loss;
pub use ood_resize::to_shape as resize_to_shape;
pub use ood_sets::OodSet;
pub use report::{ArchOod, MeanStd, MetricsSummary, OodReport, ScoreOod, SetOod};
pub use sampler::PseudoOutlierSampler;
pub use scores::{scores, ScoreKind};
pub use slots::OutlierSlots;
pub use train_oe::{OeSource, DEFAULT_LAMBDA};
