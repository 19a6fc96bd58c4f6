//! Instance norm → ReLU → 2×2 average pooling, differentiable twice on fused kernels: the block
//! `B(x, γ, β)` is one custom op whose backward is two custom ops, `Vx(x, γβ, g) = ∂⟨g, B⟩/∂x`
//! and `Vγβ(x, γβ, g) = ∂⟨g, B⟩/∂(γ, β)`, whose own backward passes are hand-written kernels.
//!
//! Gradient matching and trajectory matching differentiate a first backward pass once more, so
//! two levels are what they need. With the stock composition (about 20 candle ops per block)
//! candle's gradient store kept an input-sized gradient for every intermediate of both passes:
//! 100 MB per image at width 128 for one MTT student step. Here a block is three graph nodes.
//!
//! Per plane, with `M = H·W`, mean μ, `s = 1/√(var + ε)`, `x̂ = s(x − μ)`, `a = γx̂ + β`,
//! `m = [a ≥ 0]` (candle's ReLU subgradient at 0 is 1), `P` the 2×2 average and `Pᵀ` its
//! adjoint (spreading `g/4` over each window), `ā = m ⊙ Pᵀg` and the instance-norm Jacobian
//! `J(v) = s(v − mean v − x̂·mean(v ⊙ x̂))` (symmetric):
//!
//! - first order: `Vx = J(γā)`, `Vγ = Σ ā ⊙ x̂`, `Vβ = Σ ā` (sums over the channel's planes);
//! - `Φ = ⟨U, Vx⟩`: `∂Φ/∂g = P(m ⊙ γ·J(U))`, `∂Φ/∂γ = Σ ⟨J(U), ā⟩`, `∂Φ/∂β = 0`, and with
//!   `v = γā`, `A = ⟨U, v⟩ − M·mean U·mean v`, `α = ⟨U, x̂⟩`, `b = ⟨x̂, v⟩`:
//!   `∂Φ/∂x = −(s²/M)·x̂·(A − αb/M) − (s/M)·(b·J(U) + α·J(v))`;
//! - `Φ = ⟨w_γ, Vγ⟩ + ⟨w_β, Vβ⟩`: with `q = w_γ x̂ + w_β`, `∂Φ/∂g = P(m ⊙ q)`,
//!   `∂Φ/∂x = w_γ·J(ā)`, nothing for γ, β.
//!
//! The mask's derivative is zero almost everywhere, as for ReLU itself. The second-level
//! kernels return untracked tensors: a third derivative through this block is not available
//! (nothing in trustdd takes one), and the stock composition ([`super::OpsMode::Stock`]) remains
//! for anyone who needs it.

use super::elem::{contiguous, dispatch_float, sum, sum_zip, with_cpu_slice, FastFloat};
use super::instance_norm::stats;
use super::norm_relu_pool::{backward as first_order, forward_storage, sizes};
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, WithDType};
use rayon::prelude::*;
use std::sync::Arc;

/// `avg_pool2d_2x2(relu(instance_norm(x, γ, β)))`, differentiable twice; shapes checked by the
/// caller ([`crate::ops::instance_norm_relu_avg_pool`]).
pub(crate) fn instance_norm_relu_avg_pool_twice(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
) -> Result<Tensor> {
    let (x, gamma, beta) = (x.contiguous()?, gamma.contiguous()?, beta.contiguous()?);
    x.apply_op3_arc(&gamma, &beta, Arc::new(Box::new(Block { eps })))
}

struct Block {
    eps: f64,
}

/// The block's first-order gradients as ops of `(x, [γ; β], g)`.
#[derive(Clone, Copy)]
enum Vjp {
    /// `∂⟨g, B⟩/∂x`, x's shape.
    X,
    /// `[∂⟨g, B⟩/∂γ; ∂⟨g, B⟩/∂β]`, length 2C.
    GammaBeta,
}

struct VjpOp {
    which: Vjp,
    eps: f64,
}

impl CustomOp3 for Block {
    fn name(&self) -> &'static str {
        "trustdd-instance-norm-relu-avg-pool-twice"
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
        super::calls::count_forward(super::calls::Kernel::NormReluPoolTwice);
        forward_storage(self.name(), (xs, xl), (gs, gl), (bs, bl), self.eps)
    }

    /// Tracked gradients: `Vx` and `Vγβ` applied to the operands and the upstream gradient.
    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        super::calls::count_backward(super::calls::Kernel::NormReluPoolTwice);
        let c = gamma.elem_count();
        let gb = Tensor::cat(&[gamma, beta], 0)?;
        let dy = dy.contiguous()?;
        let vjp = |which| {
            x.apply_op3_arc(
                &gb,
                &dy,
                Arc::new(Box::new(VjpOp {
                    which,
                    eps: self.eps,
                })),
            )
        };
        let dx = x.track_op().then(|| vjp(Vjp::X)).transpose()?;
        let dgb = (gamma.track_op() || beta.track_op())
            .then(|| vjp(Vjp::GammaBeta))
            .transpose()?;
        let dgamma = dgb.as_ref().map(|t| t.narrow(0, 0, c)).transpose()?;
        let dbeta = dgb.as_ref().map(|t| t.narrow(0, c, c)).transpose()?;
        Ok((dx, dgamma, dbeta))
    }
}

