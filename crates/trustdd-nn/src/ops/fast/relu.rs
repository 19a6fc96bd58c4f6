//! ReLU as one custom op whose backward is a single masked copy (candle's own ReLU backward
//! builds a zeros tensor, a comparison mask, its float conversion and a product: four passes and
//! four allocations of the activation's size).

use super::elem::{contiguous, dispatch_float, with_cpu_slice, FastFloat};
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, WithDType};
use rayon::prelude::*;

/// Elements per parallel task: large enough that scheduling costs nothing next to the work.
const CHUNK: usize = 1 << 16;

/// `max(x, 0)` of a CPU tensor (any shape), f32 or f64.
pub(crate) fn relu(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?
        .apply_op1_arc(std::sync::Arc::new(Box::new(Relu)))
}

struct Relu;

fn forward<T: FastFloat>(x: &[T]) -> Vec<T> {
    let mut y = vec![T::zero(); x.len()];
    y.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(y, x)| {
            for (o, &v) in y.iter_mut().zip(x) {
                *o = if v > T::zero() { v } else { T::zero() };
            }
        });
    y
}

/// `dy` where `x ≥ 0`, else 0: the same subgradient at 0 as candle's ReLU (1, from `x.ge(0)`).
fn backward<T: FastFloat>(x: &[T], dy: &[T]) -> Vec<T> {
    let mut dx = vec![T::zero(); x.len()];
    dx.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK).zip(dy.par_chunks(CHUNK)))
        .for_each(|(dx, (x, dy))| {
            for ((o, &v), &d) in dx.iter_mut().zip(x).zip(dy) {
                *o = if v >= T::zero() { d } else { T::zero() };
            }
        });
    dx
}

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "trustdd-fast-relu"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        super::calls::count_forward(super::calls::Kernel::Relu);
        let name = self.name();
        let out = dispatch_float!(name, xs.dtype(), T => {
            T::to_cpu_storage_owned(forward(contiguous::<T>(xs, xl, name)?))
        });
        Ok((out, xl.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        super::calls::count_backward(super::calls::Kernel::Relu);
        let name = self.name();
        dispatch_float!(name, x.dtype(), T => {
            with_cpu_slice::<T, _>(x, name, |x_s| {
                with_cpu_slice::<T, _>(dy, name, |dy_s| {
                    Ok(Some(Tensor::from_vec(backward(x_s, dy_s), x.shape(), x.device())?))
                })
            })
        })
    }
}
