//! Errors of the training crate.

/// Result alias for this crate.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;

/// What can go wrong while augmenting, training or evaluating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A tensor operation failed inside candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A core error: invalid parameter, shape mismatch, label out of range, ...
    #[error(transparent)]
    Core(#[from] trustdd_core::Error),
    /// Building or running a network failed.
    #[error(transparent)]
    Nn(#[from] trustdd_nn::NnError),
    /// Some parameters received no gradient from the loss, so the optimiser could not update
    /// them (a network whose forward pass skips a parameter, or a detached graph).
    #[error("{context}: no gradient reached parameter(s) {names:?}")]
    NoGradient {
        /// Where the step was taken (for example `"train epoch 3"`).
        context: String,
        /// Names of the parameters without a gradient.
        names: Vec<String>,
    },
}

impl TrainError {
    /// Shorthand for an invalid-parameter core error.
    pub(crate) fn invalid(
        name: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        TrainError::Core(trustdd_core::Error::invalid(name, value, expected))
    }

    /// Shorthand for a shape-mismatch core error.
    pub(crate) fn shape(
        what: impl Into<String>,
        expected: impl std::fmt::Display,
        got: impl std::fmt::Display,
    ) -> Self {
        TrainError::Core(trustdd_core::Error::shape(what, expected, got))
    }
}