impl CustomOp3 for VjpOp {
    fn name(&self) -> &'static str {
        match self.which {
            Vjp::X => "trustdd-instance-norm-relu-avg-pool-twice-vjp-x",
            Vjp::GammaBeta => "trustdd-instance-norm-relu-avg-pool-twice-vjp-gamma-beta",
        }
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ps: &CpuStorage,
        pl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        super::calls::count_forward(super::calls::Kernel::NormReluPoolTwice);
        let (c, h, w) = sizes(xl.dims())?;
        let name = self.name();
        let want_dx = matches!(self.which, Vjp::X);
        let out = dispatch_float!(name, xs.dtype(), T => {
            let (x, p, g) = (contiguous::<T>(xs, xl, name)?, contiguous::<T>(ps, pl, name)?,
                contiguous::<T>(gs, gl, name)?);
            let (gamma, beta) = p.split_at(c);
            let (dx, sums) = first_order(x, gamma, beta, g, (c, h, w), self.eps, want_dx);
            T::to_cpu_storage_owned(if want_dx { dx } else { per_channel(&sums, c) })
        });
        let shape = match self.which {
            Vjp::X => xl.shape().clone(),
            Vjp::GammaBeta => Shape::from(2 * c),
        };
        Ok((out, shape))
    }

    /// The second-level kernels of the module doc (untracked results).
    fn bwd(
        &self,
        x: &Tensor,
        gb: &Tensor,
        dy: &Tensor,
        _res: &Tensor,
        up: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        super::calls::count_backward(super::calls::Kernel::NormReluPoolTwice);
        let (c, h, w) = sizes(x.dims())?;
        let name = self.name();
        let dev = x.device();
        let up = up.contiguous()?;
        dispatch_float!(name, x.dtype(), T => {
            with_cpu_slice::<T, _>(x, name, |x_s| {
                with_cpu_slice::<T, _>(gb, name, |p_s| {
                    with_cpu_slice::<T, _>(dy, name, |g_s| {
                        with_cpu_slice::<T, _>(&up, name, |u_s| {
                            let upstream = match self.which {
                                Vjp::X => Upstream::X(u_s),
                                Vjp::GammaBeta => Upstream::GammaBeta(u_s),
                            };
                            let geometry = (c, h, w);
                            let (dx, dgb, dg) = second(x_s, p_s, g_s, upstream, geometry, self.eps);
                            let dx = x.track_op().then(|| Tensor::from_vec(dx, x.shape(), dev)).transpose()?;
                            let dgb = gb.track_op().then(|| Tensor::from_vec(dgb, 2 * c, dev)).transpose()?;
                            let dg = dy.track_op().then(|| Tensor::from_vec(dg, dy.shape(), dev)).transpose()?;
                            Ok((dx, dgb, dg))
                        })
                    })
                })
            })
        })
    }
}

/// `[Σ Vγ; Σ Vβ]` per channel from per-plane `(Σ ā·x̂, Σ ā)`.
fn per_channel<T: FastFloat>(sums: &[(T, T)], c: usize) -> Vec<T> {
    let mut out = vec![T::zero(); 2 * c];
    for (idx, &(a, b)) in sums.iter().enumerate() {
        out[idx % c] += a;
        out[c + idx % c] += b;
    }
    out
}

