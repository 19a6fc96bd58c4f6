//! 2-D convolution with optional bias.

use super::check::{dims4, per_channel, vector};
use super::fast;
use crate::Result;
use candle_core::Tensor;
use trustdd_core::Error;

/// Cross-correlation of `x` (`N×C_in×H×W`) with `w` (`C_out×C_in×kH×kW`), plus `b` (`C_out`) if
/// given, with symmetric zero `padding` and `stride` (as PyTorch's `conv2d`, dilation 1, one group).
///
/// Output `N×C_out×H'×W'` with `H' = (H + 2·padding − kH) / stride + 1` (floor).
///
/// On f32/f64 CPU tensors in [`fast::OpsMode::Fast`] this is one fused im2col + GEMM custom op
/// (differentiable once); in [`fast::OpsMode::Differentiable`] the im2col + GEMM family that
/// is differentiable any number of times, with a fused bias op of the same kind; otherwise
/// candle's `conv2d` (differentiable twice).
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
        return Err(Error::invalid("conv2d stride", stride, "at least 1"));
    }
    if w_in != c_in {
        return Err(Error::shape("conv2d: weight input channels", c_in, w_in));
    }
    if kh > h + 2 * padding || kw > wd + 2 * padding {
        return Err(Error::shape(
            "conv2d: padded input size",
            format!("at least the kernel {kh}x{kw}"),
            format!("{}x{}", h + 2 * padding, wd + 2 * padding),
        ));
    }
    if let Some(b) = b {
        vector(b, c_out, "conv2d", "bias")?;
    }
    if fast::fast_path_for(&[x, w]) && b.is_none_or(|b| fast::fast_path_for(&[x, b])) {
        // Without a bias, a constant zero one: one kernel serves both cases at the cost of a
        // fill per output.
        let zeros;
        let b = match b {
            Some(b) => b,
            None => {
                zeros = Tensor::zeros(c_out, x.dtype(), x.device())?;
                &zeros
            }
        };
        return Ok(fast::conv2d_bias(x, w, b, stride, padding)?);
    }
    if fast::twice_path_for(&[x, w]) {
        let y = fast::conv2d_twice(x, w, stride, padding)?;
        return match b {
            Some(b) => Ok(fast::add_channel_bias(&y, b)?),
            None => Ok(y),
        };
    }
    let (rem_h, rem_w) = (
        (h + 2 * padding - kh) % stride,
        (wd + 2 * padding - kw) % stride,
    );
    let y = if rem_h == rem_w {
        x.conv2d(w, padding, stride, 1, 1)?
    } else {
        // candle 0.11.1's conv2d backward derives the transposed conv's output padding from the
        // height alone, so when H and W leave different remainders the input gradient has the
        // wrong width and backward errors. Padding explicitly and cutting the never-read trailing
        // rows/columns makes both remainders 0; pad and narrow are differentiable twice.
        let padded = x
            .pad_with_zeros(2, padding, padding)?
            .pad_with_zeros(3, padding, padding)?;
        let used =
            padded
                .narrow(2, 0, h + 2 * padding - rem_h)?
                .narrow(3, 0, wd + 2 * padding - rem_w)?;
        used.conv2d(w, 0, stride, 1, 1)?
    };
    match b {
        Some(b) => Ok(y.broadcast_add(&per_channel(b)?)?),
        None => Ok(y),
    }
}
