//! Batch norm: batch statistics in training, running statistics in evaluation (as PyTorch).

use super::check::dims4;
use super::norm::{channel_affine, standardize, NORM_EPS};
use crate::Result;
use candle_core::Tensor;
use trustdd_core::Error;

/// Weight of the new batch statistics in the running-average update (PyTorch's default).
pub const BN_MOMENTUM: f64 = 0.1;

/// Statistics of one training batch, detached from the graph, each of length C.
#[derive(Debug, Clone)]
pub struct BatchStats {
    /// Per-channel mean over N×H×W.
    pub mean: Tensor,
    /// Per-channel UNBIASED variance over N×H×W (what PyTorch puts into `running_var`).
    pub unbiased_var: Tensor,
}

impl BatchStats {
    /// The running statistics after this batch: `(1 − momentum)·old + momentum·new`, for mean and
    /// variance; returns `(mean, var)`.
    ///
    /// # Errors
    /// Candle errors if the running tensors are not of length C.
    pub fn update_running(
        &self,
        running_mean: &Tensor,
        running_var: &Tensor,
        momentum: f64,
    ) -> Result<(Tensor, Tensor)> {
        let blend = |old: &Tensor, new: &Tensor| -> Result<Tensor> {
            Ok(((old.detach() * (1.0 - momentum))? + (new * momentum)?)?)
        };
        Ok((
            blend(running_mean, &self.mean)?,
            blend(running_var, &self.unbiased_var)?,
        ))
    }
}

/// Batch norm in training mode on `x` (`N×C×H×W`): standardises each channel with the batch mean
/// and BIASED variance over N×H×W (ε = [`NORM_EPS`]), then applies `gamma`, `beta` (length C).
/// Returns the output (same shape as `x`) and the detached batch statistics for the running update.
///
/// # Errors
/// A shape error for wrong ranks or lengths; an invalid-parameter error when a channel has a
/// single value (N·H·W = 1), where the unbiased variance is undefined (PyTorch errors too).
pub fn batch_norm_train(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<(Tensor, BatchStats)> {
    let (n, c, h, w) = dims4(x, "batch_norm", "input")?;
    super::check::vector(gamma, c, "batch_norm", "scale γ")?;
    super::check::vector(beta, c, "batch_norm", "shift β")?;
    let count = n * h * w;
    if count < 2 {
        return Err(Error::invalid(
            "batch_norm values per channel (N·H·W)",
            count,
            "at least 2 in training mode",
        ));
    }
    let y = channel_affine(&standardize(x, &[0, 2, 3])?, gamma, beta)?;
    let xd = x.detach();
    let mean = xd.mean_keepdim((0, 2, 3))?;
    let sum_sq = xd.broadcast_sub(&mean)?.sqr()?.sum_keepdim((0, 2, 3))?;
    let stats = BatchStats {
        mean: mean.flatten_all()?,
        unbiased_var: (sum_sq.flatten_all()? / (count - 1) as f64)?,
    };
    Ok((y, stats))
}

/// Batch norm in evaluation mode: `γ·(x − running_mean)/sqrt(running_var + ε) + β`, with
/// `x` of shape `N×C×H×W` and the four vectors of length C.
///
/// # Errors
/// A shape error for wrong ranks or lengths.
pub fn batch_norm_eval(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    running_mean: &Tensor,
    running_var: &Tensor,
) -> Result<Tensor> {
    let (_, c, _, _) = dims4(x, "batch_norm", "input")?;
    for (t, what) in [
        (gamma, "scale γ"),
        (beta, "shift β"),
        (running_mean, "running mean"),
        (running_var, "running variance"),
    ] {
        super::check::vector(t, c, "batch_norm", what)?;
    }
    let mean = super::check::per_channel(running_mean)?;
    let sd = super::check::per_channel(&(running_var + NORM_EPS)?.sqrt()?)?;
    channel_affine(&x.broadcast_sub(&mean)?.broadcast_div(&sd)?, gamma, beta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn running_update_uses_unbiased_variance() -> anyhow::Result<()> {
        // One channel, values [1, 2, 3, 6] over N×H×W: mean 3, sum of squares 14, unbiased
        // variance 14/3 (by hand). From running (0, 1) with momentum 0.1: mean 0.3,
        // var 0.9 + 0.1·14/3.
        let x = Tensor::from_vec(vec![1f64, 2., 3., 6.], (2, 1, 1, 2), &Device::Cpu)?;
        let one = Tensor::ones(1, candle_core::DType::F64, &Device::Cpu)?;
        let zero = one.zeros_like()?;
        let (y, stats) = batch_norm_train(&x, &one, &zero)?;
        let (m, v) = stats.update_running(&zero, &one, BN_MOMENTUM)?;
        assert!((m.to_vec1::<f64>()?[0] - 0.3).abs() < 1e-12);
        assert!((v.to_vec1::<f64>()?[0] - (0.9 + 0.1 * 14.0 / 3.0)).abs() < 1e-12);
        // Normalised with the BIASED variance 14/4.
        let first = y.flatten_all()?.to_vec1::<f64>()?[0];
        assert!((first - (1.0 - 3.0) / (3.5f64 + NORM_EPS).sqrt()).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn eval_mode_uses_running_statistics() -> anyhow::Result<()> {
        // x = 5, running mean 1, running var 3, γ 2, β 0.5: 2·4/sqrt(3 + ε) + 0.5 (by hand).
        let d = &Device::Cpu;
        let x = Tensor::from_vec(vec![5f64], (1, 1, 1, 1), d)?;
        let t = |v: f64| Tensor::new(&[v], d);
        let y = batch_norm_eval(&x, &t(2.)?, &t(0.5)?, &t(1.)?, &t(3.)?)?;
        let want = 8.0 / (3.0f64 + NORM_EPS).sqrt() + 0.5;
        assert!((y.flatten_all()?.to_vec1::<f64>()?[0] - want).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn single_value_per_channel_is_rejected() -> anyhow::Result<()> {
        let d = &Device::Cpu;
        let x = Tensor::zeros((1, 1, 1, 1), candle_core::DType::F64, d)?;
        let one = Tensor::ones(1, candle_core::DType::F64, d)?;
        assert!(batch_norm_train(&x, &one, &one).is_err());
        Ok(())
    }
}
