//! Instance-dependent noise after Xia et al. 2020 ("Part-dependent label noise", NeurIPS 2020;
//! the generator of their released `tools.py`, `get_instance_noisy_label`).

use crate::features::{unit_features, FeatureExtractor, RawPixels};
use crate::per_sample::map_labels;
use crate::rate::check_rate;
use std::sync::Arc;
use trustdd_core::{Error, NoiseContext, NoiseModel, Result, TrustRng};

/// Standard deviation of the per-sample flip rate around the nominal rate (Xia et al. use 0.1).
pub const FLIP_RATE_STD: f64 = 0.1;

/// Salt separating the projection stream from the per-sample streams of the same seed.
const PROJECTION_SALT: u64 = 0x1D4E_0000_0000_0001;

/// Instance-dependent noise: the flip probability and the target depend on the sample's features.
///
/// For sample `i` with unit-norm features `x` (length `d`) and label `y`:
/// 1. `q_i ~ N(rate, 0.1²)` truncated to [0, 1] (rejection sampling);
/// 2. `p = x · W_y` where `W_y` (`d × C`, entries N(0, 1)) is drawn once per class from the seed;
/// 3. `p_y = −∞`, `p = q_i · softmax(p)`, `p_y = 1 − q_i`;
/// 4. the observed label is drawn from `p`.
///
/// The expected realised rate is `E[q_i]`, which equals `rate` up to the (tiny) asymmetry of the
/// truncation.
#[derive(Clone)]
pub struct InstanceDependent {
    rate: f64,
    extractor: Arc<dyn FeatureExtractor>,
}

impl std::fmt::Debug for InstanceDependent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceDependent")
            .field("rate", &self.rate)
            .field("features", &self.extractor.name())
            .finish()
    }
}

impl InstanceDependent {
    /// A model with nominal rate `rate` on raw-pixel features ([`RawPixels`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `rate` is outside [0, 1).
    pub fn new(rate: f64) -> Result<Self> {
        Ok(Self {
            rate: check_rate("idn", rate)?,
            extractor: Arc::new(RawPixels),
        })
    }

    /// Uses `extractor` instead of raw pixels (for example a pretrained network's embedding).
    pub fn with_extractor(mut self, extractor: Arc<dyn FeatureExtractor>) -> Self {
        self.extractor = extractor;
        self
    }

    /// The nominal rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The projection `W_class` (row-major `dim × classes`, entries N(0, 1)) used with `seed`:
    /// drawn from its own stream so it does not overlap the per-sample streams.
    pub fn projection(seed: u64, class: usize, dim: usize, classes: usize) -> Vec<f32> {
        TrustRng::for_item(seed ^ PROJECTION_SALT, class as u64).normal_vec(dim * classes, 0.0, 1.0)
    }
}

/// `N(mean, std²)` truncated to [0, 1], by redrawing until inside.
fn truncated_normal(rng: &mut TrustRng, mean: f64, std: f64) -> f64 {
    // mean ∈ [0, 1) and std = 0.1 accept at least half the draws; the cap only guards misuse.
    for _ in 0..10_000 {
        let q = mean + std * rng.normal();
        if (0.0..=1.0).contains(&q) {
            return q;
        }
    }
    mean.clamp(0.0, 1.0)
}

/// The class probabilities of one sample (steps 2-3 of [`InstanceDependent`]).
fn flip_distribution(x: &[f32], w_y: &[f32], y: usize, classes: usize, q: f64) -> Vec<f64> {
    let mut logits = vec![0f64; classes];
    for (k, &xk) in x.iter().enumerate() {
        let row = &w_y[k * classes..(k + 1) * classes];
        for (l, &w) in logits.iter_mut().zip(row) {
            *l += xk as f64 * w as f64;
        }
    }
    logits[y] = f64::NEG_INFINITY;
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut p: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = p.iter().sum();
    for v in &mut p {
        *v *= q / total;
    }
    p[y] = 1.0 - q;
    p
}

