//! Property tests of the two-component 1-D GMM on random finite data.

use proptest::prelude::*;
use trustdd_trust::{Gmm2, GmmConfig};

const CASES: u32 = 64;

/// 2..=80 finite values, some of them repeated.
fn data() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![-100.0..100.0f64, (-5i32..5).prop_map(f64::from)],
        2..=80,
    )
}

fn config() -> impl Strategy<Value = GmmConfig> {
    (1..=50usize, 0.0..1e-1f64, 1e-6..1e-1f64).prop_map(|(max_iter, tol, reg_covar)| GmmConfig {
        max_iter,
        tol,
        reg_covar,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn a_fit_is_a_valid_mixture_within_the_data(x in data(), c in config()) {
        let g = Gmm2::fit(&x, &c).unwrap();
        prop_assert!((g.weights[0] + g.weights[1] - 1.0).abs() < 1e-12, "{g:?}");
        prop_assert!(g.weights.iter().all(|w| (0.0..=1.0).contains(w)), "{g:?}");
        prop_assert!(g.variances.iter().all(|&v| v >= c.reg_covar), "{g:?}");
        let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // A mean is a responsibility-weighted average, so it lies in [min, max] up to rounding.
        let slack = 1e-9 * (1.0 + lo.abs().max(hi.abs()));
        for m in g.means {
            prop_assert!(m >= lo - slack && m <= hi + slack, "mean {m} outside [{lo}, {hi}]: {g:?}");
        }
        prop_assert!(g.iterations >= 1 && g.iterations <= c.max_iter);
    }

    #[test]
    fn posteriors_are_probabilities(x in data(), probes in prop::collection::vec(-1e3..1e3f64, 1..10)) {
        let g = Gmm2::fit(&x, &GmmConfig::default()).unwrap();
        for v in x.iter().chain(&probes) {
            let p = g.posterior_low(*v);
            prop_assert!((0.0..=1.0).contains(&p), "posterior {p} at {v}: {g:?}");
        }
    }

    #[test]
    fn a_fit_is_deterministic(x in data(), c in config()) {
        let a = Gmm2::fit(&x, &c).unwrap();
        let b = Gmm2::fit(&x, &c).unwrap();
        prop_assert_eq!(a, b);
    }

    /// Two tight clusters of equal size far apart: the fitted means land on the cluster means
    /// and the weights on 1/2. (Equal sizes because the median-split initialisation only starts
    /// in the right basin then; see `unequal_clusters_keep_scikit_learns_local_optimum`.)
    #[test]
    fn well_separated_equal_clusters_are_found(
        centre in -50.0..50.0f64,
        gap in 20.0..200.0f64,
        (low, high) in (3..40usize).prop_flat_map(|n| {
            let jitter = || prop::collection::vec(-0.5..0.5f64, n);
            (jitter(), jitter())
        }),
    ) {
        let x: Vec<f64> = low.iter().map(|d| centre + d)
            .chain(high.iter().map(|d| centre + gap + d)).collect();
        let mean = |v: &[f64], c: f64| c + v.iter().sum::<f64>() / v.len() as f64;
        let want = [mean(&low, centre), mean(&high, centre + gap)];
        let c = GmmConfig { max_iter: 200, tol: 1e-10, ..GmmConfig::default() };
        let g = Gmm2::fit(&x, &c).unwrap();
        let lo = g.low_component();
        let got = [g.means[lo], g.means[1 - lo]];
        prop_assert!((got[0] - want[0]).abs() < 1e-3 && (got[1] - want[1]).abs() < 1e-3,
            "{got:?} vs {want:?}");
        prop_assert!((g.weights[lo] - 0.5).abs() < 1e-3, "{g:?}");
    }
}

/// Found by an earlier version of the property above: with clusters of 4 and 3 points the
/// median split puts the point 0.0 with the far cluster, and EM converges to that local optimum,
/// exactly as scikit-learn 1.9.1 does from the same start (its default k-means start finds the
/// clusters: means [-0.32445257, 20.0]). This records the limitation of the initialisation.
///
/// ```python
/// import numpy as np; from sklearn.mixture import GaussianMixture
/// x = np.array([0.0, -0.47484064416238986, -0.46081185905296895, -0.3621577725640836, 20, 20, 20.])
/// s = np.sort(x); lo, hi = s[:3], s[3:]
/// g = GaussianMixture(2, max_iter=200, tol=1e-10, reg_covar=5e-4, weights_init=[.5, .5],
///     means_init=[[lo.mean()], [hi.mean()]],
///     precisions_init=[[[1/(lo.var()+5e-4)]], [[1/(hi.var()+5e-4)]]]).fit(x[:, None])
/// print(g.means_.ravel(), g.weights_)  # [-0.43264702 14.96781995] [0.42737619 0.57262381]
/// ```
#[test]
fn unequal_clusters_keep_scikit_learns_local_optimum() {
    let x = [
        0.0,
        -0.474_840_644_162_389_86,
        -0.460_811_859_052_968_95,
        -0.362_157_772_564_083_6,
        20.0,
        20.0,
        20.0,
    ];
    let c = GmmConfig {
        max_iter: 200,
        tol: 1e-10,
        ..GmmConfig::default()
    };
    let g = Gmm2::fit(&x, &c).unwrap();
    let close = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6;
    assert!(close(g.means, [-0.43264702, 14.96781995]), "{g:?}");
    assert!(close(g.weights, [0.42737619, 0.57262381]), "{g:?}");
}
