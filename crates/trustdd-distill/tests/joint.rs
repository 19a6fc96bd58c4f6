//! A companion set is distilled on the SAME network as the first set: with a companion that is
//! an exact copy (same images, same real data, same targets, no augmentation, every real image
//! of a class in each batch so only the summation order of the draws differs), one step moves
//! both sets identically to float rounding; a different network would move them far apart.

use crate::common;

use anyhow::Result;
use common::{tiny_arch, tiny_sampler};
use std::sync::Arc;
use trustdd_core::{DistillContext, Silent, SyntheticSet, TrustRng};
use trustdd_distill::{
    Companion, Dm, DmConfig, GradientMatching, GradientMatchingConfig, MatchTargets, MomentumSgd,
};

fn pixels(set: &SyntheticSet) -> Vec<f32> {
    set.images
        .as_tensor()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

/// The first set and its exact companion, with the lr and momentum of `(lr, m)`.
fn pair(lr: f64, m: f64) -> Result<(Arc<trustdd_core::DatasetSampler>, SyntheticSet, Companion)> {
    let real = Arc::new(tiny_sampler(2, 4, 5)?);
    let syn = SyntheticSet::from_real(real.as_ref(), 1, &mut TrustRng::new(1))?;
    let mut copy = syn.clone();
    copy.images = candle_core::Var::from_tensor(&syn.images.as_tensor().copy()?)?;
    let companion = Companion {
        set: copy,
        real: real.clone(),
        targets: MatchTargets::ClassLabels,
        optimizer: MomentumSgd::new(lr, m),
        weight: 0.5,
    };
    Ok((real, syn, companion))
}

#[test]
fn dm_moves_an_identical_companion_identically() -> Result<()> {
    let (real, mut syn, mut companion) = pair(1.0, 0.5)?;
    let before = pixels(&syn);
    let mut dm = Dm::new(DmConfig {
        arch: tiny_arch(),
        real_batch: 4,
        dsa: None,
        ..DmConfig::default()
    })?;
    let ctx = DistillContext {
        real: real.as_ref(),
        iteration: 0,
        progress: &Silent,
    };
    let (report, loss) =
        dm.step_joint(&mut syn, Some(&mut companion), &ctx, &mut TrustRng::new(2))?;
    assert_ne!(pixels(&syn), before, "the first set moved");
    assert!(max_diff(&pixels(&companion.set), &pixels(&syn)) < 1e-5);
    assert!((loss.unwrap() - report.loss).abs() < 1e-6 * report.loss.abs().max(1.0));
    Ok(())
}

#[test]
fn gradient_matching_moves_an_identical_companion_identically() -> Result<()> {
    let (real, mut syn, mut companion) = pair(0.1, 0.5)?;
    let before = pixels(&syn);
    let mut gm = GradientMatching::new(GradientMatchingConfig {
        arch: tiny_arch(),
        real_batch: 4,
        outer_loop: Some(1),
        inner_loop: Some(1),
        ..GradientMatchingConfig::default()
    })?;
    let ctx = DistillContext {
        real: real.as_ref(),
        iteration: 0,
        progress: &Silent,
    };
    let (report, loss) =
        gm.step_joint(&mut syn, Some(&mut companion), &ctx, &mut TrustRng::new(2))?;
    assert_ne!(pixels(&syn), before, "the first set moved");
    assert!(max_diff(&pixels(&companion.set), &pixels(&syn)) < 1e-5);
    assert!((loss.unwrap() - report.loss).abs() < 1e-6 * report.loss.abs().max(1.0));
    // Uniform targets on a network of another output count are refused.
    companion.targets = MatchTargets::Uniform { outputs: 3 };
    assert!(gm
        .step_joint(&mut syn, Some(&mut companion), &ctx, &mut TrustRng::new(2))
        .is_err());
    Ok(())
}
