//! Forward loss correction (Patrini et al., "Making deep neural networks robust to label noise:
//! a loss correction approach", CVPR 2017) for TAD's proxy under class-conditional noise.
//!
//! Why it is here (issue 18): under pair swaps at 40%, a proxy trained with plain cross-entropy
//! learns the *noisy* posterior, about 0.6 / 0.4 between the two classes of a pair, so the
//! losses of a class's right and wrong labels (−ln 0.6 against −ln 0.4) sit close together and
//! its GMM cannot split them. Training through the noise, `CE(Tᵀ·softmax f(x), ỹ)`, lets
//! `softmax f(x)` estimate the *clean* posterior instead, and the per-sample loss of the observed
//! label against it separates right from wrong labels by the proxy's accuracy, not by the noise
//! rate.
//!
//! `T[i][j] = P(observed j | true i)` is estimated from the warm-up proxy's softmax outputs with
//! the anchor-point rule of the loss-correction code (`est_t_matrix` with `filter_outlier`):
//! for each class `i`, the sample whose `p(i | x)` is the largest value strictly below the
//! `anchor_quantile` percentile (numpy's `interpolation='higher'`) of `p(i | ·)` over the whole
//! set, and `T[i][·]` is that sample's softmax row.

use crate::error::Result;
use candle_core::{Device, Tensor, D};
use serde::{Deserialize, Serialize};

/// Settings of the forward-corrected stage that follows the proxy's warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForwardCorrection {
    /// Epochs on every sample with its observed label through the estimated `T` (default 2).
    pub epochs: usize,
    /// The anchor's percentile, as a fraction (default 0.97, the loss-correction code's).
    pub anchor_quantile: f64,
}

impl Default for ForwardCorrection {
    fn default() -> Self {
        Self {
            epochs: 2,
            anchor_quantile: 0.97,
        }
    }
}

impl ForwardCorrection {
    /// Checks the ranges.
    ///
    /// # Errors
    /// An invalid-parameter error naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(trustdd_core::Error::invalid(
                "forward_correction.epochs",
                0,
                "at least 1",
            ));
        }
        let q = self.anchor_quantile;
        if !(q.is_finite() && q > 0.0 && q <= 1.0) {
            return Err(trustdd_core::Error::invalid(
                "forward_correction.anchor_quantile",
                q,
                "a number in (0, 1]",
            ));
        }
        Ok(())
    }
}

/// A class-transition matrix `T[i][j] = P(observed j | true i)`, row-major; built only by
/// [`Transition::new`] or [`Transition::estimate`], so its shape always holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    classes: usize,
    rows: Vec<f64>,
}