/// Index drawn from the discrete distribution `p` (sums to 1).
fn draw(p: &[f64], rng: &mut TrustRng) -> usize {
    let u = rng.uniform_f64();
    let mut acc = 0.0;
    for (k, &pk) in p.iter().enumerate() {
        acc += pk;
        if u < acc {
            return k;
        }
    }
    // Rounding left u above the last partial sum: take the last class with mass.
    p.iter().rposition(|&v| v > 0.0).unwrap_or(0)
}

impl NoiseModel for InstanceDependent {
    fn name(&self) -> String {
        format!("idn({}, {})", self.rate, self.extractor.name())
    }

    /// # Errors
    /// [`Error::InvalidParameter`] when the context carries no images or fewer than two classes;
    /// [`Error::ShapeMismatch`] when the features do not have one row per label.
    fn corrupt(&self, ctx: &NoiseContext<'_>) -> Result<Vec<u32>> {
        let c = ctx.num_classes;
        let dataset = ctx.dataset.ok_or_else(|| {
            Error::invalid(
                "idn noise: dataset",
                "labels only",
                "the images (instance-dependent noise reads the samples' features)",
            )
        })?;
        if c < 2 {
            return Err(Error::invalid(
                "idn noise: number of classes",
                c,
                "at least 2",
            ));
        }
        let features = unit_features(&*self.extractor, dataset)?;
        let (rows, d) = (features.len() / features.dim.max(1), features.dim);
        if rows != ctx.labels.len() {
            return Err(Error::shape(
                format!("idn noise: {} features", self.extractor.name()),
                format!("{} rows (one per label)", ctx.labels.len()),
                format!("{rows} rows"),
            ));
        }
        let projections: Vec<Vec<f32>> = (0..c)
            .map(|class| Self::projection(ctx.seed, class, d, c))
            .collect();
        map_labels(ctx, |i, y, rng| {
            let q = truncated_normal(rng, self.rate, FLIP_RATE_STD);
            let x = features.row(i);
            let p = flip_distribution(x, &projections[y as usize], y as usize, c, q);
            Ok(draw(&p, rng) as u32)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_distribution_matches_a_hand_computed_softmax() {
        // x = (1, 0), W_y = [[0, ln 2, 0], [5, 5, 5]] (d = 2, C = 3), y = 2, q = 0.3:
        // logits (0, ln 2, −∞) → softmax (1/3, 2/3, 0) → ×0.3 = (0.1, 0.2), p_y = 0.7.
        let w = [0.0, 2f32.ln(), 0.0, 5.0, 5.0, 5.0];
        let p = flip_distribution(&[1.0, 0.0], &w, 2, 3, 0.3);
        for (got, want) in p.iter().zip([0.1, 0.2, 0.7]) {
            assert!((got - want).abs() < 1e-7, "{p:?}");
        }
    }

    #[test]
    fn truncated_normal_stays_in_unit_interval_with_the_right_mean() {
        let mut rng = TrustRng::new(4);
        let n = 20_000;
        let qs: Vec<f64> = (0..n)
            .map(|_| truncated_normal(&mut rng, 0.05, 0.1))
            .collect();
        assert!(qs.iter().all(|q| (0.0..=1.0).contains(q)));
        // Mean of N(0.05, 0.1²) truncated to [0, 1] (closed form μ + σ(φ(α) − φ(β))/(Φ(β) − Φ(α)),
        // α = −0.5, β = 9.5): 0.05 + 0.1·0.35207/0.69146 = 0.10092; standard error ≤ 0.1/√n.
        let mean = qs.iter().sum::<f64>() / n as f64;
        assert!(
            (mean - 0.10092).abs() < 4.0 * 0.1 / (n as f64).sqrt(),
            "{mean}"
        );
    }

    #[test]
    fn draw_follows_the_distribution() {
        let mut rng = TrustRng::new(9);
        let p = [0.2, 0.0, 0.8];
        let mut counts = [0usize; 3];
        for _ in 0..10_000 {
            counts[draw(&p, &mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        // Binomial(10000, 0.2): sd 40, 4-sigma band.
        assert!((counts[0] as i64 - 2000).abs() < 160, "{counts:?}");
    }
}
