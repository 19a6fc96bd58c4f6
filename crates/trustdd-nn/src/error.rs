//! Errors of the nn crate.

/// Result alias for this crate.
pub type Result<T, E = NnError> = std::result::Result<T, E>;

/// What can go wrong building or running a network.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NnError {
    /// A tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A core error (invalid parameter, shape mismatch, ...).
    #[error(transparent)]
    Core(#[from] trustdd_core::Error),
}
