//! Instance norm → ReLU → 2×2 average pooling as one custom op: ConvNet's block after each
//! convolution. Fused, the block reads its input twice and writes a quarter-size output, and
//! its backward writes one input-sized gradient, where the three separate ops (and candle's
//! gradient accumulation between them) each allocate and fill input-sized tensors.

use super::elem::{contiguous, dispatch_float, sum, sum_zip, with_cpu_slice, FastFloat};
use super::instance_norm::stats;
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, WithDType};
use rayon::prelude::*;

/// `avg_pool2d_2x2(relu(instance_norm(x, gamma, beta)))` for a contiguous CPU `x` (`N×C×H×W`,
/// H and W at least 2), f32 or f64; checked by the caller
/// ([`crate::ops::instance_norm_relu_avg_pool`]).
pub(crate) fn instance_norm_relu_avg_pool(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
) -> Result<Tensor> {
    let (x, gamma, beta) = (x.contiguous()?, gamma.contiguous()?, beta.contiguous()?);
    x.apply_op3_arc(
        &gamma,
        &beta,
        std::sync::Arc::new(Box::new(NormReluPool { eps })),
    )
}

struct NormReluPool {
    eps: f64,
}

/// `(C, H, W)` of an `N×C×H×W` shape with H, W ≥ 2.
pub(crate) fn sizes(dims: &[usize]) -> Result<(usize, usize, usize)> {
    match *dims {
        [_, c, h, w] if h >= 2 && w >= 2 => Ok((c, h, w)),
        _ => bail!(
            "fast instance_norm_relu_avg_pool: rank-4 input of at least 2x2 expected, got {dims:?}"
        ),
    }
}

pub(crate) fn forward<T: FastFloat>(
    x: &[T],
    gamma: &[T],
    beta: &[T],
    c: usize,
    h: usize,
    w: usize,
    eps: f64,
) -> Vec<T> {
    let (oh, ow) = (h / 2, w / 2);
    let quarter = T::from_f64(0.25);
    let mut y = vec![T::zero(); x.len() / (h * w) * oh * ow];
    y.par_chunks_mut(oh * ow)
        .zip(x.par_chunks(h * w))
        .enumerate()
        .for_each(|(idx, (y_p, x_p))| {
            let (mean, rstd) = stats(x_p, eps);
            let scale = rstd * gamma[idx % c];
            let shift = beta[idx % c] - mean * scale;
            let act = |v: T| {
                let z = v * scale + shift;
                if z > T::zero() {
                    z
                } else {
                    T::zero()
                }
            };
            for (oy, out) in y_p.chunks_exact_mut(ow).enumerate() {
                let (top, bottom) = (&x_p[2 * oy * w..][..w], &x_p[(2 * oy + 1) * w..][..w]);
                for (ox, o) in out.iter_mut().enumerate() {
                    let s = act(top[2 * ox])
                        + act(top[2 * ox + 1])
                        + act(bottom[2 * ox])
                        + act(bottom[2 * ox + 1]);
                    *o = s * quarter;
                }
            }
        });
    y
}

