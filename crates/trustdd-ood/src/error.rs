//! Errors of the OOD crate.

/// Result alias for this crate.
pub type Result<T, E = OodError> = std::result::Result<T, E>;

/// What can go wrong while generating outliers, distilling or evaluating OOD detection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OodError {
    /// A tensor operation failed inside candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A core error: invalid parameter, shape mismatch, empty class, ...
    #[error(transparent)]
    Core(#[from] trustdd_core::Error),
    /// Building or running a network failed.
    #[error(transparent)]
    Nn(#[from] trustdd_nn::NnError),
    /// Training failed.
    #[error(transparent)]
    Train(#[from] trustdd_train::TrainError),
    /// Distillation, saving or loading failed.
    #[error(transparent)]
    Distill(#[from] trustdd_distill::DistillError),
    /// An item of a generator spec string (for example `"jigsaw:x"`) could not be parsed.
    #[error("outlier generator spec item {item:?}: {expected}")]
    Spec {
        /// The offending item.
        item: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A set of scores or images that must hold something is empty.
    #[error("{what} is empty")]
    Empty {
        /// What was empty (for example "in-distribution scores").
        what: String,
    },
}

impl OodError {
    /// Shorthand for an invalid-parameter core error.
    pub(crate) fn invalid(
        name: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        OodError::Core(trustdd_core::Error::invalid(name, value, expected))
    }

    /// Shorthand for [`OodError::Empty`].
    pub(crate) fn empty(what: impl Into<String>) -> Self {
        OodError::Empty { what: what.into() }
    }
}
