//! Colour jitter: brightness, saturation and contrast, each an affine map of the pixels.

use super::resample::host_tensor;
use crate::Result;
use candle_core::Tensor;

/// `values` as an `(N|1)×1×1×1` tensor, checking there is one value or one per image.
fn per_image(x: &Tensor, values: &[f64], what: &str) -> Result<Tensor> {
    let n = x.dims4()?.0;
    if values.len() != 1 && values.len() != n {
        return Err(trustdd_core::Error::shape(
            format!("dsa {what} parameters"),
            format!("1 or {n} (the batch size)"),
            values.len(),
        ));
    }
    host_tensor(x, values.to_vec(), &[values.len(), 1, 1, 1])
}

/// `x + shift` per image.
pub(crate) fn brightness(x: &Tensor, shift: &[f64]) -> Result<Tensor> {
    Ok(x.broadcast_add(&per_image(x, shift, "brightness")?)?)
}

/// `(x − m)·factor + m` with `m` the mean over channels at each pixel.
pub(crate) fn saturation(x: &Tensor, factor: &[f64]) -> Result<Tensor> {
    let m = x.mean_keepdim(1)?;
    scale_around(x, &m, &per_image(x, factor, "saturation")?)
}

/// `(x − m)·factor + m` with `m` the mean of each image over C, H and W.
pub(crate) fn contrast(x: &Tensor, factor: &[f64]) -> Result<Tensor> {
    let n = x.dims4()?.0;
    let m = x.flatten_from(1)?.mean_keepdim(1)?.reshape((n, 1, 1, 1))?;
    scale_around(x, &m, &per_image(x, factor, "contrast")?)
}

fn scale_around(x: &Tensor, m: &Tensor, factor: &Tensor) -> Result<Tensor> {
    Ok(x.broadcast_sub(m)?
        .broadcast_mul(factor)?
        .broadcast_add(m)?)
}
