//! Convolution that is differentiable any number of times on the fast kernels: the convolution
//! `F(x, w)`, its input gradient `Gx(dy, w)` (a transposed convolution) and its weight gradient
//! `Gw(x, dy)` as three custom ops whose backward passes are made of the same three ops.
//!
//! All three are bilinear and adjoint to one another (`⟨h, Gx(dy, w)⟩ = ⟨F(h, w), dy⟩ =
//! ⟨Gw(h, dy), w⟩`), so the family is closed under differentiation:
//!
//! | op | upstream | ∂ first operand | ∂ second operand |
//! |---|---|---|---|
//! | `F(x, w)` | `g` (y's shape) | `Gx(g, w)` | `Gw(x, g)` |
//! | `Gx(dy, w)` | `h` (x's shape) | `F(h, w)` | `Gw(h, dy)` |
//! | `Gw(x, dy)` | `h` (w's shape) | `Gx(dy, h)` | `F(x, h)` |
//!
//! When candle keeps the graph of a backward pass (second order, `trustdd_distill::second_order`),
//! the gradients these backward passes return are themselves tracked tensors of the family, so
//! gradient matching and trajectory matching differentiate through them on im2col + GEMM instead
//! of candle's CPU transposed convolution. The bias is added outside (`channel_bias.rs`).

use super::conv::{forward, geometry, input_grad, weight_grad};
use super::elem::{contiguous, dispatch_float, FastFloat};
use super::im2col::ConvGeometry;
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor, WithDType};
use std::sync::Arc;

/// `conv2d(x, w)` (no bias) for f32/f64 CPU tensors, differentiable any number of times.
/// Shapes are checked by the caller ([`crate::ops::conv2d`]).
pub(crate) fn conv2d_twice(
    x: &Tensor,
    w: &Tensor,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    apply(x, w, Op::Forward, Conv { stride, padding })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Conv {
    stride: usize,
    padding: usize,
}

/// Which member of the family, with the sizes its operands do not carry.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `F(x, w) → y`.
    Forward,
    /// `Gx(dy, w) → dx` for an input of `h × w`.
    InputGrad { h: usize, w: usize },
    /// `Gw(x, dy) → dw` for a kernel of `kh × kw`.
    WeightGrad { kh: usize, kw: usize },
}

struct FamilyOp {
    op: Op,
    conv: Conv,
}

fn apply(a: &Tensor, b: &Tensor, op: Op, conv: Conv) -> Result<Tensor> {
    let (a, b) = (a.contiguous()?, b.contiguous()?);
    a.apply_op2_arc(&b, Arc::new(Box::new(FamilyOp { op, conv })))
}

impl FamilyOp {
    /// The image count and geometry of the underlying convolution, from the operands' dims.
    fn geometry(&self, a: &[usize], b: &[usize]) -> Result<(usize, ConvGeometry)> {
        let Conv { stride, padding } = self.conv;
        let (n, g) = match (self.op, a, b) {
            (Op::Forward, x, w) => geometry(x, w, stride, padding)?,
            (Op::InputGrad { h, w }, &[n, c_out, _, _], &[w_out, c_in, kh, kw]) => {
                if c_out != w_out {
                    bail!("fast conv2d input gradient: dy {a:?} and weight {b:?} disagree")
                }
                geometry(&[n, c_in, h, w], &[c_out, c_in, kh, kw], stride, padding)?
            }
            (Op::WeightGrad { kh, kw }, x, &[_, c_out, _, _]) => {
                let c_in = x.get(1).copied().unwrap_or(0);
                geometry(x, &[c_out, c_in, kh, kw], stride, padding)?
            }
            _ => bail!("fast conv2d family: rank-4 operands expected, got {a:?} and {b:?}"),
        };
        // The gradient operand must have the convolution's output shape.
        let dy = match self.op {
            Op::Forward => None,
            Op::InputGrad { .. } => Some(a),
            Op::WeightGrad { .. } => Some(b),
        };
        if let Some(dy) = dy {
            if dy != [n, g.c_out, g.oh, g.ow] {
                bail!(
                    "fast conv2d family: gradient {dy:?}, expected {:?}",
                    [n, g.c_out, g.oh, g.ow]
                )
            }
        }
        Ok((n, g))
    }

    fn run<T: FastFloat>(&self, a: &[T], b: &[T], n: usize, g: &ConvGeometry) -> Vec<T> {
        match self.op {
            Op::Forward => forward(a, b, &vec![T::zero(); g.c_out], n, g),
            Op::InputGrad { .. } => input_grad(a, b, n, g),
            Op::WeightGrad { .. } => weight_grad(a, b, n, g),
        }
    }
}

impl CustomOp2 for FamilyOp {
    fn name(&self) -> &'static str {
        match self.op {
            Op::Forward => "trustdd-conv2d-twice",
            Op::InputGrad { .. } => "trustdd-conv2d-twice-input-grad",
            Op::WeightGrad { .. } => "trustdd-conv2d-twice-weight-grad",
        }
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        super::calls::count_forward(super::calls::Kernel::ConvTwice);
        let (n, g) = self.geometry(l1.dims(), l2.dims())?;
        let name = self.name();
        let out = dispatch_float!(name, s1.dtype(), T => {
            let (a, b) = (contiguous::<T>(s1, l1, name)?, contiguous::<T>(s2, l2, name)?);
            T::to_cpu_storage_owned(self.run(a, b, n, &g))
        });
        let shape = match self.op {
            Op::Forward => Shape::from((n, g.c_out, g.oh, g.ow)),
            Op::InputGrad { .. } => Shape::from((n, g.c_in, g.h, g.w)),
            Op::WeightGrad { .. } => Shape::from((g.c_out, g.c_in, g.kh, g.kw)),
        };
        Ok((out, shape))
    }

    /// The table in the module doc; a gradient only for operands that track one.
    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        up: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        super::calls::count_backward(super::calls::Kernel::ConvTwice);
        let conv = self.conv;
        let (_, g) = self.geometry(a.dims(), b.dims())?;
        let input = Op::InputGrad { h: g.h, w: g.w };
        let weight = Op::WeightGrad { kh: g.kh, kw: g.kw };
        let when = |t: &Tensor, f: &dyn Fn() -> Result<Tensor>| t.track_op().then(f).transpose();
        match self.op {
            Op::Forward => Ok((
                when(a, &|| apply(up, b, input, conv))?,
                when(b, &|| apply(a, up, weight, conv))?,
            )),
            Op::InputGrad { .. } => Ok((
                when(a, &|| apply(up, b, Op::Forward, conv))?,
                when(b, &|| apply(up, a, weight, conv))?,
            )),
            Op::WeightGrad { .. } => Ok((
                when(a, &|| apply(b, up, input, conv))?,
                when(b, &|| apply(a, up, Op::Forward, conv))?,
            )),
        }
    }
}
