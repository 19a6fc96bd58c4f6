//! Cutout: a rectangle of each image set to zero, as a multiplicative 0/1 mask.

use super::resample::host_tensor;
use crate::Result;
use candle_core::Tensor;

/// Zeroes the `height×width` rectangle whose centre is `centres[n]` (row, col) in image `n`
/// (or `centres[0]` in every image). Rows `cy − height/2 .. cy − height/2 + height` and the
/// same for columns, clipped to the image, as the DSA reference code.
pub(crate) fn cutout(
    x: &Tensor,
    height: usize,
    width: usize,
    centres: &[(i64, i64)],
) -> Result<Tensor> {
    let (n, _, h, w) = x.dims4()?;
    if centres.len() != 1 && centres.len() != n {
        return Err(trustdd_core::Error::shape(
            "dsa cutout parameters",
            format!("1 or {n} (the batch size)"),
            centres.len(),
        ));
    }
    let mut mask = vec![1.0f64; centres.len() * h * w];
    for (k, &(cy, cx)) in centres.iter().enumerate() {
        let (top, left) = (cy - (height / 2) as i64, cx - (width / 2) as i64);
        let rows = top.max(0)..(top + height as i64).min(h as i64);
        for r in rows {
            let cols = left.max(0)..(left + width as i64).min(w as i64);
            for c in cols {
                mask[k * h * w + r as usize * w + c as usize] = 0.0;
            }
        }
    }
    let mask = host_tensor(x, mask, &[centres.len(), 1, h, w])?;
    Ok(x.broadcast_mul(&mask)?)
}
