//! Shape checks shared by the layers, so a wrong tensor fails with a message naming the layer.

use crate::Result;
use candle_core::Tensor;
use trustdd_core::Error;

/// The four sizes of an `N×C×H×W` tensor, or an error naming `op` and `what`.
pub(crate) fn dims4(x: &Tensor, op: &str, what: &str) -> Result<(usize, usize, usize, usize)> {
    match *x.dims() {
        [n, c, h, w] => Ok((n, c, h, w)),
        _ => Err(Error::shape(
            format!("{op}: {what}"),
            "a rank-4 tensor",
            format!("{:?}", x.dims()),
        )),
    }
}

/// Errors unless `t` is a vector of length `len`.
pub(crate) fn vector(t: &Tensor, len: usize, op: &str, what: &str) -> Result<()> {
    if t.dims() == [len] {
        Ok(())
    } else {
        Err(Error::shape(
            format!("{op}: {what}"),
            format!("[{len}]"),
            format!("{:?}", t.dims()),
        ))
    }
}

/// `t` (length C) reshaped to `1×C×1×1`, so it broadcasts over a batch of feature maps.
pub(crate) fn per_channel(t: &Tensor) -> Result<Tensor> {
    Ok(t.reshape((1, t.elem_count(), 1, 1))?)
}
