//! What the malformed-input tables share: the kind of typed error a case must give.
#![allow(dead_code)]

use trustdd_core::Error;

/// The error variants a malformed input may be refused with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Io,
    Format,
    Shape,
    Label,
    Invalid,
}

/// The kind of `e`, `None` for any other variant.
pub fn kind(e: &Error) -> Option<Kind> {
    match e {
        Error::Io { .. } => Some(Kind::Io),
        Error::Format { .. } => Some(Kind::Format),
        Error::ShapeMismatch { .. } => Some(Kind::Shape),
        Error::LabelOutOfRange { .. } => Some(Kind::Label),
        Error::InvalidParameter { .. } => Some(Kind::Invalid),
        _ => None,
    }
}
