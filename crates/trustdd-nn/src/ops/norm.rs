//! Instance norm and layer norm: standardisation over part of each sample, per-channel affine.

use super::check::{dims4, per_channel, vector};
use crate::Result;
use candle_core::Tensor;

/// The ε added to the variance by every normalisation layer (PyTorch's default).
pub const NORM_EPS: f64 = 1e-5;

/// `(x − mean) / sqrt(var + ε)` with mean and biased variance over `dims` (kept for broadcasting).
pub(crate) fn standardize(x: &Tensor, dims: &[usize]) -> Result<Tensor> {
    let mean = x.mean_keepdim(dims)?;
    let centered = x.broadcast_sub(&mean)?;
    let var = centered.sqr()?.mean_keepdim(dims)?;
    Ok(centered.broadcast_div(&(var + NORM_EPS)?.sqrt()?)?)
}

/// `γ_c·y + β_c` for `y` of shape `N×C×H×W`.
pub(crate) fn channel_affine(y: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    Ok(y.broadcast_mul(&per_channel(gamma)?)?
        .broadcast_add(&per_channel(beta)?)?)
}

fn check_affine(x: &Tensor, gamma: &Tensor, beta: &Tensor, op: &str) -> Result<()> {
    let (_, c, _, _) = dims4(x, op, "input")?;
    vector(gamma, c, op, "scale γ")?;
    vector(beta, c, op, "shift β")
}

/// Instance norm, i.e. PyTorch's `GroupNorm(C, C)`: each sample's each channel is standardised
/// with its own mean and biased variance over H×W (ε = [`NORM_EPS`]), then scaled by `gamma` and
/// shifted by `beta` (both length C). `x` is `N×C×H×W`; the output has the same shape.
///
/// On f32/f64 CPU tensors in [`super::fast::OpsMode::Fast`] this is one fused custom op
/// (differentiable once); otherwise composed candle ops (differentiable twice).
///
/// # Errors
/// A shape error if `x` is not rank 4 or `gamma`/`beta` are not of length C.
pub fn instance_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    check_affine(x, gamma, beta, "instance_norm")?;
    if super::fast::fast_path_for(&[x, gamma, beta]) {
        return Ok(super::fast::instance_norm(x, gamma, beta, NORM_EPS)?);
    }
    channel_affine(&standardize(x, &[2, 3])?, gamma, beta)
}

/// ConvNet's block after a convolution, `avg_pool2d_2x2(relu(instance_norm(x, gamma, beta)))`:
/// `N×C×H×W → N×C×⌊H/2⌋×⌊W/2⌋`.
///
/// On f32/f64 CPU tensors in [`super::fast::OpsMode::Fast`] this is one fused custom op
/// (differentiable once, one input-sized allocation per pass instead of several); in
/// [`super::fast::OpsMode::Differentiable`] a fused op differentiable twice; otherwise the
/// three layers' own (twice-differentiable) implementations in sequence.
///
/// # Errors
/// A shape error if `x` is not rank 4, smaller than 2×2, or `gamma`/`beta` are not of length C.
pub fn instance_norm_relu_avg_pool(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    if super::fast::fast_path_for(&[x, gamma, beta]) {
        check_affine(x, gamma, beta, "instance_norm_relu_avg_pool")?;
        let (_, _, h, w) = dims4(x, "instance_norm_relu_avg_pool", "input")?;
        if h >= 2 && w >= 2 {
            return Ok(super::fast::instance_norm_relu_avg_pool(
                x, gamma, beta, NORM_EPS,
            )?);
        }
    }
    if super::fast::twice_path_for(&[x, gamma, beta]) {
        check_affine(x, gamma, beta, "instance_norm_relu_avg_pool")?;
        let (_, _, h, w) = dims4(x, "instance_norm_relu_avg_pool", "input")?;
        if h >= 2 && w >= 2 {
            return Ok(super::fast::instance_norm_relu_avg_pool_twice(
                x, gamma, beta, NORM_EPS,
            )?);
        }
    }
    super::avg_pool2d_2x2(&super::relu(&instance_norm(x, gamma, beta)?)?)
}

/// Layer norm as the dataset-distillation reference code's `'layernorm'`, i.e. PyTorch's
/// `GroupNorm(1, C)`: each sample is standardised over C×H×W (biased variance, ε = [`NORM_EPS`]),
/// then the per-channel `gamma` and `beta` (length C) apply. Shapes as [`instance_norm`].
///
/// # Errors
/// A shape error if `x` is not rank 4 or `gamma`/`beta` are not of length C.
pub fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    check_affine(x, gamma, beta, "layer_norm")?;
    channel_affine(&standardize(x, &[1, 2, 3])?, gamma, beta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn instance_norm_matches_hand_computation() -> anyhow::Result<()> {
        // One 2×2 map [1, 2, 3, 4]: mean 2.5, biased variance 1.25 (by hand); γ = 2, β = 1.
        let x = Tensor::from_vec(vec![1f64, 2., 3., 4.], (1, 1, 2, 2), &Device::Cpu)?;
        let g = Tensor::new(&[2f64], &Device::Cpu)?;
        let b = Tensor::new(&[1f64], &Device::Cpu)?;
        let y = instance_norm(&x, &g, &b)?.flatten_all()?.to_vec1::<f64>()?;
        let sd = (1.25f64 + NORM_EPS).sqrt();
        for (got, xi) in y.iter().zip([1., 2., 3., 4.]) {
            assert!((got - (2.0 * (xi - 2.5) / sd + 1.0)).abs() < 1e-12);
        }
        Ok(())
    }

    #[test]
    fn layer_norm_pools_statistics_over_channels() -> anyhow::Result<()> {
        // Two 1×1 channels [0, 2]: mean 1, biased variance 1 over C×H×W (by hand), so the outputs
        // are ∓1/sqrt(1 + ε) before the affine; per-channel γ = [1, 3], β = [0, −1].
        let x = Tensor::from_vec(vec![0f64, 2.], (1, 2, 1, 1), &Device::Cpu)?;
        let g = Tensor::new(&[1f64, 3.], &Device::Cpu)?;
        let b = Tensor::new(&[0f64, -1.], &Device::Cpu)?;
        let y = layer_norm(&x, &g, &b)?.flatten_all()?.to_vec1::<f64>()?;
        let s = 1.0 / (1.0 + NORM_EPS).sqrt();
        assert!((y[0] + s).abs() < 1e-12 && (y[1] - (3.0 * s - 1.0)).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn wrong_gamma_length_is_a_shape_error() -> anyhow::Result<()> {
        let x = Tensor::zeros((1, 2, 2, 2), candle_core::DType::F64, &Device::Cpu)?;
        let g = Tensor::ones(3, candle_core::DType::F64, &Device::Cpu)?;
        let err = instance_norm(&x, &g, &g).unwrap_err().to_string();
        assert!(err.contains("instance_norm: scale"), "{err}");
        Ok(())
    }
}
