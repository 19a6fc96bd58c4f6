//! A two-component one-dimensional Gaussian mixture fitted by EM (the per-class loss model of
//! TAD, ALGORITHMS.md §6, as DivideMix's `GaussianMixture(n_components=2, max_iter=10,
//! tol=1e-2, reg_covar=5e-4)`).
//!
//! The iteration is scikit-learn's `GaussianMixture(covariance_type="full")` specialised to one
//! dimension, step for step: E-step (responsibilities and mean log-likelihood under the current
//! parameters), M-step, stop when the mean log-likelihood changed by less than `tol`. Only the
//! initialisation differs: ours is deterministic (see [`GmmConfig`]); scikit-learn reproduces it
//! exactly when given our initial parameters as `weights_init`, `means_init`, `precisions_init`.

use crate::error::{check_finite, Result};
use serde::{Deserialize, Serialize};

/// EM settings; `Default` holds DivideMix's values.
///
/// Initialisation: the sorted data are split at the median (the lower `⌊n/2⌋` values against
/// the rest); each component starts at its half's mean and variance (+ `reg_covar`), with
/// weights 1/2 each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GmmConfig {
    /// Maximum EM iterations (default 10).
    pub max_iter: usize,
    /// Stop when the mean log-likelihood changes by less than this (default 1e-2).
    pub tol: f64,
    /// Added to every variance after each M-step (default 5e-4). This is scikit-learn's
    /// `reg_covar` semantics (an additive regulariser), which is what the spec's "variance floor"
    /// means in DivideMix's code.
    pub reg_covar: f64,
}

impl Default for GmmConfig {
    fn default() -> Self {
        Self {
            max_iter: 10,
            tol: 1e-2,
            reg_covar: 5e-4,
        }
    }
}

impl GmmConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// An invalid-parameter error naming `gmm_max_iter`, `gmm_tol` or `gmm_reg_covar`.
    pub fn validate(&self) -> Result<()> {
        if self.max_iter == 0 {
            return Err(trustdd_core::Error::invalid(
                "gmm_max_iter",
                0,
                "at least 1",
            ));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "gmm_tol",
                self.tol,
                "a finite number >= 0",
            ));
        }
        if !(self.reg_covar.is_finite() && self.reg_covar > 0.0) {
            return Err(trustdd_core::Error::invalid(
                "gmm_reg_covar",
                self.reg_covar,
                "a finite number > 0 (keeps variances positive)",
            ));
        }
        Ok(())
    }
}

/// A fitted two-component mixture.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gmm2 {
    /// Component means.
    pub means: [f64; 2],
    /// Component variances (including `reg_covar`).
    pub variances: [f64; 2],
    /// Mixing weights (summing to 1).
    pub weights: [f64; 2],
    /// Whether EM stopped by `tol` rather than by `max_iter`.
    pub converged: bool,
    /// EM iterations run.
    pub iterations: usize,
}

/// `ln 2π`.
const LN_TAU: f64 = 1.837_877_066_409_345_3;

impl Gmm2 {
    /// Fits the mixture to `x` by EM.
    ///
    /// # Errors
    /// [`trustdd_core::Error::NonFinite`] for NaN or infinite input; [`trustdd_core::Error::NotEnough`] for
    /// fewer than 2 values; an invalid configuration. Constant input is not an error: both
    /// components sit on the value with variance `reg_covar` (callers treat that case first).
    pub fn fit(x: &[f64], config: &GmmConfig) -> Result<Self> {
        config.validate()?;
        check_finite(x, "gmm input")?;
        if x.len() < 2 {
            return Err(trustdd_core::Error::NotEnough {
                what: "two-component gmm".into(),
                requested: 2,
                available: x.len(),
            });
        }
        let mut g = Self::initial(x, config.reg_covar);
        let mut lower_bound = f64::NEG_INFINITY;
        let mut resp = vec![[0.0; 2]; x.len()];
        for it in 1..=config.max_iter {
            let prev = lower_bound;
            lower_bound = g.e_step(x, &mut resp);
            g.m_step(x, &resp, config.reg_covar);
            g.iterations = it;
            if (lower_bound - prev).abs() < config.tol {
                g.converged = true;
                break;
            }
        }
        Ok(g)
    }

