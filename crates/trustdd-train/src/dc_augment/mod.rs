//! DC's training augmentation (VICO-UoE/DatasetCondensation `utils.py`: `augment`, with the
//! settings of `get_daparam`), which DC's protocol uses where it evaluates with augmentation:
//! crop, scale and rotate for MNIST; crop and noise for batch-norm ConvNets. Unlike DSA it is
//! not differentiable and runs on the host: every image gets ONE operation, drawn uniformly
//! from the strategy, with its own parameters.
//!
//! - crop: the image padded by `crop` pixels of its channel's batch mean on every side, then a
//!   window at offset (r, c), each drawn from `0..2·crop` (as `np.random.permutation(2·crop)[0]`,
//!   so the shift is −crop..crop−1);
//! - scale: resized by PyTorch `interpolate` (nearest) to `int(u·H) × int(v·H)` for u, v from
//!   U(1 − scale, 1 + scale), centred on a zero canvas, centre crop;
//! - rotate: `scipy.ndimage.rotate` by an integer angle from `−rotate..rotate−1` (numpy
//!   `randint`), cubic spline, the mean of the channel means outside the image, centre crop;
//! - noise: `noise · N(0, 1)` added to every pixel.

mod spline_rotate;

use crate::Result;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use spline_rotate::rotate_plane;
use trustdd_core::{Error, TrustRng};

/// One operation of DC's augmentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DcAugmentOp {
    /// Shift with mean padding.
    Crop,
    /// Nearest-neighbour rescale, centre crop.
    Scale,
    /// Cubic-spline rotation, centre crop.
    Rotate,
    /// Additive Gaussian noise.
    Noise,
}

/// DC's augmentation settings (`get_daparam`'s numbers are the defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DcAugmentConfig {
    /// Padding of a crop, in pixels (default 4).
    pub crop: usize,
    /// Half-width of the scale factors' range (default 0.2).
    pub scale: f64,
    /// Rotation angles are drawn from `−rotate..rotate` degrees (default 45).
    pub rotate: i64,
    /// Standard deviation of the additive noise (default 0.001).
    pub noise: f64,
    /// The operations one is drawn from (default crop, scale, rotate: DC's MNIST strategy).
    pub strategy: Vec<DcAugmentOp>,
}

impl Default for DcAugmentConfig {
    fn default() -> Self {
        Self::mnist()
    }
}

impl DcAugmentConfig {
    /// `crop_scale_rotate`: DC's strategy for MNIST.
    pub fn mnist() -> Self {
        Self {
            crop: 4,
            scale: 0.2,
            rotate: 45,
            noise: 0.001,
            strategy: vec![DcAugmentOp::Crop, DcAugmentOp::Scale, DcAugmentOp::Rotate],
        }
    }

