//! 2×2 pooling from reshapes and reductions, and global average pooling.

use super::check::dims4;
use crate::Result;
use candle_core::Tensor;
use trustdd_core::Error;

/// `x` cropped to even H and W (PyTorch's floor mode drops the last odd row/column) and viewed as
/// `N×C×(H/2)×2×(W/2)×2`, so a 2×2 window is the pair of size-2 axes 3 and 5.
fn windows_2x2(x: &Tensor, op: &str) -> Result<(Tensor, [usize; 4])> {
    let (n, c, h, w) = dims4(x, op, "input")?;
    if h < 2 || w < 2 {
        return Err(Error::shape(
            format!("{op}: input height×width"),
            "at least 2x2",
            format!("{h}x{w}"),
        ));
    }
    let (ho, wo) = (h / 2, w / 2);
    let cropped = x.narrow(2, 0, 2 * ho)?.narrow(3, 0, 2 * wo)?;
    Ok((cropped.reshape((n, c, ho, 2, wo, 2))?, [n, c, ho, wo]))
}

/// 2×2 average pooling with stride 2: `N×C×H×W → N×C×⌊H/2⌋×⌊W/2⌋` (odd sizes lose their last
/// row/column, as PyTorch's floor mode).
///
/// On f32/f64 CPU tensors in [`super::fast::OpsMode::Fast`] this is one custom op
/// (differentiable once); otherwise reshapes and a mean (differentiable twice).
///
/// # Errors
/// A shape error if `x` is not rank 4 or smaller than 2×2.
pub fn avg_pool2d_2x2(x: &Tensor) -> Result<Tensor> {
    if super::fast::fast_path_for(&[x]) {
        windows_2x2(x, "avg_pool2d_2x2")?;
        return Ok(super::fast::avg_pool2d_2x2(x)?);
    }
    let (win, out) = windows_2x2(x, "avg_pool2d_2x2")?;
    Ok(win.mean_keepdim((3, 5))?.reshape(out.as_slice())?)
}

/// 2×2 max pooling with stride 2, shapes as [`avg_pool2d_2x2`].
///
/// Built from `max` reductions because candle 0.11.1's `max_pool2d` backward multiplies the
/// gradient by 1/4. The gradient of a window goes to its maximum; on exact ties every tied entry
/// receives it (PyTorch picks one), which only matters on plateaus.
///
/// # Errors
/// A shape error if `x` is not rank 4 or smaller than 2×2.
pub fn max_pool2d_2x2(x: &Tensor) -> Result<Tensor> {
    let (win, out) = windows_2x2(x, "max_pool2d_2x2")?;
    Ok(win
        .max_keepdim(5)?
        .max_keepdim(3)?
        .reshape(out.as_slice())?)
}

/// Mean over H×W: `N×C×H×W → N×C`.
///
/// # Errors
/// A shape error if `x` is not rank 4.
pub fn global_avg_pool(x: &Tensor) -> Result<Tensor> {
    dims4(x, "global_avg_pool", "input")?;
    Ok(x.mean((2, 3))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn odd_sizes_drop_last_row_and_column() -> anyhow::Result<()> {
        // 3×3 map 0..9: the only window is [[0, 1], [3, 4]] (floor mode), max 4, mean 2.
        let x = Tensor::arange(0f64, 9., &Device::Cpu)?.reshape((1, 1, 3, 3))?;
        assert_eq!(max_pool2d_2x2(&x)?.flatten_all()?.to_vec1::<f64>()?, [4.0]);
        assert_eq!(avg_pool2d_2x2(&x)?.flatten_all()?.to_vec1::<f64>()?, [2.0]);
        Ok(())
    }

    #[test]
    fn too_small_input_is_an_error() -> anyhow::Result<()> {
        let x = Tensor::zeros((1, 1, 1, 4), candle_core::DType::F32, &Device::Cpu)?;
        assert!(max_pool2d_2x2(&x).is_err());
        Ok(())
    }
}
