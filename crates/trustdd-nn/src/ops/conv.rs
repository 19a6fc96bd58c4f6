//! 2-D convolution with optional bias.

use super::check::{dims4, per_channel, vector};
use crate::Result;
use candle_core::Tensor;
use trustdd_core::Error;

/// Cross-correlation of `x` (`N×C_in×H×W`) with `w` (`C_out×C_in×kH×kW`), plus `b` (`C_out`) if
/// given, with symmetric zero `padding` and `stride` (as PyTorch's `conv2d`, dilation 1, one group).
///
/// Output `N×C_out×H'×W'` with `H' = (H + 2·padding − kH) / stride + 1` (floor).
///
/// # Errors
/// A shape error if the ranks or channel counts disagree, the kernel is larger than the padded
/// input, or `stride` is 0.
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let (_, c_in, h, wd) = dims4(x, "conv2d", "input")?;
    let (c_out, w_in, kh, kw) = dims4(w, "conv2d", "weight")?;
    if stride == 0 {
        return Err(Error::invalid("conv2d stride", stride, "at least 1").into());
    }
    if w_in != c_in {
        return Err(Error::shape("conv2d: weight input channels", c_in, w_in).into());
    }
    if kh > h + 2 * padding || kw > wd + 2 * padding {
        return Err(Error::shape(
            "conv2d: padded input size",
            format!("at least the kernel {kh}x{kw}"),
            format!("{}x{}", h + 2 * padding, wd + 2 * padding),
        )
        .into());
    }
    let y = x.conv2d(w, padding, stride, 1, 1)?;
    match b {
        Some(b) => {
            vector(b, c_out, "conv2d", "bias")?;
            Ok(y.broadcast_add(&per_channel(b)?)?)
        }
        None => Ok(y),
    }
}
