//! `Tad::split_view`: the last round's class-wise split, as `partition.png` draws it.

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
