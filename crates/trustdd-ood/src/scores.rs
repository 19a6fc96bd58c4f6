//! OOD scores from logits (ALGORITHMS.md §7): higher means more in-distribution.

use crate::Result;
use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};

/// Which score to compute from a row of logits `z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// Maximum softmax probability `max_k softmax(z)_k`.
    Msp,
    /// Maximum logit `max_k z_k`.
    MaxLogit,
    /// Energy score `T·logsumexp(z / T)` (the negative free energy).
    Energy,
}

impl ScoreKind {
    /// All three, in the order MSP, MaxLogit, Energy.
    pub const ALL: [ScoreKind; 3] = [ScoreKind::Msp, ScoreKind::MaxLogit, ScoreKind::Energy];

    /// The score's short name (`"msp"`, `"max_logit"`, `"energy"`).
    pub fn name(&self) -> &'static str {
        match self {
            ScoreKind::Msp => "msp",
            ScoreKind::MaxLogit => "max_logit",
            ScoreKind::Energy => "energy",
        }
    }
}

/// `log Σ_k exp(z_k / t)`, stabilised by the maximum.
fn log_sum_exp(row: &[f64], t: f64) -> f64 {
    let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b / t));
    m + row.iter().map(|&z| (z / t - m).exp()).sum::<f64>().ln()
}

/// One score per row of `logits` (`N×K`, any float dtype), computed on the host in f64.
///
/// `temperature` is used by [`ScoreKind::Energy`] only.
///
/// # Errors
/// An invalid-parameter error for a non-positive or non-finite temperature (with Energy), or
/// for logits that are not `N×K` with `K ≥ 1`; [`trustdd_core::Error::Empty`] for `N = 0`.
pub fn scores(logits: &Tensor, kind: ScoreKind, temperature: f64) -> Result<Vec<f64>> {
    if kind == ScoreKind::Energy && !(temperature.is_finite() && temperature > 0.0) {
        return Err(trustdd_core::Error::invalid(
            "energy temperature",
            temperature,
            "a positive finite number",
        ));
    }
    let (n, k) = logits.dims2()?;
    if n == 0 {
        return Err(trustdd_core::Error::empty("logits for OOD scores"));
    }
    if k == 0 {
        return Err(trustdd_core::Error::invalid(
            "logit classes",
            0,
            "at least 1",
        ));
    }
    let rows = logits.to_dtype(DType::F64)?.to_vec2::<f64>()?;
    Ok(rows
        .iter()
        .map(|row| {
            let max = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            match kind {
                ScoreKind::MaxLogit => max,
                // max softmax = exp(max − logsumexp).
                ScoreKind::Msp => (max - log_sum_exp(row, 1.0)).exp(),
                ScoreKind::Energy => temperature * log_sum_exp(row, temperature),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn scores_by_hand() {
        let z = Tensor::new(&[[1f32, 2., 3.], [0., 0., 0.]], &Device::Cpu).unwrap();
        // Row 0: Σ e^z = e + e² + e³ = 30.1928; MSP = e³/30.1928 = 0.665241;
        // logsumexp = ln 30.1928 = 3.407606.
        let e = std::f64::consts::E;
        let sum = e + e * e + e * e * e;
        let msp = scores(&z, ScoreKind::Msp, 1.0).unwrap();
        assert!((msp[0] - e.powi(3) / sum).abs() < 1e-6 && (msp[0] - 0.665_241).abs() < 1e-6);
        assert!((msp[1] - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            scores(&z, ScoreKind::MaxLogit, 1.0).unwrap(),
            vec![3.0, 0.0]
        );
        let en = scores(&z, ScoreKind::Energy, 1.0).unwrap();
        assert!((en[0] - 3.407_606).abs() < 1e-6 && (en[1] - 3f64.ln()).abs() < 1e-12);
        // T = 2: 2·ln(e^0.5 + e^1 + e^1.5) = 4.360539 (python: 2*math.log(math.exp(.5)+math.e+math.exp(1.5))).
        let en2 = scores(&z, ScoreKind::Energy, 2.0).unwrap();
        let want = 2.0 * (0.5f64.exp() + 1f64.exp() + 1.5f64.exp()).ln();
        assert!((en2[0] - want).abs() < 1e-9 && (want - 4.360_539).abs() < 1e-6);
        // Large logits do not overflow.
        let big = Tensor::new(&[[1000f64, 0.]], &Device::Cpu).unwrap();
        assert_eq!(scores(&big, ScoreKind::Energy, 1.0).unwrap(), vec![1000.0]);
        assert!(matches!(
            scores(&z, ScoreKind::Energy, 0.0),
            Err(trustdd_core::Error::InvalidParameter { .. })
        ));
        let empty = Tensor::zeros((0, 3), DType::F32, &Device::Cpu).unwrap();
        assert!(matches!(
            scores(&empty, ScoreKind::Msp, 1.0),
            Err(trustdd_core::Error::Empty { .. })
        ));
    }
}
