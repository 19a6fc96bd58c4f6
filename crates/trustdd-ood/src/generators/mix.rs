//! Mix: blend each image with another image of the batch.

use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use trustdd_core::{Error, OutlierGenerator, Result, TrustRng};

/// Mixing two images (one of ALGORITHMS.md §7's "welcome" extras): image `i` becomes
/// `(1 − α)·x_i + α·x_j`, with `j ≠ i` drawn uniformly from the batch per image (a batch of one
/// image is returned unchanged: there is nothing to mix with). Values stay in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mix {
    /// Weight α of the partner image (default 0.5; in [0, 1]).
    pub alpha: f64,
}

impl Default for Mix {
    fn default() -> Self {
        Self { alpha: 0.5 }
    }
}

impl OutlierGenerator for Mix {
    fn name(&self) -> String {
        format!("mix({})", self.alpha)
    }

    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 ≤ α ≤ 1`.
    fn generate(&self, images: &Tensor, rng: &mut TrustRng) -> Result<Tensor> {
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(Error::invalid(
                "mix alpha",
                self.alpha,
                "a number in [0, 1]",
            ));
        }
        let n = images.dims4()?.0;
        if n < 2 {
            return Ok(images.clone());
        }
        // j uniform over the other n − 1 images: draw from 0..n−1 and skip i.
        let partners: Vec<u32> = (0..n)
            .map(|i| {
                let j = rng.below(n as u64 - 1) as usize;
                (if j >= i { j + 1 } else { j }) as u32
            })
            .collect();
        let index = Tensor::from_vec(partners, n, images.device())?;
        let others = images.index_select(&index, 0)?;
        Ok((images.affine(1.0 - self.alpha, 0.0)? + others.affine(self.alpha, 0.0)?)?)
    }
}
