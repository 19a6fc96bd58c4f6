//! Errors of the distillation crate.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = DistillError> = std::result::Result<T, E>;

/// What can go wrong while distilling, saving or loading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DistillError {
    /// A tensor operation failed inside candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A core error: invalid parameter, malformed file, I/O, shape mismatch, IPC too large, ...
    #[error(transparent)]
    Core(#[from] trustdd_core::Error),
    /// Building or running a network failed.
    #[error(transparent)]
    Nn(#[from] trustdd_nn::NnError),
    /// Training or evaluation failed.
    #[error(transparent)]
    Train(#[from] trustdd_train::TrainError),
    /// A checkpoint was written by a run with another configuration, so resuming from it would
    /// not reproduce either run.
    #[error(
        "{path}: checkpoint is from a different configuration (config hash {found}, this run {expected}); \
         delete it or use the original configuration"
    )]
    CheckpointMismatch {
        /// The checkpoint file.
        path: PathBuf,
        /// This run's configuration hash.
        expected: String,
        /// The hash stored in the checkpoint.
        found: String,
    },
    /// The loss gradient did not reach the synthetic images (a detached graph).
    #[error("{objective}: no gradient reached {what}")]
    NoGradient {
        /// The objective that computed the loss.
        objective: String,
        /// What should have received a gradient.
        what: String,
    },
    /// A loss became NaN or infinite (learning rate too large for these images).
    #[error("{objective}: loss is {value} at iteration {iteration}; lower the learning rate")]
    NonFinite {
        /// The objective.
        objective: String,
        /// The loss value.
        value: f64,
        /// The iteration (0-based).
        iteration: usize,
    },
    /// The second-order worker thread could not be started.
    #[error("second-order worker thread: {0}")]
    Worker(String),
}

impl DistillError {
    /// Shorthand for an invalid-parameter core error.
    pub fn invalid(
        name: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        DistillError::Core(trustdd_core::Error::invalid(name, value, expected))
    }

    /// Shorthand for a malformed-file core error.
    pub fn format(
        path: impl Into<PathBuf>,
        format: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        DistillError::Core(trustdd_core::Error::format(path, format, reason))
    }
}
