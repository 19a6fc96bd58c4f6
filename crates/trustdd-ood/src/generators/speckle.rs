//! Gaussian speckle noise: `x + x·n`.

use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use trustdd_core::{Error, OutlierGenerator, Result, TrustRng};

/// Speckle noise (ALGORITHMS.md §7): `clip(x + x·n, 0, 1)` with an independent
/// `n ~ N(0, σ²)` per pixel drawn from the [`TrustRng`] (dark pixels stay dark).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Speckle {
    /// Standard deviation σ of the multiplicative noise (default 1.0; non-negative).
    pub sigma: f64,
}

impl Default for Speckle {
    fn default() -> Self {
        Self { sigma: 1.0 }
    }
}

impl OutlierGenerator for Speckle {
    fn name(&self) -> String {
        format!("speckle({})", self.sigma)
    }

    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite σ.
    fn generate(&self, images: &Tensor, rng: &mut TrustRng) -> Result<Tensor> {
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(Error::invalid(
                "speckle sigma",
                self.sigma,
                "a finite number ≥ 0",
            ));
        }
        let noise = rng.normal_vec(images.elem_count(), 0.0, self.sigma as f32);
        let noise =
            Tensor::from_vec(noise, images.shape(), images.device())?.to_dtype(images.dtype())?;
        Ok((images + (images * noise)?)?.clamp(0f32, 1f32)?)
    }
}
