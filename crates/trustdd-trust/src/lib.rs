//! Trust-Aware Diversion (TAD), ALGORITHMS.md §6: label-noise-robust dataset distillation.
//!
//! **The paper's equations were not available (ALGORITHMS.md §6 is marked reconstructed)**; each
//! module says which parts follow the paper's description and which are the standard choices.
//!
//! - [`Gmm2`]: two-component 1-D Gaussian mixture by EM (scikit-learn's iteration).
//! - [`split_classes`]: the class-wise dynamic threshold on min–max normalised losses.
//! - [`proxy_outputs`] / [`LossHistory`]: per-sample losses, predictions and features.
//! - [`warm_up`] / [`train_round`]: the proxy classifier with the consistency term (and,
//!   as an option, mixup in the rounds).
//! - [`Transition`] / [`train_forward_corrected`]: forward loss correction through an
//!   anchor-point estimate of the class-transition matrix, for class-conditional noise.
//! - [`Transition::clean_posterior`] / [`bayes_split`]: Bayes' posterior over the clean class
//!   under a transition (backward-corrected for a noisy-trained proxy), and the partition cut
//!   on it, with relabelling as a recall.
//! - [`ReliabilityModel`]: Mahalanobis (shrunk shared covariance, Cholesky) + cosine reliability.
//! - [`select_recalls`] / [`keep_previous`]: selective pseudo-labelling.
//! - [`CoDivideDiagnostics`]: two proxies that train on each other's split and hand on the
//!   agreement (DivideMix's co-divide), `TadConfig::co_divide`.
//! - [`CrossFit`]: cross-fitted proxies (INCV's folds and iterations), Bayes' clean posterior
//!   under an estimated transition and a cut on it, for class-conditional noise (issue 18);
//!   [`CrossFitConfig`] holds its settings.
//! - [`Tad`]: one outer round per `observe`, a [`trustdd_core::TrustPartitioner`] with
//!   [`RoundDiagnostics`] and checkpointable state; [`TadConfig`] holds every threshold.
//!
//! Diverting an objective to the trusted data (and MTT's experts) is the pipeline's job
//! (`trustdd-pipeline`): this crate depends on no other strategy crate.
#![deny(missing_docs)]

mod arrays;
mod bayes_split;
mod class_split;
mod config;
mod cross_fit;
mod diagnostics;
mod error;
mod gmm;
#[cfg(test)]
mod grad_check;
mod losses;
mod mixup;
mod proxy;
mod recall;
mod reliability;
mod state_tensors;
mod tad;
mod transition;

pub use bayes_split::{bayes_split, BayesSplit};
pub use class_split::{split_classes, ClassSplit, SplitConfig, SplitInput, SplitRule, SplitScore};
pub use config::TadConfig;
pub use cross_fit::{
    heldout_probabilities, CrossFit, CrossFitConfig, CrossFitDiagnostics, CrossFitIteration,
};
pub use diagnostics::{ClassDiagnostics, RoundDiagnostics};
pub use error::{Result, TrustError};
pub use gmm::{Gmm2, GmmConfig};
pub use losses::{proxy_outputs, LossHistory, ProxyOutputs};
pub use proxy::{
    new_proxy, train_forward_corrected, train_round, warm_up, ProxyConfig, ProxyTrainStats,
};
pub use recall::{keep_previous, select_recalls, RecallCap, RecallConfig};
pub use reliability::{ReliabilityConfig, ReliabilityModel, Scores};
pub use tad::{top_up, CoDivideDiagnostics, Tad};
pub use transition::{ForwardCorrection, Transition};
