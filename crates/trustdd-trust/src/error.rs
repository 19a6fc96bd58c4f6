//! Errors of the trust crate.

/// Result alias for this crate.
pub type Result<T, E = TrustError> = std::result::Result<T, E>;

/// What can go wrong while partitioning, scoring or recalling.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A tensor operation failed inside candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A core error: invalid parameter, shape mismatch, empty class, ...
    #[error(transparent)]
    Core(#[from] trustdd_core::Error),
    /// Building or running a network failed.
    #[error(transparent)]
    Nn(#[from] trustdd_nn::NnError),
    /// Training the proxy classifier failed.
    #[error(transparent)]
    Train(#[from] trustdd_train::TrainError),
    /// A distillation error (expert training, objective state).
    #[error(transparent)]
    Distill(#[from] trustdd_distill::DistillError),
    /// An input that must be finite held NaN or an infinity.
    #[error("{what}: value {value} at index {index} is not finite")]
    NonFinite {
        /// What was being read.
        what: String,
        /// Position of the first bad value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Too few samples for the computation.
    #[error("{what}: needs at least {needed} samples, got {got}")]
    TooFewSamples {
        /// What was being computed.
        what: String,
        /// The minimum.
        needed: usize,
        /// How many there were.
        got: usize,
    },
    /// The shrunk covariance stayed not positive definite after every retry.
    #[error(
        "covariance of {dim}-d features not positive definite even with shrinkage {epsilon:e}"
    )]
    NotPositiveDefinite {
        /// Feature dimension.
        dim: usize,
        /// The last shrinkage tried.
        epsilon: f64,
    },
}

impl TrustError {
    /// Shorthand for an invalid-parameter core error.
    pub fn invalid(
        name: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        TrustError::Core(trustdd_core::Error::invalid(name, value, expected))
    }

    /// Shorthand for a shape-mismatch core error.
    pub fn shape(
        what: impl Into<String>,
        expected: impl std::fmt::Display,
        got: impl std::fmt::Display,
    ) -> Self {
        TrustError::Core(trustdd_core::Error::shape(what, expected, got))
    }
}

/// For the trait methods whose error type is the core one: core and candle errors pass through
/// unchanged; anything else is wrapped in a candle error so its message is kept.
impl From<TrustError> for trustdd_core::Error {
    fn from(e: TrustError) -> Self {
        match e {
            TrustError::Core(e) => e,
            TrustError::Candle(e) => trustdd_core::Error::Candle(e),
            other => trustdd_core::Error::Candle(candle_core::Error::wrap(other)),
        }
    }
}

/// For [`trustdd_distill::Objective::load_state`], whose error type is the distillation one.
impl From<TrustError> for trustdd_distill::DistillError {
    fn from(e: TrustError) -> Self {
        match e {
            TrustError::Distill(e) => e,
            TrustError::Core(e) => trustdd_distill::DistillError::Core(e),
            TrustError::Candle(e) => trustdd_distill::DistillError::Candle(e),
            TrustError::Nn(e) => trustdd_distill::DistillError::Nn(e),
            TrustError::Train(e) => trustdd_distill::DistillError::Train(e),
            other => trustdd_distill::DistillError::Candle(candle_core::Error::wrap(other)),
        }
    }
}

/// Errors unless every value is finite.
pub(crate) fn check_finite(values: &[f64], what: &str) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(TrustError::NonFinite {
            what: what.into(),
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}
