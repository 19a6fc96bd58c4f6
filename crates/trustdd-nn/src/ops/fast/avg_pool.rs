//! 2×2 average pooling with stride 2 (floor mode) as one custom op.

use super::elem::{contiguous, dispatch_float, with_cpu_slice, FastFloat};
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, WithDType};
use rayon::prelude::*;

/// 2×2 average pooling of a contiguous CPU `x` (`N×C×H×W`, H and W at least 2), f32 or f64;
/// checked by the caller ([`crate::ops::avg_pool2d_2x2`]).
pub(crate) fn avg_pool2d_2x2(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?
        .apply_op1_arc(std::sync::Arc::new(Box::new(AvgPool2x2)))
}

struct AvgPool2x2;

/// `(N·C, H, W)` of an `N×C×H×W` shape.
fn maps(dims: &[usize]) -> Result<(usize, usize, usize)> {
    match *dims {
        [n, c, h, w] if h >= 2 && w >= 2 => Ok((n * c, h, w)),
        _ => bail!("fast avg_pool2d_2x2: rank-4 input of at least 2x2 expected, got {dims:?}"),
    }
}

fn forward<T: FastFloat>(x: &[T], h: usize, w: usize) -> Vec<T> {
    let (oh, ow) = (h / 2, w / 2);
    let quarter = T::from_f64(0.25);
    let mut y = vec![T::zero(); x.len() / (h * w) * oh * ow];
    y.par_chunks_mut(oh * ow)
        .zip(x.par_chunks(h * w))
        .for_each(|(y_m, x_m)| {
            for (oy, out) in y_m.chunks_exact_mut(ow).enumerate() {
                let (top, bottom) = (&x_m[2 * oy * w..][..w], &x_m[(2 * oy + 1) * w..][..w]);
                for (ox, o) in out.iter_mut().enumerate() {
                    let s = top[2 * ox] + top[2 * ox + 1] + bottom[2 * ox] + bottom[2 * ox + 1];
                    *o = s * quarter;
                }
            }
        });
    y
}

/// Each input of a window receives a quarter of the window's gradient; the row/column dropped by
/// floor mode receives 0.
fn backward<T: FastFloat>(dy: &[T], h: usize, w: usize) -> Vec<T> {
    let (oh, ow) = (h / 2, w / 2);
    let quarter = T::from_f64(0.25);
    let mut dx = vec![T::zero(); dy.len() / (oh * ow) * h * w];
    dx.par_chunks_mut(h * w)
        .zip(dy.par_chunks(oh * ow))
        .for_each(|(dx_m, dy_m)| {
            for (oy, grads) in dy_m.chunks_exact(ow).enumerate() {
                for row in [2 * oy, 2 * oy + 1] {
                    let dst = &mut dx_m[row * w..][..2 * ow];
                    for (pair, &g) in dst.chunks_exact_mut(2).zip(grads) {
                        pair[0] = g * quarter;
                        pair[1] = g * quarter;
                    }
                }
            }
        });
    dx
}

impl CustomOp1 for AvgPool2x2 {
    fn name(&self) -> &'static str {
        "trustdd-fast-avg-pool-2x2"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        super::calls::count_forward(super::calls::Kernel::AvgPool);
        let (_, h, w) = maps(xl.dims())?;
        let name = self.name();
        let out = dispatch_float!(name, xs.dtype(), T => {
            T::to_cpu_storage_owned(forward(contiguous::<T>(xs, xl, name)?, h, w))
        });
        let d = xl.dims();
        Ok((out, Shape::from((d[0], d[1], h / 2, w / 2))))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        super::calls::count_backward(super::calls::Kernel::AvgPool);
        let (_, h, w) = maps(x.dims())?;
        let name = self.name();
        dispatch_float!(name, x.dtype(), T => {
            with_cpu_slice::<T, _>(dy, name, |dy_s| {
                Ok(Some(Tensor::from_vec(backward(dy_s, h, w), x.shape(), x.device())?))
            })
        })
    }
}