    /// The deterministic initialisation of [`GmmConfig`] (exposed so tests can hand it to a
    /// reference implementation). `x` must hold at least 2 finite values.
    pub fn initial(x: &[f64], reg_covar: f64) -> Self {
        let mut sorted = x.to_vec();
        sorted.sort_by(f64::total_cmp);
        let (lo, hi) = sorted.split_at(sorted.len() / 2);
        let stats = |part: &[f64]| {
            let m = part.iter().sum::<f64>() / part.len() as f64;
            let v = part.iter().map(|v| (v - m).powi(2)).sum::<f64>() / part.len() as f64;
            (m, v + reg_covar)
        };
        let (m0, v0) = stats(lo);
        let (m1, v1) = stats(hi);
        Self {
            means: [m0, m1],
            variances: [v0, v1],
            weights: [0.5, 0.5],
            converged: false,
            iterations: 0,
        }
    }

    /// `ln(weight_k · N(v; mean_k, var_k))` for both components.
    fn weighted_log_densities(&self, v: f64) -> [f64; 2] {
        std::array::from_fn(|k| {
            let var = self.variances[k];
            self.weights[k].ln() - 0.5 * (LN_TAU + var.ln() + (v - self.means[k]).powi(2) / var)
        })
    }

    /// Fills responsibilities; returns the mean log-likelihood.
    fn e_step(&self, x: &[f64], resp: &mut [[f64; 2]]) -> f64 {
        let mut total = 0.0;
        for (v, r) in x.iter().zip(resp.iter_mut()) {
            let l = self.weighted_log_densities(*v);
            let norm = log_sum_exp(l);
            *r = [(l[0] - norm).exp(), (l[1] - norm).exp()];
            total += norm;
        }
        total / x.len() as f64
    }

    fn m_step(&mut self, x: &[f64], resp: &[[f64; 2]], reg_covar: f64) {
        // scikit-learn adds 10·eps to every component mass so an empty component divides safely.
        let nk: [f64; 2] =
            std::array::from_fn(|k| resp.iter().map(|r| r[k]).sum::<f64>() + 10.0 * f64::EPSILON);
        for k in 0..2 {
            let mean = x.iter().zip(resp).map(|(v, r)| r[k] * v).sum::<f64>() / nk[k];
            let var = x
                .iter()
                .zip(resp)
                .map(|(v, r)| r[k] * (v - mean).powi(2))
                .sum::<f64>()
                / nk[k];
            self.means[k] = mean;
            self.variances[k] = var + reg_covar;
        }
        let total = nk[0] + nk[1];
        self.weights = [nk[0] / total, nk[1] / total];
    }

    /// Index of the component with the lower mean (0 on a tie).
    pub fn low_component(&self) -> usize {
        usize::from(self.means[1] < self.means[0])
    }

    /// Posterior probability that `v` belongs to the lower-mean component, in [0, 1].
    pub fn posterior_low(&self, v: f64) -> f64 {
        let l = self.weighted_log_densities(v);
        let p = (l[self.low_component()] - log_sum_exp(l)).exp();
        if p.is_nan() {
            // Only reachable for a non-finite `v`: no evidence either way.
            0.5
        } else {
            p
        }
    }
}