/// The upstream gradient of a second-level op.
#[derive(Clone, Copy)]
enum Upstream<'a, T> {
    /// `U`, x's shape (for `Vx`).
    X(&'a [T]),
    /// `[w_γ; w_β]`, length 2C (for `Vγβ`).
    GammaBeta(&'a [T]),
}

/// `(∂Φ/∂x, ∂Φ/∂[γ; β], ∂Φ/∂g)` for the upstream `up` (module doc).
fn second<T: FastFloat>(
    x: &[T],
    gb: &[T],
    g: &[T],
    up: Upstream<'_, T>,
    (c, h, w): (usize, usize, usize),
    eps: f64,
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (hw, ohw) = (h * w, (h / 2) * (w / 2));
    let mut dx = vec![T::zero(); x.len()];
    let mut dg = vec![T::zero(); g.len()];
    let dgamma: Vec<T> = dx
        .par_chunks_mut(hw)
        .zip(dg.par_chunks_mut(ohw))
        .enumerate()
        .map(|(idx, (dx_p, dg_p))| {
            let range = idx * hw..(idx + 1) * hw;
            let plane = Plane::new(
                &x[range.clone()],
                gb[idx % c],
                gb[c + idx % c],
                &g[idx * ohw..(idx + 1) * ohw],
                (h, w),
                eps,
            );
            match up {
                Upstream::X(u) => plane.through_vx(&u[range], dx_p, dg_p),
                Upstream::GammaBeta(wgb) => {
                    plane.through_vgb(wgb[idx % c], wgb[c + idx % c], dx_p, dg_p);
                    T::zero()
                }
            }
        })
        .collect();
    let mut dgb = vec![T::zero(); 2 * c];
    for (idx, v) in dgamma.into_iter().enumerate() {
        dgb[idx % c] += v;
    }
    (dx, dgb, dg)
}

/// One plane's forward quantities.
struct Plane<T> {
    rstd: T,
    gamma: T,
    xhat: Vec<T>,
    /// `m` as 1 or 0 (kept by the ReLU or not), so the window sums are branch-free.
    mask: Vec<T>,
    /// `ā = m ⊙ Pᵀg`.
    abar: Vec<T>,
    w: usize,
    ow: usize,
    oh: usize,
}

impl<T: FastFloat> Plane<T> {
    fn new(x: &[T], gamma: T, beta: T, g: &[T], (h, w): (usize, usize), eps: f64) -> Self {
        let (mean, rstd) = stats(x, eps);
        let xhat: Vec<T> = x.iter().map(|&v| (v - mean) * rstd).collect();
        let mask: Vec<T> = xhat
            .iter()
            .map(|&v| {
                if gamma * v + beta >= T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            })
            .collect();
        let (oh, ow) = (h / 2, w / 2);
        let quarter = T::from_f64(0.25);
        let mut abar = vec![T::zero(); x.len()];
        for oy in 0..oh {
            for ox in 0..ow {
                let d = g[oy * ow + ox] * quarter;
                for i in window(oy, ox, w) {
                    abar[i] = mask[i] * d;
                }
            }
        }
        Self {
            rstd,
            gamma,
            xhat,
            mask,
            abar,
            w,
            ow,
            oh,
        }
    }

    /// `J(v) = s(v − mean v − x̂·mean(v ⊙ x̂))`.
    fn jacobian(&self, v: &[T]) -> Vec<T> {
        let m = T::from_f64(v.len() as f64);
        let mean_v = sum(v) / m;
        let mean_vx = sum_zip(v, &self.xhat, |a, b| a * b) / m;
        v.iter()
            .zip(&self.xhat)
            .map(|(&a, &xh)| self.rstd * (a - mean_v - xh * mean_vx))
            .collect()
    }

    /// `dg = P(m ⊙ z)`.
    fn pool_masked(&self, z: &[T], dg: &mut [T]) {
        let quarter = T::from_f64(0.25);
        let w = self.w;
        for (oy, out) in dg.chunks_exact_mut(self.ow).enumerate().take(self.oh) {
            let (top, bottom) = (2 * oy * w, (2 * oy + 1) * w);
            let (zt, zb) = (&z[top..top + w], &z[bottom..bottom + w]);
            let (mt, mb) = (&self.mask[top..top + w], &self.mask[bottom..bottom + w]);
            for (ox, o) in out.iter_mut().enumerate() {
                let (a, b) = (2 * ox, 2 * ox + 1);
                *o = (zt[a] * mt[a] + zt[b] * mt[b] + zb[a] * mb[a] + zb[b] * mb[b]) * quarter;
            }
        }
    }

    /// Through `Vx` with upstream `u`: writes ∂Φ/∂x and ∂Φ/∂g, returns this plane's ∂Φ/∂γ.
    fn through_vx(&self, u: &[T], dx: &mut [T], dg: &mut [T]) -> T {
        let m = T::from_f64(u.len() as f64);
        let ju = self.jacobian(u);
        let scaled: Vec<T> = ju.iter().map(|&v| self.gamma * v).collect();
        self.pool_masked(&scaled, dg);
        let d_gamma = sum_zip(&ju, &self.abar, |a, b| a * b);
        let v: Vec<T> = self.abar.iter().map(|&a| self.gamma * a).collect();
        let jv = self.jacobian(&v);
        let big_a = sum_zip(u, &v, |a, b| a * b) - sum(u) * sum(&v) / m;
        let alpha = sum_zip(u, &self.xhat, |a, b| a * b);
        let b = sum_zip(&self.xhat, &v, |a, b| a * b);
        let s = self.rstd;
        let coef = s * s / m * (big_a - alpha * b / m);
        for (((o, &xh), &jui), &jvi) in dx.iter_mut().zip(&self.xhat).zip(&ju).zip(&jv) {
            *o = T::zero() - coef * xh - s / m * (b * jui + alpha * jvi);
        }
        d_gamma
    }

    /// Through `Vγβ` with upstream `(w_γ, w_β)`: writes ∂Φ/∂x and ∂Φ/∂g.
    fn through_vgb(&self, w_gamma: T, w_beta: T, dx: &mut [T], dg: &mut [T]) {
        let q: Vec<T> = self.xhat.iter().map(|&v| w_gamma * v + w_beta).collect();
        self.pool_masked(&q, dg);
        for (o, v) in dx.iter_mut().zip(self.jacobian(&self.abar)) {
            *o = w_gamma * v;
        }
    }
}

/// Flat indices of the 2×2 window `(oy, ox)` in a plane of width `w`.
fn window(oy: usize, ox: usize, w: usize) -> [usize; 4] {
    let top = 2 * oy * w + 2 * ox;
    [top, top + 1, top + w, top + w + 1]
}
