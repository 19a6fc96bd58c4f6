//! A per-channel bias, differentiable any number of times on fused kernels: `y + b` for `y`
//! `N×C×H×W` and `b` of length C, with its gradient `Σ_{n,h,w}` (channel sum) and that sum's
//! adjoint (channel broadcast) as ops whose backward passes are each other.
//!
//! With candle's `broadcast_add` the bias gradient is a strided `sum_keepdim` over three axes,
//! single-threaded, in both the first and the second backward of a convolution layer: 11% of an
//! MTT student step at width 128 (docs/performance.md).

use super::conv::channel_sums;
use super::elem::{contiguous, dispatch_float, FastFloat};
use candle_core::backend::BackendStorage;
use candle_core::{
    bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor, WithDType,
};
use rayon::prelude::*;
use std::sync::Arc;

/// `y + b` per channel, for f32/f64 CPU tensors (`y` rank 4, `b` of length `y.dim(1)`).
pub(crate) fn add_channel_bias(y: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (y, b) = (y.contiguous()?, b.contiguous()?);
    y.apply_op2_arc(&b, Arc::new(Box::new(AddBias)))
}

fn channel_sum(g: &Tensor) -> Result<Tensor> {
    g.contiguous()?
        .apply_op1_arc(Arc::new(Box::new(ChannelSum)))
}

fn channel_broadcast(b: &Tensor, dims: [usize; 4]) -> Result<Tensor> {
    b.contiguous()?
        .apply_op1_arc(Arc::new(Box::new(ChannelBroadcast { dims })))
}

fn dims4(dims: &[usize], op: &str) -> Result<[usize; 4]> {
    match *dims {
        [n, c, h, w] => Ok([n, c, h, w]),
        _ => bail!("{op}: rank-4 tensor expected, got {dims:?}"),
    }
}

/// `out[n, c, ..] = y[n, c, ..] + b[c]` (`b` empty: a plain copy of the broadcast).
fn add_per_channel<T: FastFloat>(y: Option<&[T]>, b: &[T], [n, c, h, w]: [usize; 4]) -> Vec<T> {
    let plane = (h * w).max(1);
    let mut out = vec![T::zero(); n * c * h * w];
    out.par_chunks_mut(plane)
        .enumerate()
        .for_each(|(idx, o)| match y {
            Some(y) => o
                .iter_mut()
                .zip(&y[idx * plane..])
                .for_each(|(o, &v)| *o = v + b[idx % c]),
            None => o.fill(b[idx % c]),
        });
    out
}

struct AddBias;

impl CustomOp2 for AddBias {
    fn name(&self) -> &'static str {
        "trustdd-channel-bias"
    }

    fn cpu_fwd(
        &self,
        ys: &CpuStorage,
        yl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let dims = dims4(yl.dims(), self.name())?;
        if bl.dims() != [dims[1]] {
            bail!("{}: bias {:?} for {dims:?}", self.name(), bl.dims())
        }
        let name = self.name();
        let out = dispatch_float!(name, ys.dtype(), T => {
            let (y, b) = (contiguous::<T>(ys, yl, name)?, contiguous::<T>(bs, bl, name)?);
            T::to_cpu_storage_owned(add_per_channel(Some(y), b, dims))
        });
        Ok((out, yl.shape().clone()))
    }

    fn bwd(
        &self,
        y: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        g: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let dy = y.track_op().then(|| g.clone());
        let db = b.track_op().then(|| channel_sum(g)).transpose()?;
        Ok((dy, db))
    }
}

struct ChannelSum;

impl CustomOp1 for ChannelSum {
    fn name(&self) -> &'static str {
        "trustdd-channel-sum"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let [_, c, h, w] = dims4(l.dims(), self.name())?;
        let name = self.name();
        let out = dispatch_float!(name, s.dtype(), T => {
            T::to_cpu_storage_owned(channel_sums(contiguous::<T>(s, l, name)?, c, h * w))
        });
        Ok((out, Shape::from(c)))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, g: &Tensor) -> Result<Option<Tensor>> {
        let dims = dims4(arg.dims(), self.name())?;
        arg.track_op()
            .then(|| channel_broadcast(g, dims))
            .transpose()
    }
}

struct ChannelBroadcast {
    dims: [usize; 4],
}

impl CustomOp1 for ChannelBroadcast {
    fn name(&self) -> &'static str {
        "trustdd-channel-broadcast"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        if l.dims() != [self.dims[1]] {
            bail!("{}: {:?} for {:?}", self.name(), l.dims(), self.dims)
        }
        let name = self.name();
        let out = dispatch_float!(name, s.dtype(), T => {
            T::to_cpu_storage_owned(add_per_channel(None, contiguous::<T>(s, l, name)?, self.dims))
        });
        Ok((out, Shape::from(self.dims.to_vec())))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, g: &Tensor) -> Result<Option<Tensor>> {
        arg.track_op().then(|| channel_sum(g)).transpose()
    }
}