    /// `crop_noise`: DC's strategy for evaluating a batch-norm ConvNet.
    pub fn batch_norm() -> Self {
        Self {
            strategy: vec![DcAugmentOp::Crop, DcAugmentOp::Noise],
            ..Self::mnist()
        }
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the field: an empty strategy, a crop or rotate of 0
    /// while the strategy uses it, a scale outside [0, 1), a negative or non-finite noise.
    pub fn validate(&self) -> Result<()> {
        let uses = |op| self.strategy.contains(&op);
        if self.strategy.is_empty() {
            return Err(Error::invalid(
                "dc_augment.strategy",
                "[]",
                "at least one of crop, scale, rotate, noise",
            ));
        }
        if uses(DcAugmentOp::Crop) && self.crop == 0 {
            return Err(Error::invalid("dc_augment.crop", 0, "at least 1 pixel"));
        }
        if uses(DcAugmentOp::Rotate) && self.rotate < 1 {
            return Err(Error::invalid(
                "dc_augment.rotate",
                self.rotate,
                "at least 1 degree",
            ));
        }
        if !(0.0..1.0).contains(&self.scale) {
            return Err(Error::invalid(
                "dc_augment.scale",
                self.scale,
                "a number in [0, 1)",
            ));
        }
        if !(self.noise >= 0.0 && self.noise.is_finite()) {
            return Err(Error::invalid(
                "dc_augment.noise",
                self.noise,
                "a finite number ≥ 0",
            ));
        }
        Ok(())
    }

    /// The batch `images` (`N×C×H×W`, f32) with one drawn operation applied to each image.
    ///
    /// # Errors
    /// A shape error for a batch that is not 4-D; tensor errors.
    pub fn apply(&self, images: &Tensor, rng: &mut TrustRng) -> Result<Tensor> {
        let (n, ch, h, w) = images.dims4()?;
        let mut data: Vec<f32> = images
            .to_dtype(candle_core::DType::F32)?
            .flatten_all()?
            .to_vec1()?;
        let plane = h * w;
        // Channel means of the batch as it came in (DC computes them once, before the loop).
        let means: Vec<f64> = (0..ch)
            .map(|c| {
                let sum: f64 = (0..n)
                    .flat_map(|i| &data[(i * ch + c) * plane..(i * ch + c + 1) * plane])
                    .map(|&v| f64::from(v))
                    .sum();
                sum / (n * plane) as f64
            })
            .collect();
        let cval = means.iter().sum::<f64>() / ch as f64;
        for i in 0..n {
            let op = self.strategy[rng.below(self.strategy.len() as u64) as usize];
            let image = &mut data[i * ch * plane..(i + 1) * ch * plane];
            match op {
                DcAugmentOp::Crop => {
                    let span = 2 * self.crop as u64;
                    let (r, c) = (rng.below(span) as usize, rng.below(span) as usize);
                    crop(image, ch, h, w, self.crop, (r, c), &means);
                }
                DcAugmentOp::Scale => {
                    let mut side = || {
                        (rng.uniform_range(1.0 - self.scale, 1.0 + self.scale) * h as f64) as usize
                    };
                    // DC scales both sides by the image height (`shape[2]`).
                    let (sh, sw) = (side(), side());
                    scale(image, ch, h, w, sh.max(1), sw.max(1));
                }
                DcAugmentOp::Rotate => {
                    let angle = rng.below(2 * self.rotate as u64) as i64 - self.rotate;
                    for p in image.chunks_mut(plane) {
                        let (rot, oh, ow) = rotate_plane(p, h, w, angle as f64, cval);
                        centre_crop(p, h, w, &rot, oh, ow, cval as f32);
                    }
                }
                DcAugmentOp::Noise => {
                    for v in image.iter_mut() {
                        *v += (self.noise * rng.normal()) as f32;
                    }
                }
            }
        }
        Ok(Tensor::from_vec(data, (n, ch, h, w), images.device())?)
    }
}

/// The window at `(r, c)` of the image padded by `pad` pixels of each channel's mean.
fn crop(
    image: &mut [f32],
    ch: usize,
    h: usize,
    w: usize,
    pad: usize,
    (r, c): (usize, usize),
    means: &[f64],
) {
    for (k, p) in image.chunks_mut(h * w).enumerate().take(ch) {
        let source = p.to_vec();
        for y in 0..h {
            for x in 0..w {
                // Padded coordinates (y + r, x + c) back in the image: minus the padding.
                let (sy, sx) = ((y + r) as i64 - pad as i64, (x + c) as i64 - pad as i64);
                p[y * w + x] = if (0..h as i64).contains(&sy) && (0..w as i64).contains(&sx) {
                    source[sy as usize * w + sx as usize]
                } else {
                    means[k] as f32
                };
            }
        }
    }
}

/// The centre `h × w` of `rot` (`oh × ow`) into `p`, offsets truncated as Python's `int`;
/// where a non-square image's rotation is narrower than the image, `cval`.
fn centre_crop(p: &mut [f32], h: usize, w: usize, rot: &[f32], oh: usize, ow: usize, cval: f32) {
    let (r, c) = ((oh as i64 - h as i64) / 2, (ow as i64 - w as i64) / 2);
    for y in 0..h {
        for x in 0..w {
            let (sy, sx) = (y as i64 + r, x as i64 + c);
            p[y * w + x] = if (0..oh as i64).contains(&sy) && (0..ow as i64).contains(&sx) {
                rot[sy as usize * ow + sx as usize]
            } else {
                cval
            };
        }
    }
}

/// PyTorch's `interpolate(mode='nearest')` source index: `min(floor(dst · in/out), in − 1)`
/// in f32, as ATen computes it.
fn nearest(dst: usize, input: usize, output: usize) -> usize {
    let s = input as f32 / output as f32;
    ((dst as f32 * s).floor() as usize).min(input - 1)
}

/// The image resized (nearest) to `sh × sw`, centred on a zero canvas of side
/// `max(sh, sw, h, w)`, and the canvas's centre `h × w`.
fn scale(image: &mut [f32], ch: usize, h: usize, w: usize, sh: usize, sw: usize) {
    let side = sh.max(sw).max(h).max(w);
    let (top, left) = ((side - sh) / 2, (side - sw) / 2);
    let (r, c) = ((side - h) / 2, (side - w) / 2);
    for p in image.chunks_mut(h * w).take(ch) {
        let source = p.to_vec();
        for y in 0..h {
            for x in 0..w {
                // Canvas pixel (y + r, x + c) inside the resized image?
                let (cy, cx) = (y + r, x + c);
                p[y * w + x] = if (top..top + sh).contains(&cy) && (left..left + sw).contains(&cx) {
                    source[nearest(cy - top, h, sh) * w + nearest(cx - left, w, sw)]
                } else {
                    0.0
                };
            }
        }
    }
}

#[cfg(test)]
mod tests;
