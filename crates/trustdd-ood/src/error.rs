//! The error unique to the OOD crate; every other error is a core one.

pub use trustdd_core::Result;

/// What only the OOD crate can get wrong. It reaches callers as
/// [`trustdd_core::Error::Strategy`] named `"ood"`; `Error::downcast_ref::<OodError>()` gets it
/// back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OodError {
    /// An item of a generator spec string (for example `"jigsaw:x"`) could not be parsed.
    #[error("outlier generator spec item {item:?}: {expected}")]
    Spec {
        /// The offending item.
        item: String,
        /// What would have been accepted.
        expected: String,
    },
}

impl From<OodError> for trustdd_core::Error {
    fn from(e: OodError) -> Self {
        trustdd_core::Error::strategy("ood", e)
    }
}
