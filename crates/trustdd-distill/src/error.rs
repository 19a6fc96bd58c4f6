//! The errors unique to distillation; every other error is a core one.

use std::path::PathBuf;

pub use trustdd_core::Result;

/// What only distillation can get wrong. It reaches callers as
/// [`trustdd_core::Error::Strategy`] named `"distill"`; `Error::downcast_ref::<DistillError>()`
/// gets it back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DistillError {
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
    /// The second-order worker thread could not be started.
    #[error("second-order worker thread: {0}")]
    Worker(String),
}

impl From<DistillError> for trustdd_core::Error {
    fn from(e: DistillError) -> Self {
        trustdd_core::Error::strategy("distill", e)
    }
}
