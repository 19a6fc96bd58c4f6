//! The synthetic OOD sets of Hendrycks et al.'s outlier-exposure benchmark (the definitions
//! TrustDD's `test_ood_model_syn.py` keeps), as [0, 1] pixels. That code works in [−1, 1]
//! (`x·2 − 1`); the pixel-space forms below are the same images.

use trustdd_core::TrustRng;

/// Gaussian noise: `clip(N(0, 0.5²), −1, 1)` in [−1, 1], i.e. `clip(N(0.5, 0.25²), 0, 1)`
/// pixels.
pub fn gaussian(n: usize, rng: &mut TrustRng) -> Vec<f32> {
    rng.normal_vec(n, 0.5, 0.25)
        .into_iter()
        .map(|v| v.clamp(0.0, 1.0))
        .collect()
}

/// Rademacher noise: `±1` with probability ½ each, i.e. pixels 0 or 1.
pub fn rademacher(n: usize, rng: &mut TrustRng) -> Vec<f32> {
    rng.uniform_vec(n, 0.0, 1.0)
        .into_iter()
        .map(|u| f32::from(u8::from(u < 0.5)))
        .collect()
}

/// Blobs: a Bernoulli(0.7) mask per pixel ([`blobs_from_mask`]).
pub fn blobs(count: usize, (c, h, w): (usize, usize, usize), rng: &mut TrustRng) -> Vec<f32> {
    let mask: Vec<f32> = rng
        .uniform_vec(count * c * h * w, 0.0, 1.0)
        .into_iter()
        .map(|u| f32::from(u8::from(u < 0.7)))
        .collect();
    mask.chunks(c * h * w)
        .flat_map(|m| blobs_from_mask(m, (c, h, w)))
        .collect()
}

/// One blobs image from its `C×H×W` 0/1 mask: skimage's `gaussian(sigma=1.5,
/// channel_axis=None)` over the `H×W×C` array (the channel axis blurred like a spatial one, as
/// the benchmark code does), then every value below 0.75 set to 0.
pub fn blobs_from_mask(mask: &[f32], (c, h, w): (usize, usize, usize)) -> Vec<f32> {
    let mut x = mask.to_vec();
    // scipy's axis order over H×W×C: H, then W, then C.
    for (axis_len, stride) in [(h, w), (w, 1), (c, h * w)] {
        x = blur_axis(&x, axis_len, stride, 1.5);
    }
    x.into_iter()
        .map(|v| if v < 0.75 { 0.0 } else { v })
        .collect()
}

/// `scipy.ndimage.gaussian_filter1d` (truncate 4, mode "nearest") along one axis of a `C×H×W`
/// array in f32, summing in f64 as scipy does.
fn blur_axis(x: &[f32], len: usize, stride: usize, sigma: f64) -> Vec<f32> {
    let radius = (4.0 * sigma + 0.5) as i64;
    let raw: Vec<f64> = (-radius..=radius)
        .map(|k| (-0.5 * (k * k) as f64 / (sigma * sigma)).exp())
        .collect();
    let total: f64 = raw.iter().sum();
    let weights: Vec<f64> = raw.iter().map(|v| v / total).collect();
    let mut out = vec![0f32; x.len()];
    for start in 0..x.len() {
        // `start` is the first element of a line when its coordinate along the axis is 0.
        if (start / stride) % len != 0 {
            continue;
        }
        for i in 0..len as i64 {
            let sum: f64 = weights
                .iter()
                .enumerate()
                .map(|(k, wt)| {
                    let j = (i + k as i64 - radius).clamp(0, len as i64 - 1) as usize;
                    wt * f64::from(x[start + j * stride])
                })
                .sum();
            out[start + i as usize * stride] = sum as f32;
        }
    }
    out
}
