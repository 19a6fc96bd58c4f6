//! Instance norm as one custom op: fused statistics, standardisation and affine, with the
//! analytic backward.

use super::elem::{contiguous, dispatch_float, sum, sum_zip, with_cpu_slice, FastFloat};
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, WithDType};
use rayon::prelude::*;

/// Instance norm of a contiguous CPU `x` (`N×C×H×W`) with `gamma`, `beta` (`C`), f32 or f64;
/// shapes are checked by the caller ([`crate::ops::instance_norm`]).
pub(crate) fn instance_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f64) -> Result<Tensor> {
    let (x, gamma, beta) = (x.contiguous()?, gamma.contiguous()?, beta.contiguous()?);
    x.apply_op3_arc(
        &gamma,
        &beta,
        std::sync::Arc::new(Box::new(InstanceNorm { eps })),
    )
}

struct InstanceNorm {
    eps: f64,
}

/// `(N, C, H·W)` of an `N×C×H×W` shape.
fn planes(dims: &[usize]) -> Result<(usize, usize, usize)> {
    match *dims {
        [n, c, h, w] => Ok((n, c, h * w)),
        _ => bail!("fast instance_norm: rank-4 input expected, got {dims:?}"),
    }
}

/// Mean and `1/sqrt(var + ε)` of one plane (biased variance, two passes for accuracy).
pub(crate) fn stats<T: FastFloat>(plane: &[T], eps: f64) -> (T, T) {
    let count = T::from_f64(plane.len() as f64);
    let mean = sum(plane) / count;
    let var = sum_zip(plane, plane, |v, _| (v - mean) * (v - mean)) / count;
    (mean, T::one() / (var + T::from_f64(eps)).sqrt())
}

fn forward<T: FastFloat>(
    x: &[T],
    gamma: &[T],
    beta: &[T],
    c: usize,
    hw: usize,
    eps: f64,
) -> Vec<T> {
    let mut y = vec![T::zero(); x.len()];
    y.par_chunks_mut(hw.max(1))
        .zip(x.par_chunks(hw.max(1)))
        .enumerate()
        .for_each(|(idx, (y_p, x_p))| {
            let (mean, rstd) = stats(x_p, eps);
            let scale = rstd * gamma[idx % c];
            let shift = beta[idx % c] - mean * scale;
            for (o, &v) in y_p.iter_mut().zip(x_p) {
                *o = v * scale + shift;
            }
        });
    y
}

/// Per plane, with `x̂` the standardised input and `g = γ·dy`:
/// `dx = rstd·(g − mean(g) − x̂·mean(g·x̂))`; per channel `dγ = Σ dy·x̂`, `dβ = Σ dy`.
/// Returns `dx` and the per-plane `(Σ dy·x̂, Σ dy)` (summed over images by the caller).
fn backward<T: FastFloat>(
    x: &[T],
    gamma: &[T],
    dy: &[T],
    c: usize,
    hw: usize,
    eps: f64,
    want_dx: bool,
) -> (Vec<T>, Vec<(T, T)>) {
    let mut dx = vec![T::zero(); if want_dx { x.len() } else { 0 }];
    let count = T::from_f64(hw as f64);
    let plane_grads = |idx: usize, x_p: &[T], dy_p: &[T], dx_p: Option<&mut [T]>| {
        let (mean, rstd) = stats(x_p, eps);
        let sum_dy = sum(dy_p);
        let sum_dy_xhat = sum_zip(dy_p, x_p, |d, v| d * (v - mean)) * rstd;
        if let Some(dx_p) = dx_p {
            let gm = gamma[idx % c];
            let (mean_g, mean_gx) = (gm * sum_dy / count, gm * sum_dy_xhat / count);
            for ((o, &d), &v) in dx_p.iter_mut().zip(dy_p).zip(x_p) {
                let xhat = (v - mean) * rstd;
                *o = rstd * (gm * d - mean_g - xhat * mean_gx);
            }
        }
        (sum_dy_xhat, sum_dy)
    };
    let chunk = hw.max(1);
    let sums = if want_dx {
        dx.par_chunks_mut(chunk)
            .zip(x.par_chunks(chunk).zip(dy.par_chunks(chunk)))
            .enumerate()
            .map(|(idx, (dx_p, (x_p, dy_p)))| plane_grads(idx, x_p, dy_p, Some(dx_p)))
            .collect()
    } else {
        x.par_chunks(chunk)
            .zip(dy.par_chunks(chunk))
            .enumerate()
            .map(|(idx, (x_p, dy_p))| plane_grads(idx, x_p, dy_p, None))
            .collect()
    };
    (dx, sums)
}

impl CustomOp3 for InstanceNorm {
    fn name(&self) -> &'static str {
        "trustdd-fast-instance-norm"
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
        super::calls::count_forward(super::calls::Kernel::InstanceNorm);
        let (_, c, hw) = planes(xl.dims())?;
        let name = self.name();
        let out = dispatch_float!(name, xs.dtype(), T => {
            let (x, g, b) = (contiguous::<T>(xs, xl, name)?, contiguous::<T>(gs, gl, name)?,
                contiguous::<T>(bs, bl, name)?);
            T::to_cpu_storage_owned(forward(x, g, b, c, hw, self.eps))
        });
        Ok((out, xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        super::calls::count_backward(super::calls::Kernel::InstanceNorm);
        let (_, c, hw) = planes(x.dims())?;
        let name = self.name();
        let dev = x.device();
        dispatch_float!(name, x.dtype(), T => {
            with_cpu_slice::<T, _>(x, name, |x_s| {
                with_cpu_slice::<T, _>(gamma, name, |g_s| {
                    with_cpu_slice::<T, _>(dy, name, |dy_s| {
                        let (dx, sums) = backward(x_s, g_s, dy_s, c, hw, self.eps, x.track_op());
                        let (mut dg, mut db) = (vec![T::default(); c], vec![T::default(); c]);
                        for (idx, (a, b)) in sums.into_iter().enumerate() {
                            dg[idx % c] += a;
                            db[idx % c] += b;
                        }
                        let dx = match x.track_op() {
                            true => Some(Tensor::from_vec(dx, x.shape(), dev)?),
                            false => None,
                        };
                        let dg = gamma.track_op().then(|| Tensor::from_vec(dg, c, dev)).transpose()?;
                        let db = beta.track_op().then(|| Tensor::from_vec(db, c, dev)).transpose()?;
                        Ok((dx, dg, db))
                    })
                })
            })
        })
    }
}
