//! The outlier-exposure loss (ALGORITHMS.md §7).

use crate::Result;
use candle_core::{Tensor, D};

/// `L_OE(z) = mean over the batch of [logsumexp_k z_k − (1/K) Σ_k z_k]`: the cross-entropy of
/// `logits` (`N×K`) to the uniform distribution. Differentiable; stabilised by the (detached)
/// row maximum.
///
/// # Errors
/// A shape error unless `logits` is 2-D; candle errors.
pub fn oe_loss(logits: &Tensor) -> Result<Tensor> {
    logits.dims2()?;
    let max = logits.max_keepdim(D::Minus1)?.detach();
    let lse = (logits
        .broadcast_sub(&max)?
        .exp()?
        .sum_keepdim(D::Minus1)?
        .log()?
        + &max)?;
    let mean_logit = logits.mean_keepdim(D::Minus1)?;
    Ok((lse - mean_logit)?.mean_all()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn rows() -> Vec<[f64; 3]> {
        vec![[1.0, 2.0, 3.0], [0.5, -1.0, 0.0], [200.0, -50.0, 3.0]]
    }

    #[test]
    fn oe_loss_is_cross_entropy_to_uniform() {
        let z = Tensor::from_vec(rows().concat(), (3, 3), &Device::Cpu).unwrap();
        let got = oe_loss(&z).unwrap().to_scalar::<f64>().unwrap();
        // Closed form: CE to uniform = −(1/K) Σ_k log softmax(z)_k, averaged over rows.
        let ce: f64 = rows()
            .iter()
            .map(|r| {
                let m = r.iter().cloned().fold(f64::MIN, f64::max);
                let lse = m + r.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                -r.iter().map(|v| v - lse).sum::<f64>() / 3.0
            })
            .sum::<f64>()
            / 3.0;
        assert!((got - ce).abs() < 1e-10, "{got} vs {ce}");
        // Equal logits: logsumexp = z + ln K, mean = z → ln K.
        let flat = Tensor::new(&[[4f64, 4., 4., 4.]], &Device::Cpu).unwrap();
        let v = oe_loss(&flat).unwrap().to_scalar::<f64>().unwrap();
        assert!((v - 4f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn oe_loss_gradient_matches_finite_differences() {
        let base: Vec<f64> = rows().concat();
        let f = |v: &[f64]| {
            let z = Tensor::from_vec(v.to_vec(), (3, 3), &Device::Cpu).unwrap();
            oe_loss(&z).unwrap().to_scalar::<f64>().unwrap()
        };
        let var = Var::from_tensor(&Tensor::from_vec(base.clone(), (3, 3), &Device::Cpu).unwrap())
            .unwrap();
        let grads = oe_loss(var.as_tensor()).unwrap().backward().unwrap();
        let auto = grads.get(var.as_tensor()).unwrap().flatten_all().unwrap();
        let auto: Vec<f64> = auto.to_vec1().unwrap();
        let h = 1e-6;
        for j in 0..base.len() {
            let (mut up, mut down) = (base.clone(), base.clone());
            up[j] += h;
            down[j] -= h;
            let numeric = (f(&up) - f(&down)) / (2.0 * h);
            assert!(
                (auto[j] - numeric).abs() < 1e-7,
                "entry {j}: {} vs {numeric}",
                auto[j]
            );
        }
    }
}
