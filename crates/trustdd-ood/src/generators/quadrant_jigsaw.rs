//! The official TrustDD jigsaw: quadrants moved around, two of them with strips swapped.

use super::pixels::HostBatch;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use trustdd_core::{Error, OutlierGenerator, Result, TrustRng};

/// TrustDD's jigsaw corruption (`utils/gen_ood_loader_cifar.py`, written there for 32×32; here
/// for any even side). With `h2 = H/2`, `h4 = H/4`, `w2 = W/2`, `w34 = 3W/4`, the output's
///
/// - top-left quadrant is the input's top-left with its two horizontal strips swapped (rows
///   `h4..h2` above rows `0..h4`);
/// - top-right quadrant is the input's bottom-left;
/// - bottom-left quadrant is the input's bottom-right;
/// - bottom-right quadrant is the input's top-right with its two vertical strips swapped
///   (columns `w34..W` left of `w2..w34`).
///
/// Deterministic: the same image always gives the same outlier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuadrantJigsaw;

impl OutlierGenerator for QuadrantJigsaw {
    fn name(&self) -> String {
        "jigsaw".into()
    }

    /// # Errors
    /// [`Error::InvalidParameter`] when a side is odd or smaller than 4.
    fn generate(&self, images: &Tensor, _rng: &mut TrustRng) -> Result<Tensor> {
        let mut batch = HostBatch::from_tensor(images)?;
        let (n, c, h, w) = batch.dims;
        if h % 2 != 0 || w % 2 != 0 || h < 4 || w < 4 {
            return Err(Error::invalid(
                "jigsaw image size",
                format!("{h}x{w}"),
                "even sides of at least 4 (the quadrants must tile the image)",
            ));
        }
        let (h2, h4, w2, w34) = (h / 2, h / 4, w / 2, 3 * w / 4);
        // Output (row, col) -> input (row, col), by quadrant.
        let source = |r: usize, col: usize| -> (usize, usize) {
            match (r < h2, col < w2) {
                (true, true) => (if r < h2 - h4 { r + h4 } else { r - (h2 - h4) }, col),
                (true, false) => (r + h2, col - w2),
                (false, true) => (r, col + w2),
                (false, false) => {
                    let (r, col) = (r - h2, col - w2);
                    let strip = w - w34;
                    (
                        r,
                        if col < strip {
                            w34 + col
                        } else {
                            w2 + col - strip
                        },
                    )
                }
            }
        };
        let len = batch.image_len();
        for image in batch.data.chunks_mut(len).take(n) {
            let src = image.to_vec();
            for ch in 0..c {
                for r in 0..h {
                    for col in 0..w {
                        let (sr, sc) = source(r, col);
                        image[ch * h * w + r * w + col] = src[ch * h * w + sr * w + sc];
                    }
                }
            }
        }
        batch.into_tensor(images)
    }
}
