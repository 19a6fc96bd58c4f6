//! Jigsaw: cut each image into a `grid×grid` array of blocks and permute the blocks.

use super::pixels::HostBatch;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use trustdd_core::{Error, OutlierGenerator, Result, TrustRng};

/// Block permutation (ALGORITHMS.md §7).
///
/// Blocks are `floor(H/grid) × floor(W/grid)`; when `H` or `W` is not divisible by `grid`, the
/// remainder (the bottom rows and right columns) stays in place. Blocks are numbered row-major;
/// output block `p` shows input block `σ(p)`.
///
/// - Fixed (`random_permutation = false`): the cyclic derangement `σ(p) = (p + 1) mod grid²`,
///   the same for every image (no block stays in place).
/// - Random: an independent uniformly random permutation per image, re-drawn while it is the
///   identity (so every image is changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Jigsaw {
    /// Blocks per side (default 2; at least 2).
    pub grid: usize,
    /// Draw a random permutation per image instead of the fixed derangement (default false).
    pub random_permutation: bool,
}

impl Default for Jigsaw {
    fn default() -> Self {
        Self {
            grid: 2,
            random_permutation: false,
        }
    }
}

impl Jigsaw {
    fn permutation(&self, rng: &mut TrustRng) -> Vec<usize> {
        let k = self.grid * self.grid;
        let identity: Vec<usize> = (0..k).collect();
        if !self.random_permutation {
            return (0..k).map(|p| (p + 1) % k).collect();
        }
        loop {
            let mut perm = identity.clone();
            rng.shuffle(&mut perm);
            if perm != identity {
                return perm;
            }
        }
    }
}

impl OutlierGenerator for Jigsaw {
    fn name(&self) -> String {
        let kind = if self.random_permutation {
            "random"
        } else {
            "fixed"
        };
        format!("jigsaw({}, {kind})", self.grid)
    }

    /// # Errors
    /// [`Error::InvalidParameter`] when `grid < 2` or an image side is smaller than `grid`.
    fn generate(&self, images: &Tensor, rng: &mut TrustRng) -> Result<Tensor> {
        let mut batch = HostBatch::from_tensor(images)?;
        let (n, c, h, w) = batch.dims;
        if self.grid < 2 || h < self.grid || w < self.grid {
            return Err(Error::invalid(
                "jigsaw grid",
                self.grid,
                format!("at least 2 and at most the image side ({h}x{w})"),
            ));
        }
        let (bh, bw) = (h / self.grid, w / self.grid);
        let len = batch.image_len();
        for i in 0..n {
            let perm = self.permutation(rng);
            let src = batch.data[i * len..(i + 1) * len].to_vec();
            let dst = &mut batch.data[i * len..(i + 1) * len];
            for (p, &q) in perm.iter().enumerate() {
                let (pr, pc) = (p / self.grid * bh, p % self.grid * bw);
                let (qr, qc) = (q / self.grid * bh, q % self.grid * bw);
                for ch in 0..c {
                    for r in 0..bh {
                        let to = ch * h * w + (pr + r) * w + pc;
                        let from = ch * h * w + (qr + r) * w + qc;
                        dst[to..to + bw].copy_from_slice(&src[from..from + bw]);
                    }
                }
            }
        }
        batch.into_tensor(images)
    }
}
