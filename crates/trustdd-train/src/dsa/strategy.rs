//! [`Dsa`]: draws one augmentation group and its parameters per call.

use super::{DsaConfig, DsaGroup, DsaTransform};
use crate::Result;
use trustdd_core::{ImageShape, TrustRng};

/// A validated DSA sampler for images of one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Dsa {
    config: DsaConfig,
    shape: ImageShape,
}

impl Dsa {
    /// Validates `config` for images of `shape`.
    ///
    /// # Errors
    /// An invalid-parameter error from [`DsaConfig::validate`].
    pub fn new(config: DsaConfig, shape: ImageShape) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, shape })
    }

    /// The settings.
    pub fn config(&self) -> &DsaConfig {
        &self.config
    }

    /// The image shape the sizes of crop and cutout are computed for.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// One group and one parameter set for every image (Siamese mode, used when matching: the
    /// result applies identically to a real and a synthetic batch of any size).
    pub fn sample_siamese(&self, rng: &mut TrustRng) -> DsaTransform {
        self.sample(1, rng)
    }

    /// One group drawn uniformly from the strategy, with `n` independent parameter sets (one per
    /// image; training mode). `n = 1` gives a Siamese transform.
    pub fn sample(&self, n: usize, rng: &mut TrustRng) -> DsaTransform {
        let groups = &self.config.strategy;
        let group = groups[rng.below(groups.len() as u64) as usize];
        self.sample_group(group, n, rng)
    }

    /// `n` parameter sets of a given group (for tests and for callers that fix the group).
    pub fn sample_group(&self, group: DsaGroup, n: usize, rng: &mut TrustRng) -> DsaTransform {
        let c = &self.config;
        let (h, w) = (self.shape.height, self.shape.width);
        // Rounding `side·ratio + 0.5` down follows the reference code's `int(...)`.
        let part = |side: usize, ratio: f64| (side as f64 * ratio + 0.5) as usize;
        let draw = |rng: &mut TrustRng, f: &dyn Fn(f64) -> f64| -> Vec<f64> {
            (0..n).map(|_| f(rng.uniform_f64())).collect()
        };
        match group {
            DsaGroup::Color => DsaTransform::Color {
                brightness: draw(rng, &|r| (r - 0.5) * c.brightness),
                saturation: draw(rng, &|r| r * c.saturation),
                contrast: draw(rng, &|r| r + c.contrast),
            },
            DsaGroup::Crop => {
                let (sy, sx) = (part(h, c.crop_ratio) as i64, part(w, c.crop_ratio) as i64);
                let shifts = (0..n)
                    .map(|_| {
                        let dy = rng.below(2 * sy as u64 + 1) as i64 - sy;
                        let dx = rng.below(2 * sx as u64 + 1) as i64 - sx;
                        (dy, dx)
                    })
                    .collect();
                DsaTransform::Crop { shifts }
            }
            DsaGroup::Cutout => {
                let (ch, cw) = (part(h, c.cutout_ratio), part(w, c.cutout_ratio));
                // Centres range over 0..side (+1 for an even rectangle), as the reference.
                let centres = (0..n)
                    .map(|_| {
                        let cy = rng.below((h + 1 - ch % 2) as u64) as i64;
                        let cx = rng.below((w + 1 - cw % 2) as u64) as i64;
                        (cy, cx)
                    })
                    .collect();
                DsaTransform::Cutout {
                    height: ch,
                    width: cw,
                    centres,
                }
            }
            DsaGroup::Flip => DsaTransform::Flip {
                flipped: (0..n).map(|_| rng.bernoulli(c.flip_prob)).collect(),
            },
            DsaGroup::Scale => {
                let (lo, hi) = (1.0 / c.scale_ratio, c.scale_ratio);
                let factors = (0..n)
                    .map(|_| (rng.uniform_range(lo, hi), rng.uniform_range(lo, hi)))
                    .collect();
                DsaTransform::Scale { factors }
            }
            DsaGroup::Rotate => {
                let max = c.rotate_degrees.to_radians();
                DsaTransform::Rotate {
                    radians: draw(rng, &|r| (2.0 * r - 1.0) * max),
                }
            }
        }
    }
}
