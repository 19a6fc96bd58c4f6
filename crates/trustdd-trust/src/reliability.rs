//! The reliability score of TAD's inner loop (ALGORITHMS.md §6, **reconstructed**: the paper's
//! summary names Mahalanobis distance to class anchors plus cosine similarity; the formulas below
//! are the standard ones).
//!
//! Anchors `μ_c` are the mean features of trusted samples with working label `c`; `Σ` is their
//! pooled within-class covariance (the tied covariance of Lee et al. 2018, divided by the number
//! of trusted samples), shrunk to `Σ + εI` with `ε = shrink·tr(Σ)/d` (`ε = shrink` when the trace
//! is 0) and factorised by Cholesky; distances come from triangular solves, never an inverse.
//! `r_ic = α·softmax_c(−M_ic/t_m) + (1−α)·softmax_c(s_ic/t_s)`; classes without an anchor get
//! `M = ∞`, `s = −∞` (weight 0).

use crate::error::{Result, TrustError};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Settings of the reliability score.
///
/// The temperatures are ours (the paper's values were not available), tuned on the embedded
/// MNIST digits with `asym:0.4` (tests/mnist_budget.rs, 2 rounds, δ = 0.9): squared Mahalanobis
/// distances of ConvNet features differ by tens, so `t_m = 1` makes that part one-hot, and
/// cosines of L2-normalised ReLU features lie close together, so `t_s = 0.1` makes that part
/// flat. Measured: `t_m = 1, t_s = 0.1` recalled nothing (trusted precision 99.3%, 5,587
/// trusted); `t_m = 50, t_s = 0.02` recalled 847 samples with 98.0% correct pseudo-labels
/// (precision 99.1%, 6,447 trusted); `t_m = 1, t_s = 0.02` recalled ~960 at 88% (precision 97.6%).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReliabilityConfig {
    /// L2-normalise features first (default true).
    pub l2_normalize: bool,
    /// Shrinkage `ε = shrink·tr(Σ)/d` (default 1e-3).
    pub shrink: f64,
    /// Times ε is multiplied by 10 when the factorisation fails, before an error (default 4).
    pub max_shrink_retries: usize,
    /// Weight α of the Mahalanobis part (default 0.5).
    pub alpha: f64,
    /// Temperature t_m of `softmax(−M/t_m)` (default 50).
    pub t_m: f64,
    /// Temperature t_s of `softmax(s/t_s)` (default 0.02).
    pub t_s: f64,
}

impl Default for ReliabilityConfig {
    fn default() -> Self {
        Self {
            l2_normalize: true,
            shrink: 1e-3,
            max_shrink_retries: 4,
            alpha: 0.5,
            t_m: 50.0,
            t_s: 0.02,
        }
    }
}

impl ReliabilityConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// An invalid-parameter error naming `alpha`, `shrink`, `t_m` or `t_s`.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(trustdd_core::Error::invalid(
                "alpha",
                self.alpha,
                "a number in [0, 1]",
            ));
        }
        for (name, v) in [
            ("shrink", self.shrink),
            ("t_m", self.t_m),
            ("t_s", self.t_s),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(trustdd_core::Error::invalid(name, v, "a finite number > 0"));
            }
        }
        Ok(())
    }
}

/// Scores of some samples against every class, row-major `samples × classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Number of classes (row length).
    pub num_classes: usize,
    /// Squared Mahalanobis distances `M_ic` (∞ for a class without anchor).
    pub mahalanobis: Vec<f64>,
    /// Cosine similarities `s_ic` (−∞ for a class without anchor).
    pub cosine: Vec<f64>,
    /// Reliabilities `r_ic`, each row summing to 1.
    pub reliability: Vec<f64>,
}

impl Scores {
    /// Row `k` of a score table.
    pub fn row<'a>(&self, table: &'a [f64], k: usize) -> &'a [f64] {
        &table[k * self.num_classes..(k + 1) * self.num_classes]
    }
}

