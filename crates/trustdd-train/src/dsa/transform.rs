//! [`DsaTransform`]: one drawn augmentation, with its parameters, ready to apply.

use super::geometric::{crop_plan, flip_plan, rotate_plan, scale_plan};
use super::resample::{apply_resampling, Resampling};
use super::{color, cutout::cutout};
use crate::Result;
use candle_core::Tensor;

/// One augmentation group with explicit parameters.
///
/// Every parameter vector holds either one entry (Siamese: the same parameters for every image
/// of any batch) or one entry per image of the batch it is applied to. Build one by hand for a
/// deterministic transform, or draw one with [`super::Dsa`].
#[derive(Debug, Clone, PartialEq)]
pub enum DsaTransform {
    /// Brightness `x + b`, then saturation (factor `s` around the per-pixel channel mean), then
    /// contrast (factor `c` around the image mean).
    Color {
        /// Additive shifts `b`.
        brightness: Vec<f64>,
        /// Saturation factors `s`.
        saturation: Vec<f64>,
        /// Contrast factors `c`.
        contrast: Vec<f64>,
    },
    /// Integer translation: output `(i, j)` = input `(i + dy, j + dx)`, zero outside.
    Crop {
        /// `(dy, dx)` in pixels.
        shifts: Vec<(i64, i64)>,
    },
    /// A zeroed `height×width` rectangle centred at `(row, col)` (clipped to the image).
    Cutout {
        /// Rectangle rows.
        height: usize,
        /// Rectangle columns.
        width: usize,
        /// Centres `(row, col)`.
        centres: Vec<(i64, i64)>,
    },
    /// Horizontal mirror where `true`.
    Flip {
        /// Whether each image is mirrored.
        flipped: Vec<bool>,
    },
    /// Scaling about the centre by `(sx, sy)` in PyTorch `affine_grid` convention (see
    /// [`super`] docs): `theta = [[sx, 0, 0], [0, sy, 0]]`, bilinear, zero padding.
    Scale {
        /// `(sx, sy)` factors.
        factors: Vec<(f64, f64)>,
    },
    /// Rotation about the centre: `theta = [[cos a, sin a, 0], [−sin a, cos a, 0]]`, bilinear,
    /// zero padding.
    Rotate {
        /// Angles `a` in radians.
        radians: Vec<f64>,
    },
}

impl DsaTransform {
    /// Number of parameter sets: 1 for a Siamese transform, else the batch size it expects.
    pub fn num_param_sets(&self) -> usize {
        match self {
            DsaTransform::Color { brightness, .. } => brightness.len(),
            DsaTransform::Crop { shifts } => shifts.len(),
            DsaTransform::Cutout { centres, .. } => centres.len(),
            DsaTransform::Flip { flipped } => flipped.len(),
            DsaTransform::Scale { factors } => factors.len(),
            DsaTransform::Rotate { radians } => radians.len(),
        }
    }

    /// `true` when one parameter set serves every image (applies to any batch size).
    pub fn is_siamese(&self) -> bool {
        self.num_param_sets() == 1
    }

    /// Applies the transform to a batch `N×C×H×W` (any float dtype, any device); the result
    /// has the same shape and is differentiable (to any order) with respect to `x`.
    ///
    /// # Errors
    /// A shape error when `x` is not 4-D or a parameter vector's length is neither 1 nor `N`.
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        let (_, _, h, w) = x.dims4()?;
        let plans = |f: &dyn Fn() -> Vec<Resampling>| apply_resampling(x, &f());
        match self {
            DsaTransform::Color {
                brightness,
                saturation,
                contrast,
            } => {
                let y = color::brightness(x, brightness)?;
                let y = color::saturation(&y, saturation)?;
                color::contrast(&y, contrast)
            }
            DsaTransform::Crop { shifts } => {
                plans(&|| shifts.iter().map(|&s| crop_plan(h, w, s)).collect())
            }
            DsaTransform::Cutout {
                height,
                width,
                centres,
            } => cutout(x, *height, *width, centres),
            DsaTransform::Flip { flipped } => {
                plans(&|| flipped.iter().map(|&f| flip_plan(h, w, f)).collect())
            }
            DsaTransform::Scale { factors } => {
                plans(&|| factors.iter().map(|&s| scale_plan(h, w, s)).collect())
            }
            DsaTransform::Rotate { radians } => {
                plans(&|| radians.iter().map(|&a| rotate_plan(h, w, a)).collect())
            }
        }
    }
}
