//! Pseudo-outlier generators ([`trustdd_core::OutlierGenerator`]s), pixel space [0, 1],
//! `N×C×H×W` in and out.
//!
//! [`GeneratorList::poe`] is the official TrustDD pool (`utils/gen_ood_loader_cifar.py`):
//! [`QuadrantJigsaw`], [`Invert`], [`Pixelate`] (Pillow `BOX` on 8-bit pixels) and [`Speckle`],
//! each equal to a numpy/Pillow reference in the tests. [`Jigsaw`] (block permutations) and
//! [`Mix`] are further corruptions of ours, documented on each type.

mod invert;
mod jigsaw;
mod list;
mod mix;
mod pixelate;
mod pixels;
mod quadrant_jigsaw;
mod speckle;

pub use invert::Invert;
pub use jigsaw::Jigsaw;
pub use list::{GeneratorList, POE_SPEC};
pub use mix::Mix;
pub use pixelate::Pixelate;
pub use quadrant_jigsaw::QuadrantJigsaw;
pub use speckle::Speckle;

#[cfg(test)]
mod tests;
