//! `Tad::split_view`: the last round's class-wise split, as `partition.png` draws it; and
//! `Tad::clean_weights`, the same split's per-sample posteriors.

use crate::common;

use anyhow::Result;
use common::{observe_rounds, patterns, tiny_tad};
use trustdd_core::TrustPartitioner;
use trustdd_trust::Tad;

#[test]
fn the_split_view_is_the_last_rounds_split() -> Result<()> {
    let ds = patterns(30, 0.4, 3)?;
    let mut tad = Tad::new(tiny_tad())?;
    assert!(tad.split_view(&ds)?.is_none(), "a view before any round");
    observe_rounds(&mut tad, &ds, 2, 5)?;
    let view = tad.split_view(&ds)?.expect("a view after a round");
    let last = tad.diagnostics().last().unwrap();
    assert_eq!(view.classes.len(), last.classes.len());
    for (v, d) in view.classes.iter().zip(&last.classes) {
        assert_eq!(v.class, d.class);
        // Every sample observed in the class, by index, once.
        assert_eq!(v.samples.len(), d.observed);
        assert!(v
            .samples
            .iter()
            .all(|&(i, _)| ds.labels()[i] as usize == v.class));
        // The round's threshold and rule, on scores normalised to [0, 1].
        assert_eq!(v.threshold, d.threshold);
        assert_eq!(
            v.rule.replace(' ', "_"),
            serde_json::to_value(d.rule)?.as_str().unwrap()
        );
        assert!(v.samples.iter().all(|&(_, s)| (0.0..=1.0).contains(&s)));
        let (lo, hi) = v
            .samples
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &(_, s)| (a.min(s), b.max(s)));
        assert_eq!((lo, hi), (0.0, 1.0));
        if !v.components.is_empty() {
            let w: f64 = v.components.iter().map(|c| c.0).sum();
            assert!((w - 1.0).abs() < 1e-9, "weights sum to {w}");
        }
    }
    // The view of another dataset is refused, not drawn wrongly.
    let other = patterns(10, 0.4, 3)?;
    assert!(tad.split_view(&other).is_err());
    Ok(())
}

/// The posterior of the low-mean component at `s`, from the view's `(weight, mean, variance)`
/// by the Gaussian densities written out (independent of the crate's log-space mixture code).
fn posterior_low(components: &[(f64, f64, f64)], s: f64) -> f64 {
    let density = |&(w, m, v): &(f64, f64, f64)| {
        w * (-(s - m).powi(2) / (2.0 * v)).exp() / (2.0 * std::f64::consts::PI * v).sqrt()
    };
    let low = if components[0].1 <= components[1].1 {
        0
    } else {
        1
    };
    let d: Vec<f64> = components.iter().map(density).collect();
    d[low] / (d[0] + d[1])
}

#[test]
fn clean_weights_are_the_splits_posteriors() -> Result<()> {
    let ds = patterns(30, 0.4, 3)?;
    let mut tad = Tad::new(tiny_tad())?;
    assert!(
        tad.clean_weights(&ds)?.is_none(),
        "weights before any round"
    );
    observe_rounds(&mut tad, &ds, 2, 5)?;
    let w = tad.clean_weights(&ds)?.expect("weights after a round");
    assert_eq!(w.len(), ds.len());
    let view = tad.split_view(&ds)?.unwrap();
    let mut fitted = 0;
    for class in &view.classes {
        for &(i, s) in &class.samples {
            let trusted_by_rule = class.threshold.is_none_or(|t| s <= t);
            let expected = if class.rule == "gmm" {
                fitted += 1;
                posterior_low(&class.components, s)
            } else {
                f64::from(u8::from(trusted_by_rule))
            };
            assert!(
                (w[i] - expected).abs() < 1e-9,
                "sample {i}: {} vs {expected}",
                w[i]
            );
        }
    }
    assert!(
        fitted > 0,
        "no class was split by its mixture: the test shows nothing"
    );
    // Under 40% noise the wrongly labelled samples weigh less than the clean ones on average.
    let clean = ds.clean_labels().unwrap();
    let mean = |right: bool| {
        let v: Vec<f64> = (0..ds.len())
            .filter(|&i| (ds.labels()[i] == clean[i]) == right)
            .map(|i| w[i])
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(
        mean(true) > mean(false) + 0.2,
        "{} vs {}",
        mean(true),
        mean(false)
    );
    assert!(tad.clean_weights(&patterns(10, 0.4, 3)?).is_err());
    Ok(())
}
