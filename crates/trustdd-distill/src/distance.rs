//! The gradient distance of DC/DSA (ALGORITHMS.md §3.2).

use crate::Result;
use candle_core::{DType, Tensor};

/// Added to the product of the row norms, as the reference code does (`+ 0.000001`).
pub const COSINE_EPS: f64 = 1e-6;

/// `Σ` over parameter tensors of rank ≥ 2, reshaped to `(out, rest)`, of `Σ_rows 1 − cos(r, s)`
/// with `cos = r·s / (‖r‖‖s‖ + 1e-6)`; rank-1 tensors (biases, norm γ/β) contribute 0, as in the
/// reference `distance_wb`. Differentiable in `syn` (and `real`, which callers detach).
///
/// # Errors
/// A shape error when the lists differ in length or a pair differs in shape; candle errors.
pub fn gradient_distance(real: &[Tensor], syn: &[Tensor]) -> Result<Tensor> {
    if real.len() != syn.len() {
        return Err(trustdd_core::Error::shape(
            "gradient distance: number of gradient tensors",
            real.len(),
            syn.len(),
        ));
    }
    let dtype = syn.first().map_or(DType::F32, Tensor::dtype);
    let device = syn
        .first()
        .map_or(candle_core::Device::Cpu, |t| t.device().clone());
    let mut total = Tensor::zeros((), dtype, &device)?;
    for (r, s) in real.iter().zip(syn) {
        if r.dims() != s.dims() {
            return Err(trustdd_core::Error::shape(
                "gradient distance: gradient tensor shape",
                format!("{:?}", r.dims()),
                format!("{:?}", s.dims()),
            ));
        }
        if r.rank() < 2 {
            continue;
        }
        let rows = r.dims()[0];
        let r = r.reshape((rows, ()))?;
        let s = s.reshape((rows, ()))?;
        let dot = (&r * &s)?.sum(1)?;
        let norms = (r.sqr()?.sum(1)?.sqrt()? * s.sqr()?.sum(1)?.sqrt()?)?;
        let cos = (dot / norms.affine(1.0, COSINE_EPS)?)?;
        let dis = cos.affine(-1.0, 1.0)?.sum_all()?;
        total = (total + dis)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn distance_by_hand() -> anyhow::Result<()> {
        let dev = Device::Cpu;
        // Weight rows: (1,0)·(1,0) → cos 1/(1+1e-6); (0,1)·(1,1) → cos 1/(√2 + 1e-6).
        let wr = Tensor::new(&[[1f64, 0.], [0., 1.]], &dev)?;
        let ws = Tensor::new(&[[1f64, 0.], [1., 1.]], &dev)?;
        // Biases differ completely but must contribute nothing.
        let br = Tensor::new(&[1f64, 2.], &dev)?;
        let bs = Tensor::new(&[-5f64, 7.], &dev)?;
        let d = gradient_distance(&[wr, br], &[ws, bs])?.to_scalar::<f64>()?;
        let expected = (1.0 - 1.0 / (1.0 + COSINE_EPS)) + (1.0 - 1.0 / (2f64.sqrt() + COSINE_EPS));
        assert!((d - expected).abs() < 1e-12, "{d} vs {expected}");
        // A rank-4 tensor is cut per output channel: two channels, opposite in the second.
        let a = Tensor::new(&[1f64, 2., 3., 4., 1., 1., 1., 1.], &dev)?.reshape((2, 1, 2, 2))?;
        let b =
            Tensor::new(&[1f64, 2., 3., 4., -1., -1., -1., -1.], &dev)?.reshape((2, 1, 2, 2))?;
        let d = gradient_distance(&[a], &[b])?.to_scalar::<f64>()?;
        let n1 = 30f64; // ‖(1,2,3,4)‖² = 30
        let expected = (1.0 - n1 / (n1 + COSINE_EPS)) + (1.0 + 4.0 / (4.0 + COSINE_EPS));
        assert!((d - expected).abs() < 1e-12, "{d} vs {expected}");
        assert!(gradient_distance(&[Tensor::zeros(2, DType::F64, &dev)?], &[]).is_err());
        Ok(())
    }
}