impl Transition {
    /// A matrix from `classes × classes` row-major values, each a probability.
    ///
    /// # Errors
    /// A shape error for another number of values; an invalid-parameter error for a value
    /// outside [0, 1] or not finite.
    pub fn new(classes: usize, rows: Vec<f64>) -> Result<Self> {
        if classes == 0 || rows.len() != classes * classes {
            return Err(trustdd_core::Error::shape(
                "transition matrix values",
                format!("{classes} × {classes} (at least 1 class)"),
                format!("{} values", rows.len()),
            ));
        }
        if let Some(&v) = rows.iter().find(|v| !(0.0..=1.0).contains(*v)) {
            return Err(trustdd_core::Error::invalid(
                "transition matrix entry",
                v,
                "a probability in [0, 1]",
            ));
        }
        Ok(Self { classes, rows })
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The `classes × classes` values, row-major, row `i` = true class `i`.
    pub fn rows(&self) -> &[f64] {
        &self.rows
    }

    /// The anchor-point estimate from softmax rows `probabilities` (`n × classes`, row-major).
    ///
    /// # Errors
    /// A shape error when `probabilities` is not `n × classes` with `n ≥ 1`; non-finite values;
    /// an out-of-range `quantile`.
    pub fn estimate(probabilities: &[f64], classes: usize, quantile: f64) -> Result<Self> {
        if classes == 0 || probabilities.is_empty() || probabilities.len() % classes != 0 {
            return Err(trustdd_core::Error::shape(
                "softmax rows (samples × classes)",
                format!("a positive multiple of {classes} values"),
                format!("{} values", probabilities.len()),
            ));
        }
        crate::error::check_finite(probabilities, "proxy softmax outputs")?;
        ForwardCorrection {
            epochs: 1,
            anchor_quantile: quantile,
        }
        .validate()?;
        let n = probabilities.len() / classes;
        let mut rows = Vec::with_capacity(classes * classes);
        for i in 0..classes {
            let column: Vec<f64> = (0..n).map(|s| probabilities[s * classes + i]).collect();
            let anchor = anchor(&column, quantile);
            rows.extend_from_slice(&probabilities[anchor * classes..(anchor + 1) * classes]);
        }
        Self::new(classes, rows)
    }

    /// `1 − mean_i T[i][i]`: the noise rate the matrix implies when classes are equally
    /// frequent (the loss-correction code's `get_noise_rate`).
    pub fn noise_rate(&self) -> f64 {
        let diagonal: f64 = (0..self.classes).map(|i| self.get(i, i)).sum();
        1.0 - diagonal / self.classes as f64
    }

    /// `T[i][j]`.
    ///
    /// # Panics
    /// When `true_class` or `observed` is not below [`Transition::classes`], as slice indexing.
    pub fn get(&self, true_class: usize, observed: usize) -> f64 {
        self.rows[true_class * self.classes + observed]
    }

    /// The forward-corrected cross-entropy `mean_b −ln Σ_k softmax(logits_b)_k · T[k][y_b]`,
    /// computed as `−logsumexp_k(log_softmax(logits_b)_k + ln T[k][y_b])` for stability (zero
    /// entries of `T` count as 1e-12). Differentiable in `logits`.
    ///
    /// # Errors
    /// A shape error when `logits` is not `labels.len() × classes` or a label is out of range;
    /// candle errors.
    pub fn corrected_loss(&self, logits: &Tensor, labels: &[u32]) -> Result<Tensor> {
        let (b, k) = logits.dims2()?;
        // A deserialised matrix skipped `new`'s check.
        if self.rows.len() != self.classes * self.classes {
            return Err(trustdd_core::Error::shape(
                "transition matrix values",
                self.classes * self.classes,
                self.rows.len(),
            ));
        }
        if b != labels.len() || k != self.classes {
            return Err(trustdd_core::Error::shape(
                "logits for the forward-corrected loss",
                format!("{} × {}", labels.len(), self.classes),
                format!("{b} × {k}"),
            ));
        }
        trustdd_core::check_labels(labels, self.classes, "forward-corrected labels")?;
        let log_t: Vec<f64> = labels
            .iter()
            .flat_map(|&y| (0..k).map(move |c| self.get(c, y as usize).max(1e-12).ln()))
            .collect();
        let device: &Device = logits.device();
        let log_t = Tensor::from_vec(log_t, (b, k), device)?.to_dtype(logits.dtype())?;
        let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
        let log_q = (log_p + log_t)?.log_sum_exp(D::Minus1)?;
        Ok(log_q.mean_all()?.neg()?)
    }
}

/// The index of the largest value strictly below the `quantile` percentile of `values` (numpy's
/// `percentile(..., interpolation='higher')`); the largest value when none is below it.
fn anchor(values: &[f64], quantile: f64) -> usize {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (quantile * (sorted.len() - 1) as f64).ceil() as usize;
    let threshold = sorted[rank.min(sorted.len() - 1)];
    let best = |keep: &dyn Fn(f64) -> bool| {
        values
            .iter()
            .enumerate()
            .filter(|(_, &v)| keep(v))
            .fold(None, |best: Option<(usize, f64)>, (i, &v)| match best {
                Some((_, b)) if b >= v => best,
                _ => Some((i, v)),
            })
            .map(|(i, _)| i)
    };
    best(&|v| v < threshold).unwrap_or_else(|| best(&|_| true).unwrap_or(0))
}

mod posterior;

#[cfg(test)]
mod tests;