/// Anchors and the factorised shared covariance.
#[derive(Debug, Clone)]
pub struct ReliabilityModel {
    config: ReliabilityConfig,
    dim: usize,
    anchors: Vec<Option<DVector<f64>>>,
    whitened_anchors: Vec<Option<DVector<f64>>>,
    cholesky_l: DMatrix<f64>,
    epsilon: f64,
}

/// Row `i` of `features` (`n × dim`), L2-normalised when asked (a zero row stays zero).
fn feature(features: &[f64], dim: usize, i: usize, normalize: bool) -> DVector<f64> {
    let mut v = DVector::from_column_slice(&features[i * dim..(i + 1) * dim]);
    let norm = v.norm();
    if normalize && norm > 0.0 {
        v /= norm;
    }
    v
}

impl ReliabilityModel {
    /// Fits anchors and covariance on the `trusted` ids with their `working_labels`
    /// (`features` row-major `n × dim`).
    ///
    /// # Errors
    /// [`trustdd_core::Error::NotEnough`] with no trusted sample; shape errors; an invalid config;
    /// [`TrustError::NotPositiveDefinite`] when every shrinkage retry fails.
    pub fn fit(
        features: &[f64],
        dim: usize,
        trusted: &[usize],
        working_labels: &[u32],
        num_classes: usize,
        config: &ReliabilityConfig,
    ) -> Result<Self> {
        config.validate()?;
        if dim == 0 || features.len() % dim != 0 || features.len() / dim != working_labels.len() {
            return Err(trustdd_core::Error::shape(
                "features",
                format!("{} rows of a positive width", working_labels.len()),
                format!("{} values of width {dim}", features.len()),
            ));
        }
        if trusted.is_empty() {
            return Err(trustdd_core::Error::NotEnough {
                what: "reliability anchors".into(),
                requested: 1,
                available: 0,
            });
        }
        trustdd_core::check_labels(working_labels, num_classes, "working labels")?;
        let z = |i| feature(features, dim, i, config.l2_normalize);
        let mut sums = vec![DVector::zeros(dim); num_classes];
        let mut counts = vec![0usize; num_classes];
        for &i in trusted {
            let c = working_labels[i] as usize;
            sums[c] += z(i);
            counts[c] += 1;
        }
        let anchors: Vec<Option<DVector<f64>>> = sums
            .into_iter()
            .zip(&counts)
            .map(|(s, &k)| (k > 0).then(|| s / k as f64))
            .collect();
        // Σ = Σ_i d_i d_iᵀ as GEMMs over chunks of centred samples (one per column): the
        // rank-one update per sample streamed the whole d×d matrix through memory once per
        // trusted sample and took 6% of a TAD round (docs/performance.md).
        const CHUNK: usize = 2048;
        let mut sigma = DMatrix::zeros(dim, dim);
        for ids in trusted.chunks(CHUNK) {
            let mut centred = DMatrix::zeros(dim, ids.len());
            for (col, &i) in ids.iter().enumerate() {
                if let Some(mu) = &anchors[working_labels[i] as usize] {
                    centred.set_column(col, &(z(i) - mu));
                }
            }
            let centred_t = centred.transpose();
            sigma.gemm(1.0, &centred, &centred_t, 1.0);
        }
        sigma /= trusted.len() as f64;
        let trace = sigma.trace();
        let mut epsilon = config.shrink * trace / dim as f64;
        if !(epsilon.is_finite() && epsilon > 0.0) {
            epsilon = config.shrink;
        }
        for attempt in 0..=config.max_shrink_retries {
            let shrunk = &sigma + DMatrix::identity(dim, dim) * epsilon;
            if let Some(ch) = nalgebra::Cholesky::new(shrunk) {
                let l = ch.l();
                let whitened_anchors = anchors
                    .iter()
                    .map(|a| a.as_ref().and_then(|a| l.solve_lower_triangular(a)))
                    .collect();
                return Ok(Self {
                    config: *config,
                    dim,
                    anchors,
                    whitened_anchors,
                    cholesky_l: l,
                    epsilon,
                });
            }
            if attempt < config.max_shrink_retries {
                epsilon *= 10.0;
            }
        }
        Err(TrustError::NotPositiveDefinite { dim, epsilon }.into())
    }

