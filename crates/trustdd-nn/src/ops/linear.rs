//! Fully connected layer.

use super::check::vector;
use crate::Result;
use candle_core::Tensor;
use trustdd_core::Error;

/// `x·wᵀ + b` for `x` of shape `N×in`, `w` of shape `out×in` (PyTorch layout) and `b` of length
/// `out`; output `N×out`.
///
/// # Errors
/// A shape error if `x` or `w` is not rank 2 or the sizes disagree.
pub fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let (in_x, (out, in_w)) = match (x.dims(), w.dims()) {
        ([_, i], [o, iw]) => (*i, (*o, *iw)),
        _ => {
            return Err(Error::shape(
                "linear: input and weight",
                "rank-2 tensors N×in and out×in",
                format!("{:?} and {:?}", x.dims(), w.dims()),
            ))
        }
    };
    if in_x != in_w {
        return Err(Error::shape("linear: weight input features", in_x, in_w));
    }
    let y = x.matmul(&w.t()?)?;
    match b {
        Some(b) => {
            vector(b, out, "linear", "bias")?;
            Ok(y.broadcast_add(b)?)
        }
        None => Ok(y),
    }
}
