//! Pseudo-outlier generators ([`trustdd_core::OutlierGenerator`]s), pixel space [0, 1],
//! `N×C×H×W` in and out.
//!
//! Jigsaw, invert, pixelate and speckle follow ALGORITHMS.md §7 (the paper's POE corruptions);
//! their exact parameters (jigsaw grid and derangement, pixelate binning, mix partner choice) are
//! reconstructed and documented on each type.

mod invert;
mod jigsaw;
mod list;
mod mix;
mod pixelate;
mod pixels;
mod speckle;

pub use invert::Invert;
pub use jigsaw::Jigsaw;
pub use list::{GeneratorList, POE_SPEC};
pub use mix::Mix;
pub use pixelate::Pixelate;
pub use speckle::Speckle;

#[cfg(test)]
mod tests;
