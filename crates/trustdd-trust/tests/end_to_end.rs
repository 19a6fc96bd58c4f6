//! TAD on tiny synthetic data with detectable noise.

use crate::common;

use anyhow::Result;
use candle_core::Device;
use common::{observe_rounds, patterns, tiny_tad};
use trustdd_core::{Silent, TrustPartitioner, TrustRng};
use trustdd_trust::Tad;

#[test]
fn tad_finds_the_flipped_labels() -> Result<()> {
    // 60 per class; 24 of class 0's 60 samples are labelled 1: 156 of 180 labels correct (86.7%).
    let ds = patterns(60, 0.4, 3)?;
    let clean = ds.clean_labels().unwrap().to_vec();
    let observed_clean = ds
        .labels()
        .iter()
        .zip(&clean)
        .filter(|(a, b)| a == b)
        .count() as f64
        / ds.len() as f64;
    let mut tad = Tad::new(tiny_tad())?;
    observe_rounds(&mut tad, &ds, 3, 5)?;
    let d = tad.diagnostics();
    assert_eq!(d.len(), 3);
    let last = d.last().unwrap();
    let precision = last.precision.unwrap();
    println!(
        "clean fraction {observed_clean:.3}; per round (trusted, precision, recall, recalled, recalled accuracy): {:?}",
        d.iter()
            .map(|r| (r.trusted, r.precision, r.recall, r.recalled_total, r.recalled_accuracy))
            .collect::<Vec<_>>()
    );
    assert!(
        precision >= observed_clean + 0.08,
        "precision {precision} vs clean fraction {observed_clean}: {d:#?}"
    );
    assert!(last.recall.unwrap() > 0.6, "{last:#?}");
    // Some flipped samples come back with their true label (measured: 30 of 30 right).
    assert!(last.recalled_total > 0, "{last:#?}");
    assert!(last.recalled_accuracy.unwrap() >= 0.9, "{last:#?}");
    let part = tad.partition().unwrap();
    for c in 0..3 {
        assert!(part.members_by_class(ds.len(), 3)?[c].len() >= 4);
    }
    assert!(d.iter().all(|r| r.proxy_ce.is_finite()));
    Ok(())
}

#[test]
fn proxy_round_uses_the_consistency_term_and_refuses_an_empty_trusted_set() -> Result<()> {
    use trustdd_core::TrustPartition;
    use trustdd_trust::{new_proxy, train_round};
    let ds = patterns(6, 0.0, 1)?;
    let cfg = tiny_tad().proxy;
    let mut net = new_proxy(&cfg, &ds, &Device::Cpu, &mut TrustRng::new(0))?;
    // Half trusted: the untrusted half joins the consistency term only.
    let mut part = TrustPartition::all_trusted(ds.labels());
    part.trusted.iter_mut().step_by(2).for_each(|t| *t = false);
    let s = train_round(
        &mut net,
        &cfg,
        &ds,
        &part,
        &Device::Cpu,
        &mut TrustRng::new(1),
        &Silent,
    )?;
    assert!(s.ce.is_finite() && s.consistency > 0.0, "{s:?}");
    let off = trustdd_trust::ProxyConfig {
        lambda_cr: 0.0,
        ..cfg.clone()
    };
    let s = train_round(
        &mut net,
        &off,
        &ds,
        &part,
        &Device::Cpu,
        &mut TrustRng::new(1),
        &Silent,
    )?;
    assert_eq!(s.consistency, 0.0);
    part.trusted.iter_mut().for_each(|t| *t = false);
    let err = train_round(
        &mut net,
        &cfg,
        &ds,
        &part,
        &Device::Cpu,
        &mut TrustRng::new(1),
        &Silent,
    );
    assert!(matches!(
        err,
        Err(trustdd_core::Error::NotEnough { available: 0, .. })
    ));
    Ok(())
}

/// With forward correction the warm-up round records an anchor estimate of the transition
/// matrix: a distribution per true class, with the one-way flip 0 → 1 of the data as its
/// largest off-diagonal entry; the corrected proxy still finds the flipped labels.
#[test]
fn forward_correction_estimates_the_flip_and_keeps_the_split_precise() -> Result<()> {
    let ds = patterns(60, 0.4, 3)?;
    let mut cfg = tiny_tad();
    cfg.proxy.forward_correction = Some(trustdd_trust::ForwardCorrection::default());
    let mut tad = Tad::new(cfg)?;
    observe_rounds(&mut tad, &ds, 2, 5)?;
    let d = tad.diagnostics();
    let t = d[0]
        .transition
        .as_ref()
        .expect("round 0 records the estimate");
    assert!(d[1].transition.is_none());
    assert_eq!((t.classes(), t.rows().len()), (3, 9));
    for row in t.rows().chunks(3) {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{t:?}");
    }
    let off: Vec<(usize, usize)> = (0..3)
        .flat_map(|i| (0..3).filter(move |&j| j != i).map(move |j| (i, j)))
        .collect();
    let largest = off
        .iter()
        .copied()
        .max_by(|a, b| t.get(a.0, a.1).total_cmp(&t.get(b.0, b.1)))
        .unwrap();
    assert_eq!(largest, (0, 1), "{t:?}");
    println!("estimated T: {:?}", t.rows());
    let clean = ds.clean_labels().unwrap();
    let part = tad.partition().unwrap();
    let flipped_trusted = (0..ds.len())
        .filter(|&i| part.trusted[i] && part.working_labels[i] != clean[i])
        .count();
    let precision = d[1].precision.unwrap();
    assert!(precision >= 0.95, "{flipped_trusted} wrong: {d:#?}");
    Ok(())
}
