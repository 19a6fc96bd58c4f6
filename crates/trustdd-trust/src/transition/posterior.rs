//! Bayes' posterior over a sample's clean class given its image and its observed label, under a
//! class-transition matrix: the score issue 18's cross-fitted partition ranks by.
//!
//! Why a posterior and not a per-class loss threshold: under class-conditional noise the
//! evidence that an observed label `y` is right is `p(y | x) T[y][y]` against every other
//! class's `p(c | x) T[c][y]`, so a sample whose image is ambiguous between two swapped classes
//! is judged against the partner class only, with the weight the swap gives it. A loss threshold
//! fitted per class cannot see the partner class at all.

use super::Transition;
use crate::error::Result;

impl Transition {
    /// `P(clean = c | x, y) = p_c T[c][y] / Σ_d p_d T[d][y]` for every sample and class (`n ×
    /// classes`, row-major), from softmax rows `probabilities` (`n × classes`) and observed
    /// labels `observed`.
    ///
    /// With `noisy_trained`, the rows come from a network trained on the noisy labels, which
    /// estimates the noisy posterior `p̃ = Tᵀ p`; the clean one is first recovered as
    /// `p = T⁻ᵀ p̃`, clipped at 0 and renormalised (Patrini et al. 2017's backward correction;
    /// a row that clips to all zeros is kept as it is). Without, the rows are taken as clean
    /// posteriors already (a network trained on a cleaned set).
    ///
    /// # Errors
    /// A shape error when `probabilities` is not `observed.len() × classes`; a label error for a
    /// label out of range; non-finite values; an invalid-parameter error when `noisy_trained`
    /// and `T` is singular.
    pub fn clean_posterior(
        &self,
        probabilities: &[f64],
        observed: &[u32],
        noisy_trained: bool,
    ) -> Result<Vec<f64>> {
        let k = self.classes;
        if probabilities.len() != observed.len() * k {
            return Err(trustdd_core::Error::shape(
                "softmax rows for the clean posterior",
                format!("{} × {k} values", observed.len()),
                format!("{} values", probabilities.len()),
            ));
        }
        crate::error::check_finite(probabilities, "softmax rows for the clean posterior")?;
        trustdd_core::check_labels(observed, k, "observed labels for the clean posterior")?;
        let inverse = if noisy_trained {
            let t = nalgebra::DMatrix::from_row_slice(k, k, &self.rows);
            Some(t.transpose().try_inverse().ok_or_else(|| {
                trustdd_core::Error::invalid(
                    "transition matrix",
                    "singular",
                    "an invertible matrix for the backward correction",
                )
            })?)
        } else {
            None
        };
        let mut out = Vec::with_capacity(probabilities.len());
        for (row, &y) in probabilities.chunks(k).zip(observed) {
            let mut p = row.to_vec();
            if let Some(inv) = &inverse {
                let corrected: Vec<f64> = (0..k)
                    .map(|c| (0..k).map(|j| inv[(c, j)] * row[j]).sum::<f64>().max(0.0))
                    .collect();
                let total: f64 = corrected.iter().sum();
                if total > 0.0 {
                    p = corrected.iter().map(|v| v / total).collect();
                }
            }
            let joint: Vec<f64> = (0..k).map(|c| p[c] * self.get(c, y as usize)).collect();
            let evidence: f64 = joint.iter().sum();
            if evidence > 0.0 {
                out.extend(joint.iter().map(|v| v / evidence));
            } else {
                // No class can have produced `y` under `T`: the posterior says nothing, so the
                // row is uniform rather than a division by zero.
                out.extend(std::iter::repeat_n(1.0 / k as f64, k));
            }
        }
        Ok(out)
    }
}
