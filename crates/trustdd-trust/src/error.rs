//! Errors of the trust crate.

pub use trustdd_core::Result;

/// What only trust partitioning can get wrong. It reaches callers as
/// [`trustdd_core::Error::Strategy`] named `"trust"`; `Error::downcast_ref::<TrustError>()` gets
/// it back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
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

impl From<TrustError> for trustdd_core::Error {
    fn from(e: TrustError) -> Self {
        trustdd_core::Error::strategy("trust", e)
    }
}

/// Errors unless every value is finite.
pub(crate) fn check_finite(values: &[f64], what: &str) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(trustdd_core::Error::NonFinite {
            what: what.into(),
            value: values[index],
            at: format!("index {index}"),
        }),
        None => Ok(()),
    }
}