fn log_sum_exp(l: [f64; 2]) -> f64 {
    let m = l[0].max(l[1]);
    m + ((l[0] - m).exp() + (l[1] - m).exp()).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 45 fixed, overlapping values: 30 "clean" losses in [0.1, 0.4), 15 "noisy" in [0.3, 0.8).
    fn data() -> Vec<f64> {
        let clean = (0..30).map(|i| 0.1 + 0.3 * ((i as f64 * 0.618_033_988_7) % 1.0));
        let noisy = (0..15).map(|i| 0.3 + 0.5 * ((i as f64 * 0.414_213_562_4) % 1.0));
        clean.chain(noisy).collect()
    }

    #[test]
    fn agrees_with_scikit_learn() {
        // scikit-learn 1.9.1 (/tmp/torchenv/bin/python), started from our initialisation:
        //   import numpy as np; from sklearn.mixture import GaussianMixture
        //   x = [0.1 + 0.3*((i*0.6180339887) % 1) for i in range(30)]
        //     + [0.3 + 0.5*((i*0.4142135624) % 1) for i in range(15)]
        //   X = np.array(x)[:, None]; s = np.sort(X[:, 0]); lo, hi = s[:22], s[22:]
        //   g = GaussianMixture(2, max_iter=MAX, tol=TOL, reg_covar=5e-4,
        //         weights_init=[.5, .5], means_init=[[lo.mean()], [hi.mean()]],
        //         precisions_init=[[[1/(lo.var()+5e-4)]], [[1/(hi.var()+5e-4)]]]).fit(X)
        //   print(g.means_.ravel(), g.covariances_.ravel(), g.weights_, g.n_iter_, g.converged_)
        // MAX=10, TOL=1e-2 (DivideMix):
        //   [0.2408206313 0.4728827218] [0.0080922038 0.033655662] [0.5343469279 0.4656530721] 4 True
        // MAX=1000, TOL=1e-12:
        //   [0.2794314393 0.6620367212] [0.0123683108 0.0083947443] [0.818482335 0.181517665] 202 True
        // The references are printed to 10 decimals (rounding error up to 5e-11); every fitted
        // value agrees with them to within 4.4e-11 (e.g. means 0.240820631317, 0.472882721844
        // against 0.2408206313, 0.4728827218), so 1e-10 is the tolerance the values support.
        let x = data();
        let close =
            |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).abs() < 1e-10 && (a[1] - b[1]).abs() < 1e-10;
        let g = Gmm2::fit(&x, &GmmConfig::default()).unwrap();
        assert!(close(g.means, [0.2408206313, 0.4728827218]), "{g:?}");
        assert!(close(g.variances, [0.0080922038, 0.033655662]), "{g:?}");
        assert!(close(g.weights, [0.5343469279, 0.4656530721]), "{g:?}");
        assert_eq!((g.iterations, g.converged), (4, true));
        let tight = GmmConfig {
            max_iter: 1000,
            tol: 1e-12,
            ..GmmConfig::default()
        };
        let g = Gmm2::fit(&x, &tight).unwrap();
        assert!(close(g.means, [0.2794314393, 0.6620367212]), "{g:?}");
        assert!(close(g.variances, [0.0123683108, 0.0083947443]), "{g:?}");
        assert!(close(g.weights, [0.818482335, 0.181517665]), "{g:?}");
        assert!(g.converged && g.iterations.abs_diff(202) <= 2, "{g:?}");
        assert!(g.posterior_low(0.15) > 0.99 && g.posterior_low(0.75) < 0.01);
    }

    #[test]
    fn degenerate_inputs_give_finite_fits_or_typed_errors() {
        let c = GmmConfig::default();
        let same = Gmm2::fit(&[0.3; 5], &c).unwrap();
        assert!(
            same.means.iter().all(|m| (m - 0.3).abs() < 1e-12),
            "{same:?}"
        );
        assert!((same.variances[0] - 5e-4).abs() < 1e-15);
        assert!((same.posterior_low(0.3) - 0.5).abs() < 1e-12);
        let two = Gmm2::fit(&[0.0, 1.0], &c).unwrap();
        assert!(two
            .means
            .iter()
            .chain(&two.variances)
            .all(|v| v.is_finite()));
        assert!(two.posterior_low(0.0) > 0.99, "{two:?}");
        assert!(matches!(
            Gmm2::fit(&[0.5], &c),
            Err(trustdd_core::Error::NotEnough { available: 1, .. })
        ));
        assert!(matches!(
            Gmm2::fit(&[0.1, f64::NAN, 0.2], &c),
            Err(trustdd_core::Error::NonFinite { ref at, .. }) if at == "index 1"
        ));
        assert!(Gmm2::fit(&[0.1, f64::INFINITY], &c).is_err());
        let bad = GmmConfig {
            reg_covar: 0.0,
            ..c
        };
        assert!(Gmm2::fit(&[0.1, 0.2], &bad)
            .unwrap_err()
            .to_string()
            .contains("gmm_reg_covar"));
    }
}
