//! What the malformed-input tables share: a case, the kind of typed error it must give, and the
//! loop that runs a table.
#![allow(dead_code)]

use std::path::Path;
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

/// One malformed input: writes its files under the given folder, then runs the loader.
pub struct Case<T> {
    pub name: &'static str,
    pub run: fn(&Path) -> Result<T, Error>,
    pub expect: Kind,
    /// A piece of the message naming the file or parameter at fault.
    pub names: &'static str,
}

/// Runs every case in a fresh folder; one line per case that panicked, loaded, gave another
/// kind of error or a message that does not name the culprit.
pub fn failures<T>(cases: &[Case<T>]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let outcome = std::panic::catch_unwind(|| (case.run)(dir.path()));
        match outcome {
            Err(_) => failures.push(format!("{}: panicked", case.name)),
            Ok(Ok(_)) => failures.push(format!("{}: loaded without error", case.name)),
            Ok(Err(e)) => {
                let msg = e.to_string();
                if kind(&e) != Some(case.expect) {
                    failures.push(format!(
                        "{}: expected {:?}, got {e:?}",
                        case.name, case.expect
                    ));
                } else if !msg.contains(case.names) {
                    failures.push(format!(
                        "{}: message does not name {}: {msg}",
                        case.name, case.names
                    ));
                }
            }
        }
    }
    failures
}
