//! The error type shared by every trustdd crate.

use std::path::PathBuf;

/// Result alias used across trustdd.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in trustdd.
///
/// Variants carry structured fields naming the file or parameter at fault and what was expected,
/// so a message can be read without the source code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tensor operation failed inside candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),

    /// Reading or writing a file failed.
    ///
    /// The I/O error is part of the message rather than a `source()`, so printing the error chain
    /// shows it once.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        error: std::io::Error,
    },

    /// A file exists but its contents do not follow the expected format.
    #[error("{path}: malformed {format} file: {reason}")]
    Format {
        /// The offending file.
        path: PathBuf,
        /// The format it was read as (for example "IDX images", "CIFAR-10 binary").
        format: &'static str,
        /// What was wrong.
        reason: String,
    },

    /// A configuration value is outside its allowed range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// The parameter's name as the user writes it.
        name: String,
        /// The rejected value, rendered.
        value: String,
        /// What would have been accepted.
        expected: String,
    },

    /// A class label is not smaller than the number of classes.
    #[error("{context}: label {label} out of range for {num_classes} classes")]
    LabelOutOfRange {
        /// Where the label came from (a file, a map, a parameter).
        context: String,
        /// The label seen.
        label: u64,
        /// The number of classes.
        num_classes: usize,
    },

    /// Two things that must agree in shape or length do not.
    #[error("{what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// What was being checked.
        what: String,
        /// The expected shape or length.
        expected: String,
        /// The shape or length found.
        got: String,
    },

    /// More items were requested than a collection holds (for example IPC larger than a class).
    #[error("{what}: requested {requested} but only {available} available")]
    NotEnough {
        /// What was being drawn from.
        what: String,
        /// How many were requested.
        requested: usize,
        /// How many exist.
        available: usize,
    },

    /// A class has no usable sample (for example after trust partitioning removed them all).
    #[error("{context}: class {class} has no samples")]
    EmptyClass {
        /// Where the class was found empty.
        context: String,
        /// The class index.
        class: usize,
    },

    /// A collection that must hold something is empty (for example "in-distribution scores").
    #[error("{what} is empty")]
    Empty {
        /// What was empty.
        what: String,
    },

    /// A value that must be finite is NaN or infinite.
    #[error("{what} is {value} at {at}")]
    NonFinite {
        /// What was computed or read (for example "dm loss", "per-sample losses").
        what: String,
        /// The value.
        value: f64,
        /// Where: an index, an iteration, with a hint when one helps.
        at: String,
    },

    /// A loss gradient did not reach what it should update (a detached graph, or a network
    /// whose forward pass skips a parameter).
    #[error("{context}: no gradient reached {what}")]
    NoGradient {
        /// Where the gradient was taken (an objective, "train epoch 3", ...).
        context: String,
        /// What received none.
        what: String,
    },

    /// An error of a strategy (objective, partitioner, noise model, outlier generator) or of a
    /// crate, kept with its own type: [`Error::downcast_ref`] gets it back.
    #[error("{name}: {source}")]
    Strategy {
        /// The strategy or crate that failed, for example `"tad"` or `"distill"`.
        name: String,
        /// Its error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// The requested device is not available in this build or on this machine.
    #[error("device {spec:?} unavailable: {reason}")]
    Device {
        /// The device string the user gave.
        spec: String,
        /// Why it cannot be used.
        reason: String,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(
        name: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// Shorthand for [`Error::Strategy`]: `source` keeps its type.
    pub fn strategy(
        name: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Strategy {
            name: name.into(),
            source: Box::new(source),
        }
    }

    /// The strategy error of type `E` this error carries, if any.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            Error::Strategy { source, .. } => source.downcast_ref::<E>(),
            _ => None,
        }
    }

    /// Shorthand for [`Error::Empty`].
    pub fn empty(what: impl Into<String>) -> Self {
        Error::Empty { what: what.into() }
    }

    /// Shorthand for [`Error::Format`].
    pub fn format(
        path: impl Into<PathBuf>,
        format: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        Error::Format {
            path: path.into(),
            format,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    /// Shorthand for [`Error::ShapeMismatch`].
    pub fn shape(
        what: impl Into<String>,
        expected: impl std::fmt::Display,
        got: impl std::fmt::Display,
    ) -> Self {
        Error::ShapeMismatch {
            what: what.into(),
            expected: expected.to_string(),
            got: got.to_string(),
        }
    }
}
