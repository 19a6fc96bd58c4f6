//! Training and evaluation for trustdd.
//!
//! - [`dsa`]: differentiable Siamese augmentation (ALGORITHMS.md §4).
//! - [`DcAugmentConfig`]: DC's non-differentiable crop/scale/rotate/noise augmentation.
//! - [`Sgd`]: SGD with momentum and weight decay over `Var`s, PyTorch semantics.
//! - [`train()`]: the training loop over any [`TrainSource`] (an [`trustdd_core::ImageDataset`]
//!   or a [`TensorSource`]; [`MixedSource`] for two sets, the second weighted, in zipped
//!   batches) with hard or soft [`Targets`], optional DSA and step decay.
//! - [`evaluate_synthetic`] / [`accuracy`]: the evaluation protocol of ALGORITHMS.md §2.
//! - [`LabelRobustScore`]: DD-Ranking's hard-label recovery, improvement over random and
//!   label-robust score.
//!
//! Nothing here prints: progress goes through [`trustdd_core::Progress`].
#![deny(missing_docs)]

mod dc_augment;
pub mod dsa;
mod evaluate;
mod mixed_source;
mod ranking;
mod sgd;
mod source;
mod targets;
mod train;

// Every error here is a core one (candle, invalid parameter, shape, no gradient).
pub use dc_augment::{DcAugmentConfig, DcAugmentOp};
pub use evaluate::{
    accuracy, evaluate_synthetic, evaluation_network, mean_std, train_and_test, ArchEval,
    EvalConfig, EvalReport,
};
pub use mixed_source::MixedSource;
pub use ranking::{LabelRobustScore, ScoreSummary, DEFAULT_LRS_WEIGHT};
pub use sgd::{Sgd, SgdConfig};
pub use source::{TensorSource, TrainSource};
pub use targets::{soft_cross_entropy, Targets};
pub use train::{train, TrainConfig, TrainReport};
pub use trustdd_core::{Error, Result};
