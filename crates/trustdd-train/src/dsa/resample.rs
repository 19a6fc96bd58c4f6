//! Fixed resamplings: every output pixel is a weighted sum of a few source pixels.
//!
//! Indices and weights are computed on the host from the transform parameters; applying them is
//! `index_select` + multiply + sum, whose backward (`index_add`, whose own backward is
//! `index_select` again) is exact to any order. candle's `upsample` is avoided on purpose: its
//! backward overwrites instead of accumulating (CANDLE_NOTES.md).

use crate::Result;
use candle_core::Tensor;

/// Source taps of one image-sized resampling: `taps` entries per output pixel, row-major.
///
/// A tap that falls outside the image has weight 0 (zero padding) and index 0.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resampling {
    pub height: usize,
    pub width: usize,
    pub taps: usize,
    pub index: Vec<u32>,
    pub weight: Vec<f64>,
}

impl Resampling {
    /// One tap per pixel: output `(i, j)` reads source `source(i, j)` (None = zero).
    pub fn integer(height: usize, width: usize, source: impl Fn(i64, i64) -> (i64, i64)) -> Self {
        let mut plan = Self::empty(height, width, 1);
        for i in 0..height {
            for j in 0..width {
                let (si, sj) = source(i as i64, j as i64);
                plan.push_tap(si, sj, 1.0);
            }
        }
        plan
    }

    /// Bilinear sampling through the 2×3 affine `theta` with PyTorch's
    /// `affine_grid(theta, align_corners=True)` + `grid_sample(bilinear, zeros, align_corners=True)`
    /// convention: output pixel `(i, j)` has normalised coordinates
    /// `x = −1 + 2j/(W−1)`, `y = −1 + 2i/(H−1)` (corner pixel centres at ±1); the source point is
    /// `theta · (x, y, 1)`, mapped back to pixels by the inverse of the same formula.
    pub fn affine(height: usize, width: usize, theta: [[f64; 3]; 2]) -> Self {
        let norm = |k: usize, n: usize| {
            if n > 1 {
                -1.0 + 2.0 * k as f64 / (n - 1) as f64
            } else {
                0.0
            }
        };
        let unnorm = |v: f64, n: usize| (v + 1.0) / 2.0 * (n.max(1) - 1) as f64;
        let mut plan = Self::empty(height, width, 4);
        for i in 0..height {
            for j in 0..width {
                let (x, y) = (norm(j, width), norm(i, height));
                let px = unnorm(theta[0][0] * x + theta[0][1] * y + theta[0][2], width);
                let py = unnorm(theta[1][0] * x + theta[1][1] * y + theta[1][2], height);
                let (x0, y0) = (px.floor(), py.floor());
                let (fx, fy) = (px - x0, py - y0);
                let (x0, y0) = (x0 as i64, y0 as i64);
                plan.push_tap(y0, x0, (1.0 - fx) * (1.0 - fy));
                plan.push_tap(y0, x0 + 1, fx * (1.0 - fy));
                plan.push_tap(y0 + 1, x0, (1.0 - fx) * fy);
                plan.push_tap(y0 + 1, x0 + 1, fx * fy);
            }
        }
        plan
    }

    fn empty(height: usize, width: usize, taps: usize) -> Self {
        let n = height * width * taps;
        Self {
            height,
            width,
            taps,
            index: Vec::with_capacity(n),
            weight: Vec::with_capacity(n),
        }
    }

    fn push_tap(&mut self, row: i64, col: i64, weight: f64) {
        let inside =
            (0..self.height as i64).contains(&row) && (0..self.width as i64).contains(&col);
        if inside {
            self.index
                .push((row as usize * self.width + col as usize) as u32);
            self.weight.push(weight);
        } else {
            self.index.push(0);
            self.weight.push(0.0);
        }
    }
}

/// Applies one plan to every image (Siamese) or plan `n` to image `n` (per sample).
///
/// `x` is `N×C×H×W`; every plan must match `H×W` and have the same tap count.
pub(crate) fn apply_resampling(x: &Tensor, plans: &[Resampling]) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let hw = h * w;
    let first = plans
        .first()
        .ok_or_else(|| trustdd_core::Error::shape("dsa resampling plans", "at least 1", 0))?;
    if plans.len() != 1 && plans.len() != n {
        return Err(trustdd_core::Error::shape(
            "dsa per-sample parameters",
            format!("1 or {n} (the batch size)"),
            plans.len(),
        ));
    }
    if plans
        .iter()
        .any(|p| p.height != h || p.width != w || p.taps != first.taps)
    {
        return Err(trustdd_core::Error::shape(
            "dsa resampling plan",
            format!("{h}x{w} images"),
            format!("{}x{}", first.height, first.width),
        ));
    }
    let k = first.taps;
    let dev = x.device();
    let out = if plans.len() == 1 {
        // Siamese: one gather along the pixel axis serves every image and channel.
        let index = Tensor::from_slice(&first.index, hw * k, dev)?;
        let wt = host_tensor(x, first.weight.clone(), &[1, hw, k])?;
        let picked = x.reshape((n * c, hw))?.index_select(&index, 1)?;
        picked.reshape((n * c, hw, k))?.broadcast_mul(&wt)?.sum(2)?
    } else {
        let mut index = Vec::with_capacity(n * c * hw * k);
        for (img, plan) in plans.iter().enumerate() {
            for ch in 0..c {
                let base = ((img * c + ch) * hw) as u32;
                index.extend(plan.index.iter().map(|&s| base + s));
            }
        }
        let index = Tensor::from_vec(index, n * c * hw * k, dev)?;
        let wt: Vec<f64> = plans
            .iter()
            .flat_map(|p| p.weight.iter().copied())
            .collect();
        let wt = host_tensor(x, wt, &[n, 1, hw, k])?;
        let picked = x.flatten_all()?.index_select(&index, 0)?;
        picked.reshape((n, c, hw, k))?.broadcast_mul(&wt)?.sum(3)?
    };
    Ok(out.reshape((n, c, h, w))?)
}

/// Host values as a tensor on `x`'s device in `x`'s dtype (f64 on the host keeps f64 tests exact).
pub(crate) fn host_tensor(x: &Tensor, data: Vec<f64>, shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_vec(data, shape, x.device())?.to_dtype(x.dtype())?)
}
