//! Pixelate: box-downsample, then box-upsample back to the original size.

use super::pixels::HostBatch;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use trustdd_core::{Error, OutlierGenerator, Result, TrustRng};

/// Pixelation (ALGORITHMS.md §7): downsample each channel to `s_h × s_w` with
/// `s_h = max(1, round(factor·H))` (likewise `s_w`) by averaging, then upsample back by
/// repeating each cell.
///
/// Exactly PyTorch's `F.adaptive_avg_pool2d(x, (s_h, s_w))` followed by
/// `F.interpolate(size=(H, W), mode="nearest")`: cell `i` averages input rows
/// `floor(i·H/s) .. ceil((i+1)·H/s)` (bins overlap when `s` does not divide `H`), and output row
/// `r` takes cell `floor(r·s/H)`. When `s` divides `H` these are plain `H/s`-blocks.
/// Computed on the host (candle's upsample has a wrong backward and none is needed here).
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

/// Input index range of adaptive-pool cell `i` of `cells` over `size` inputs.
fn bin(i: usize, cells: usize, size: usize) -> (usize, usize) {
    (i * size / cells, ((i + 1) * size).div_ceil(cells))
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
        let cells = |size: usize| ((self.factor * size as f64).round() as usize).max(1);
        let (sh, sw) = (cells(h), cells(w));
        let mut means = vec![0f32; sh * sw];
        for plane in batch.data.chunks_mut(h * w).take(n * c) {
            for (i, mean_row) in means.chunks_mut(sw).enumerate() {
                let (r0, r1) = bin(i, sh, h);
                for (j, m) in mean_row.iter_mut().enumerate() {
                    let (c0, c1) = bin(j, sw, w);
                    let sum: f64 = (r0..r1)
                        .flat_map(|r| plane[r * w + c0..r * w + c1].iter())
                        .map(|&v| v as f64)
                        .sum();
                    *m = (sum / ((r1 - r0) * (c1 - c0)) as f64) as f32;
                }
            }
            for r in 0..h {
                for col in 0..w {
                    plane[r * w + col] = means[(r * sh / h) * sw + col * sw / w];
                }
            }
        }
        batch.into_tensor(images)
    }
}
