//! Training targets (hard labels or soft distributions) and the cross-entropy losses on them.

use crate::Result;
use candle_core::{DType, Device, Tensor, D};

/// What a batch of logits is trained towards.
#[derive(Debug, Clone)]
pub enum Targets {
    /// Class indices, `u32` of shape `N`.
    Hard(Tensor),
    /// Probabilities, shape `N×classes`, each row summing to 1 (kept detached).
    Soft(Tensor),
}

impl Targets {
    /// Hard labels from host values.
    pub fn hard(labels: &[u32], device: &Device) -> Result<Self> {
        Ok(Targets::Hard(Tensor::from_slice(
            labels,
            labels.len(),
            device,
        )?))
    }

    /// Soft targets from probabilities `N×classes` (detached; not renormalised).
    ///
    /// # Errors
    /// A shape error unless `probs` is 2-D.
    pub fn soft(probs: &Tensor) -> Result<Self> {
        probs.dims2()?;
        Ok(Targets::Soft(probs.detach()))
    }

    /// Soft targets `softmax(logits)` (as DATM's learned soft labels), detached.
    pub fn soft_from_logits(logits: &Tensor) -> Result<Self> {
        logits.dims2()?;
        Ok(Targets::Soft(candle_nn::ops::softmax_last_dim(
            &logits.detach(),
        )?))
    }

    /// Number of targets.
    pub fn len(&self) -> usize {
        match self {
            Targets::Hard(t) | Targets::Soft(t) => t.dims().first().copied().unwrap_or(0),
        }
    }

    /// `true` when there is no target.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The targets at positions `ids` (`u32`, shape `n`), on the same device as `self`.
    pub fn select(&self, ids: &Tensor) -> Result<Self> {
        Ok(match self {
            Targets::Hard(t) => Targets::Hard(t.index_select(ids, 0)?),
            Targets::Soft(t) => Targets::Soft(t.index_select(ids, 0)?),
        })
    }

    /// Moves the targets to `device`.
    pub fn to_device(&self, device: &Device) -> Result<Self> {
        Ok(match self {
            Targets::Hard(t) => Targets::Hard(t.to_device(device)?),
            Targets::Soft(t) => Targets::Soft(t.to_device(device)?),
        })
    }

    /// Mean cross-entropy of `logits` (`N×classes`) against these targets.
    ///
    /// # Errors
    /// A shape error when the batch sizes or class counts differ.
    pub fn loss(&self, logits: &Tensor) -> Result<Tensor> {
        let (n, k) = logits.dims2()?;
        if self.len() != n {
            return Err(trustdd_core::Error::shape(
                "targets for logits",
                n,
                self.len(),
            ));
        }
        match self {
            Targets::Hard(labels) => Ok(candle_nn::loss::cross_entropy(logits, labels)?),
            Targets::Soft(probs) => {
                if probs.dim(1)? != k {
                    return Err(trustdd_core::Error::shape(
                        "soft target classes",
                        k,
                        probs.dim(1)?,
                    ));
                }
                soft_cross_entropy(logits, probs)
            }
        }
    }

    /// How many rows of `logits` have their argmax at the target class (for soft targets: at
    /// the target's most probable class).
    pub fn correct(&self, logits: &Tensor) -> Result<usize> {
        let predicted = logits.argmax(D::Minus1)?;
        let truth = match self {
            Targets::Hard(labels) => labels.to_dtype(DType::U32)?,
            Targets::Soft(probs) => probs.argmax(D::Minus1)?,
        };
        let hits = predicted.eq(&truth)?.to_dtype(DType::F64)?.sum_all()?;
        Ok(hits.to_scalar::<f64>()? as usize)
    }
}

/// `mean_n −Σ_k p_nk · log_softmax(z)_nk`.
pub fn soft_cross_entropy(logits: &Tensor, probs: &Tensor) -> Result<Tensor> {
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let n = logits.dim(0)? as f64;
    Ok((log_p * probs.to_dtype(logits.dtype())?)?
        .sum_all()?
        .affine(-1.0 / n, 0.0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits() -> Tensor {
        Tensor::new(&[[1f64, 2., 3.], [0.5, -1., 0.]], &Device::Cpu).unwrap()
    }

    /// −log softmax(row)[k], computed directly on the host.
    fn nll(row: &[f64], k: usize) -> f64 {
        let lse = row.iter().map(|v| v.exp()).sum::<f64>().ln();
        lse - row[k]
    }

    #[test]
    fn hard_and_soft_cross_entropy_match_the_formula() {
        let rows = [[1f64, 2., 3.], [0.5, -1., 0.]];
        let hard = Targets::hard(&[2, 0], &Device::Cpu).unwrap();
        let got = hard.loss(&logits()).unwrap().to_scalar::<f64>().unwrap();
        let expected = (nll(&rows[0], 2) + nll(&rows[1], 0)) / 2.0;
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");

        let p = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]];
        let soft = Targets::soft(&Tensor::new(&p, &Device::Cpu).unwrap()).unwrap();
        let got = soft.loss(&logits()).unwrap().to_scalar::<f64>().unwrap();
        let expected: f64 = (0..2)
            .map(|n| (0..3).map(|k| p[n][k] * nll(&rows[n], k)).sum::<f64>())
            .sum::<f64>()
            / 2.0;
        assert!((got - expected).abs() < 1e-12);
        assert_eq!(soft.correct(&logits()).unwrap(), 2);
        assert_eq!(hard.correct(&logits()).unwrap(), 2);
        let wrong = Targets::hard(&[0, 1], &Device::Cpu).unwrap();
        assert_eq!(wrong.correct(&logits()).unwrap(), 0);
    }

    #[test]
    fn soft_from_logits_applies_softmax_and_checks_shapes() {
        let t =
            Targets::soft_from_logits(&Tensor::new(&[[0f64, 0.0]], &Device::Cpu).unwrap()).unwrap();
        let Targets::Soft(p) = &t else {
            panic!("expected soft targets")
        };
        // softmax([0, 0]) = [0.5, 0.5].
        assert_eq!(p.to_vec2::<f64>().unwrap(), vec![vec![0.5, 0.5]]);
        assert!(t.loss(&logits()).is_err());
        assert!(Targets::soft(&Tensor::zeros(3, DType::F32, &Device::Cpu).unwrap()).is_err());
    }
}