    /// The shrinkage actually used.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// Scores of samples `ids` against every class.
    ///
    /// # Errors
    /// A shape error when `features` does not hold an id.
    pub fn score(&self, features: &[f64], ids: &[usize]) -> Result<Scores> {
        let (dim, k) = (self.dim, self.anchors.len());
        if let Some(&bad) = ids.iter().find(|&&i| (i + 1) * dim > features.len()) {
            return Err(trustdd_core::Error::shape(
                "feature row",
                format!("< {}", features.len() / dim),
                bad,
            ));
        }
        let mut out = Scores {
            num_classes: k,
            mahalanobis: Vec::with_capacity(ids.len() * k),
            cosine: Vec::with_capacity(ids.len() * k),
            reliability: Vec::with_capacity(ids.len() * k),
        };
        for &i in ids {
            let z = feature(features, dim, i, self.config.l2_normalize);
            let w = self.cholesky_l.solve_lower_triangular(&z);
            let zn = z.norm();
            for c in 0..k {
                let m = match (&w, &self.whitened_anchors[c]) {
                    (Some(w), Some(a)) => (w - a).norm_squared(),
                    _ => f64::INFINITY,
                };
                let s = match &self.anchors[c] {
                    Some(a) if zn > 0.0 && a.norm() > 0.0 => z.dot(a) / (zn * a.norm()),
                    Some(_) => 0.0,
                    None => f64::NEG_INFINITY,
                };
                out.mahalanobis.push(m);
                out.cosine.push(s);
            }
            let row = out.mahalanobis.len() - k..out.mahalanobis.len();
            let pm = softmax(
                out.mahalanobis[row.clone()]
                    .iter()
                    .map(|m| -m / self.config.t_m),
            );
            let ps = softmax(out.cosine[row].iter().map(|s| s / self.config.t_s));
            let a = self.config.alpha;
            out.reliability
                .extend(pm.iter().zip(&ps).map(|(m, s)| a * m + (1.0 - a) * s));
        }
        Ok(out)
    }
}