/// Per plane: `g = dy/4` spread over each window where the normalised value `z ≥ 0` (candle's
/// ReLU subgradient at 0 is 1), 0 elsewhere and on the row/column floor mode drops; then the
/// instance-norm backward of `g`. Returns `dx` (empty unless `want_dx`) and per-plane
/// `(Σ g·x̂, Σ g)` for `dγ`, `dβ`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward<T: FastFloat>(
    x: &[T],
    gamma: &[T],
    beta: &[T],
    dy: &[T],
    (c, h, w): (usize, usize, usize),
    eps: f64,
    want_dx: bool,
) -> (Vec<T>, Vec<(T, T)>) {
    let (oh, ow) = (h / 2, w / 2);
    let quarter = T::from_f64(0.25);
    let count = T::from_f64((h * w) as f64);
    let plane = |idx: usize, x_p: &[T], dy_p: &[T], g: &mut [T]| {
        let (mean, rstd) = stats(x_p, eps);
        let (gm, bt) = (gamma[idx % c], beta[idx % c]);
        let (scale, shift) = (rstd * gm, bt - mean * rstd * gm);
        g.fill(T::zero());
        for (oy, grads) in dy_p.chunks_exact(ow).enumerate() {
            // Spread the window gradients over the two input rows, then mask by z ≥ 0 in one
            // branch-free pass per row (written this way so the loops vectorise).
            let top = &mut g[2 * oy * w..][..2 * ow];
            for (ox, &d) in grads.iter().enumerate() {
                top[2 * ox] = d * quarter;
                top[2 * ox + 1] = d * quarter;
            }
            g.copy_within(2 * oy * w..2 * oy * w + 2 * ow, (2 * oy + 1) * w);
            for row in [2 * oy, 2 * oy + 1] {
                let (g_row, x_row) = (&mut g[row * w..][..2 * ow], &x_p[row * w..][..2 * ow]);
                for (gv, &v) in g_row.iter_mut().zip(x_row) {
                    let keep = v * scale + shift >= T::zero();
                    *gv = if keep { *gv } else { T::zero() };
                }
            }
        }
        let sum_g = sum(g);
        let sum_g_xhat = sum_zip(g, x_p, |d, v| d * (v - mean)) * rstd;
        if want_dx {
            let (mean_g, mean_gx) = (gm * sum_g / count, gm * sum_g_xhat / count);
            for (o, &v) in g.iter_mut().zip(x_p) {
                let xhat = (v - mean) * rstd;
                *o = rstd * (gm * *o - mean_g - xhat * mean_gx);
            }
        }
        (sum_g_xhat, sum_g)
    };
    let hw = h * w;
    if want_dx {
        let mut dx = vec![T::zero(); x.len()];
        let sums = dx
            .par_chunks_mut(hw)
            .zip(x.par_chunks(hw).zip(dy.par_chunks(oh * ow)))
            .enumerate()
            .map(|(idx, (dx_p, (x_p, dy_p)))| plane(idx, x_p, dy_p, dx_p))
            .collect();
        (dx, sums)
    } else {
        let sums = x
            .par_chunks(hw)
            .zip(dy.par_chunks(oh * ow))
            .enumerate()
            .map_init(
                || vec![T::zero(); hw],
                |g, (idx, (x_p, dy_p))| plane(idx, x_p, dy_p, g),
            )
            .collect();
        (Vec::new(), sums)
    }
}

/// The block's forward on CPU storages (shared with the twice-differentiable block).
pub(crate) fn forward_storage(
    name: &'static str,
    (xs, xl): (&CpuStorage, &Layout),
    (gs, gl): (&CpuStorage, &Layout),
    (bs, bl): (&CpuStorage, &Layout),
    eps: f64,
) -> Result<(CpuStorage, Shape)> {
    let (c, h, w) = sizes(xl.dims())?;
    let out = dispatch_float!(name, xs.dtype(), T => {
        let (x, g, b) = (contiguous::<T>(xs, xl, name)?, contiguous::<T>(gs, gl, name)?,
            contiguous::<T>(bs, bl, name)?);
        T::to_cpu_storage_owned(forward(x, g, b, c, h, w, eps))
    });
    Ok((out, Shape::from((xl.dims()[0], c, h / 2, w / 2))))
}

impl CustomOp3 for NormReluPool {
    fn name(&self) -> &'static str {
        "trustdd-fast-instance-norm-relu-avg-pool"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        super::calls::count_forward(super::calls::Kernel::NormReluPool);
        forward_storage(self.name(), (xs, xl), (gs, gl), (bs, bl), self.eps)
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        super::calls::count_backward(super::calls::Kernel::NormReluPool);
        let (c, h, w) = sizes(x.dims())?;
        let name = self.name();
        let dev = x.device();
        dispatch_float!(name, x.dtype(), T => {
            with_cpu_slice::<T, _>(x, name, |x_s| {
                with_cpu_slice::<T, _>(gamma, name, |g_s| {
                    with_cpu_slice::<T, _>(beta, name, |b_s| {
                        with_cpu_slice::<T, _>(dy, name, |dy_s| {
                            let (dx, sums) = backward(x_s, g_s, b_s, dy_s, (c, h, w), self.eps, x.track_op());
                            let (mut dg, mut db) = (vec![T::default(); c], vec![T::default(); c]);
                            for (idx, (a, b)) in sums.into_iter().enumerate() {
                                dg[idx % c] += a;
                                db[idx % c] += b;
                            }
                            let dx = x.track_op().then(|| Tensor::from_vec(dx, x.shape(), dev)).transpose()?;
                            let dg = gamma.track_op().then(|| Tensor::from_vec(dg, c, dev)).transpose()?;
                            let db = beta.track_op().then(|| Tensor::from_vec(db, c, dev)).transpose()?;
                            Ok((dx, dg, db))
                        })
                    })
                })
            })
        })
    }
}
