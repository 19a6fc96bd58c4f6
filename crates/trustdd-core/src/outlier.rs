//! [`OutlierGenerator`]: making outliers for TrustDD's outlier exposure.

use crate::{Result, TrustRng};
use candle_core::Tensor;

/// Turns in-distribution images into outliers (pseudo-outlier exposure).
///
/// Works in pixel space: input and output are `N×C×H×W` tensors with values in [0, 1], before
/// normalisation. Implement it outside trustdd to add a corruption.
pub trait OutlierGenerator: Send + Sync {
    /// A short name with parameters, for example `"jigsaw(2)"`.
    fn name(&self) -> String;
    /// Corrupted copies of `images`, same shape, values in [0, 1].
    fn generate(&self, images: &Tensor, rng: &mut TrustRng) -> Result<Tensor>;
}
