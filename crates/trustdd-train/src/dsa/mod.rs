//! Differentiable Siamese augmentation (DSA, Zhao & Bilen 2021; ALGORITHMS.md §4).
//!
//! [`Dsa::sample`] draws one group of the strategy and per-image parameters (training);
//! [`Dsa::sample_siamese`] draws one parameter set applied to every image of any batch (matching
//! a real and a synthetic batch). [`DsaTransform::apply`] is differentiable to any order with
//! respect to the pixels: colour and cutout are elementwise affine maps; crop, flip, scale and
//! rotate are fixed resamplings (up to four source pixels and bilinear weights per output pixel,
//! computed on the host, applied with `index_select`).
//!
//! # Geometric convention
//! Scale and rotate follow PyTorch `affine_grid(theta)` + `grid_sample(bilinear, zeros,
//! align_corners=True)`, as the DSA reference code: output pixel `(i, j)` has normalised
//! coordinates `x = −1 + 2j/(W−1)`, `y = −1 + 2i/(H−1)`; it samples the input at
//! `theta·(x, y, 1)`, so the corner pixel centres are at ±1 and the centre of the image is fixed.
//! Scale uses `theta = [[sx, 0, 0], [0, sy, 0]]` (a factor above 1 shrinks the content);
//! rotate uses `theta = [[cos a, sin a, 0], [−sin a, cos a, 0]]`.

mod color;
mod config;
mod cutout;
mod geometric;
mod resample;
mod strategy;
mod transform;

pub use config::{DsaConfig, DsaGroup};
pub use strategy::Dsa;
pub use transform::DsaTransform;

#[cfg(test)]
mod tests;
