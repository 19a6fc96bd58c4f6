//! Pixelate: Pillow `BOX` down to a few cells, `BOX` back up, on 8-bit pixels.

use super::pixels::HostBatch;
use crate::resample::{resize_u8, to_u8, Filter};
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use trustdd_core::{Error, OutlierGenerator, Result, TrustRng};

/// Pixelation as the official TrustDD code computes it (`utils/gen_ood_loader_cifar.py`): the
/// 8-bit image is resized with Pillow's `BOX` filter to `int(factor·W) × int(factor·H)` cells
/// (at least 1), then back to `W × H` with `BOX` ([`crate::resample`]). Channels are resized
/// independently, as Pillow does. Deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pixelate {
    /// Downsampled size as a fraction of the image side (default 0.2; in (0, 1]).
    pub factor: f64,
}

impl Default for Pixelate {
    fn default() -> Self {
        Self { factor: 0.2 }
    }
}

impl OutlierGenerator for Pixelate {
    fn name(&self) -> String {
        format!("pixelate({})", self.factor)
    }

    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 < factor ≤ 1`.
    fn generate(&self, images: &Tensor, _rng: &mut TrustRng) -> Result<Tensor> {
        if !(self.factor > 0.0 && self.factor <= 1.0) {
            return Err(Error::invalid(
                "pixelate factor",
                self.factor,
                "a number in (0, 1]",
            ));
        }
        let mut batch = HostBatch::from_tensor(images)?;
        let (n, c, h, w) = batch.dims;
        // Python's int(): truncation, as the official code sizes the cells.
        let cells = |size: usize| ((self.factor * size as f64) as usize).max(1);
        let small = (cells(w), cells(h));
        for plane in batch.data.chunks_mut(h * w).take(n * c) {
            let bytes: Vec<u8> = plane.iter().map(|&v| to_u8(v)).collect();
            let down = resize_u8(&bytes, (w, h), small, Filter::Box);
            let up = resize_u8(&down, small, (w, h), Filter::Box);
            for (p, &v) in plane.iter_mut().zip(&up) {
                *p = f32::from(v) / 255.0;
            }
        }
        batch.into_tensor(images)
    }
}