/// Softmax of logits that may be −∞ (weight 0); all −∞ gives a uniform row.
fn softmax(logits: impl Iterator<Item = f64>) -> Vec<f64> {
    let l: Vec<f64> = logits.collect();
    let m = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return vec![1.0 / l.len() as f64; l.len()];
    }
    let e: Vec<f64> = l.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_classes_in_2d_by_hand() {
        // Trusted: class 0 at (1,0), (3,0) → μ0 = (2,0); class 1 at (0,2), (0,4) → μ1 = (0,3).
        // Deviations (±1,0), (0,±1): Σ = diag(2,2)/4 = 0.5·I; tr Σ = 1, d = 2,
        // ε = 1e-3·1/2 = 5e-4, so Σ' = 0.5005·I.
        // Query q = (1,1): M0 = ((1−2)² + 1²)/0.5005 = 3.996004, M1 = (1 + 4)/0.5005 = 9.990010;
        // cos0 = 2/(√2·2) = 0.707107, cos1 = 3/(√2·3) = 0.707107.
        // α = 0.5, t_m = t_s = 1: softmax(−M) = [1/(1+e^(−5.994006)), ...] = [0.997513, 0.002487],
        // softmax(s) = [0.5, 0.5] → r = [0.748756, 0.251244].
        let features = [1.0, 0.0, 3.0, 0.0, 0.0, 2.0, 0.0, 4.0, 1.0, 1.0];
        let labels = [0, 0, 1, 1, 0];
        let config = ReliabilityConfig {
            l2_normalize: false,
            t_m: 1.0,
            t_s: 1.0,
            ..ReliabilityConfig::default()
        };
        let model =
            ReliabilityModel::fit(&features, 2, &[0, 1, 2, 3], &labels, 2, &config).unwrap();
        assert!((model.epsilon() - 5e-4).abs() < 1e-15);
        let s = model.score(&features, &[4]).unwrap();
        let close =
            |a: &[f64], b: [f64; 2]| (a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6;
        assert!(close(&s.mahalanobis, [3.996004, 9.990010]), "{s:?}");
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!(close(&s.cosine, [h, h]), "{s:?}");
        assert!(close(&s.reliability, [0.748756, 0.251244]), "{s:?}");
    }

    #[test]
    fn chunked_covariance_equals_the_sum_of_outer_products() {
        // 5,000 samples (three GEMM chunks) of 3 features in 2 classes; the distances must equal
        // those of Σ built sample by sample and inverted explicitly (an independent route).
        let (n, dim) = (5000, 3);
        let mut rng = trustdd_core::TrustRng::new(11);
        let features: Vec<f64> = (0..n * dim).map(|_| rng.uniform_f64()).collect();
        let labels: Vec<u32> = (0..n).map(|i| (i % 2) as u32).collect();
        let trusted: Vec<usize> = (0..n - 1).collect();
        let config = ReliabilityConfig {
            l2_normalize: false,
            ..ReliabilityConfig::default()
        };
        let model = ReliabilityModel::fit(&features, dim, &trusted, &labels, 2, &config).unwrap();
        let row = |i: usize| DVector::from_column_slice(&features[i * dim..(i + 1) * dim]);
        let mut mu = [DVector::zeros(dim), DVector::zeros(dim)];
        let mut count = [0.0; 2];
        for &i in &trusted {
            mu[labels[i] as usize] += row(i);
            count[labels[i] as usize] += 1.0;
        }
        mu[0] /= count[0];
        mu[1] /= count[1];
        let mut sigma = DMatrix::<f64>::zeros(dim, dim);
        for &i in &trusted {
            let d = row(i) - &mu[labels[i] as usize];
            sigma += &d * d.transpose();
        }
        sigma /= trusted.len() as f64;
        let eps = 1e-3 * sigma.trace() / dim as f64;
        assert!((model.epsilon() - eps).abs() < 1e-15);
        let inv = (sigma + DMatrix::identity(dim, dim) * eps)
            .try_inverse()
            .unwrap();
        let s = model.score(&features, &[n - 1]).unwrap();
        for (c, mu_c) in mu.iter().enumerate() {
            let d = row(n - 1) - mu_c;
            let want = (d.transpose() * &inv * &d)[(0, 0)];
            assert!(
                (s.mahalanobis[c] - want).abs() < 1e-9 * want,
                "{c}: {s:?} vs {want}"
            );
        }
    }

    #[test]
    fn singular_covariances_and_missing_classes_give_finite_scores() {
        // All features on the line y = 2x (rank-1 covariance) and d = 5 > n = 3.
        let line = [1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0];
        let m = ReliabilityModel::fit(
            &line,
            2,
            &[0, 1, 2],
            &[0, 0, 1, 1],
            3,
            &ReliabilityConfig::default(),
        )
        .unwrap();
        let s = m.score(&line, &[3]).unwrap();
        assert!(s.reliability.iter().all(|v| v.is_finite()));
        assert_eq!(s.reliability[2], 0.0, "class 2 has no anchor");
        assert!((s.reliability.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let wide: Vec<f64> = (0..15).map(|v| f64::from(v % 4)).collect();
        let m = ReliabilityModel::fit(
            &wide,
            5,
            &[0, 1, 2],
            &[0, 1, 0],
            2,
            &ReliabilityConfig::default(),
        )
        .unwrap();
        let s = m.score(&wide, &[0, 1, 2]).unwrap();
        assert!(s
            .mahalanobis
            .iter()
            .chain(&s.reliability)
            .all(|v| v.is_finite()));
        // Identical features: zero covariance, ε falls back to `shrink`.
        let same = [1.0; 6];
        let m = ReliabilityModel::fit(
            &same,
            2,
            &[0, 1, 2],
            &[0, 1, 1],
            2,
            &ReliabilityConfig::default(),
        )
        .unwrap();
        assert!(m
            .score(&same, &[0])
            .unwrap()
            .reliability
            .iter()
            .all(|v| v.is_finite()));
        assert!(
            ReliabilityModel::fit(&same, 2, &[], &[0, 1, 1], 2, &ReliabilityConfig::default())
                .is_err()
        );
    }
}
