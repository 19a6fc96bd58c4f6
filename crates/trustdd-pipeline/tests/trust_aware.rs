//! Trust-aware DM through the driver: checkpoint and resume are bit-exact (hard and soft
//! diversion); what a soft diversion's sampler holds; MTT experts on T.

// The trust crate's test fixtures (tiny pattern datasets, a small TAD), shared rather than copied.
#[path = "../../trustdd-trust/tests/common/mod.rs"]
mod common;

use anyhow::Result;
use candle_core::{DType, Device};
use common::{patterns, tiny_tad};
use std::sync::Arc;
use trustdd_core::{
    DatasetSampler, DistillObjective, Silent, SyntheticSet, TrustAll, TrustPartitioner, TrustRng,
};
use trustdd_distill::{CheckpointSpec, Dm, DmConfig, Driver, DriverConfig, ExpertConfig};
use trustdd_nn::{ArchConfig, ConvNetConfig};
use trustdd_pipeline::{
    diverted_sampler, train_trusted_experts, Diversion, RoundSeeds, TrustAware,
};
use trustdd_trust::Tad;

/// One warm-up round, the refits from the same seed.
fn seeds(seed: u64) -> RoundSeeds {
    RoundSeeds {
        warmup_seed: seed,
        refit_seed: seed,
        warmup_rounds: 1,
    }
}

fn arch() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 4,
        depth: 2,
        ..ConvNetConfig::default()
    })
}

fn wrapped(ds: &Arc<trustdd_core::ImageDataset>, diversion: Diversion) -> Result<TrustAware> {
    let dm = DmConfig {
        arch: arch(),
        real_batch: 8,
        dsa: None,
        ..DmConfig::default()
    };
    let inner: Box<dyn DistillObjective> = Box::new(Dm::new(dm)?);
    let mut tad = tiny_tad();
    tad.proxy.warmup_epochs = 1;
    tad.proxy.epochs_per_round = 1;
    Ok(TrustAware::new(
        inner,
        Box::new(Tad::new(tad)?),
        ds.clone(),
        Device::Cpu,
        2,
        9,
    )?
    .with_diversion(diversion))
}

/// Runs `iterations` of DM+TAD; returns the synthetic images' bits and the losses.
fn run(
    iterations: usize,
    checkpoint: Option<CheckpointSpec>,
    diversion: Diversion,
) -> Result<(Vec<u32>, Vec<f64>)> {
    let ds = Arc::new(patterns(12, 0.4, 1)?);
    let sampler = DatasetSampler::new(ds.clone(), Device::Cpu);
    let mut rng = TrustRng::new(2);
    let mut syn = SyntheticSet::from_real(&sampler, 1, &mut rng)?;
    let mut objective = wrapped(&ds, diversion)?;
    let config = DriverConfig {
        iterations,
        final_eval: false,
        checkpoint_every: 1,
        ..DriverConfig::default()
    };
    let report = Driver::new(config, checkpoint)?.run(
        &mut objective,
        &mut syn,
        &sampler,
        None,
        &mut rng,
        &Silent,
    )?;
    assert_eq!(report.objective, "dm+tad");
    let bits = syn
        .images
        .as_tensor()
        .flatten_all()?
        .to_vec1::<f32>()?
        .iter()
        .map(|v| v.to_bits())
        .collect();
    Ok((bits, report.losses))
}

#[test]
fn dm_with_tad_resumes_bit_for_bit() -> Result<()> {
    // Refits at iterations 0, 2, 4; interrupted after 3 (mid-interval: the partition and proxy
    // come from the checkpoint), resumed to 5 (one more refit after the resume). Soft diversion
    // rebuilds its weights from the partitioner's checkpointed state.
    let mut finals = Vec::new();
    for diversion in [Diversion::Hard, Diversion::Soft] {
        let (full, full_losses) = run(5, None, diversion)?;
        let dir = tempfile::tempdir()?;
        let spec = CheckpointSpec {
            path: dir.path().join("ckpt.safetensors"),
            config_hash: "test".into(),
        };
        let (part, _) = run(3, Some(spec.clone()), diversion)?;
        assert_ne!(part, full);
        let (resumed, losses) = run(5, Some(spec), diversion)?;
        assert_eq!(
            resumed, full,
            "{diversion:?}: resumed run differs from the uninterrupted one"
        );
        assert_eq!(losses, full_losses);
        finals.push(full);
    }
    assert_ne!(finals[0], finals[1], "soft diversion changed nothing");
    Ok(())
}

#[test]
fn soft_diversion_adds_the_untrusted_samples_at_their_clean_weight() -> Result<()> {
    let ds = Arc::new(patterns(20, 0.4, 1)?);
    let mut tad = Tad::new(tiny_tad())?;
    let ctx = trustdd_core::PartitionContext {
        dataset: &ds,
        device: &Device::Cpu,
        round: 0,
        progress: &Silent,
    };
    tad.observe(&ctx, &mut TrustRng::new(5))?;
    let partition = tad.partition().unwrap().clone();
    let weights = tad.clean_weights(&ds)?.unwrap();
    let hard = diverted_sampler(Diversion::Hard, &tad, ds.clone(), Device::Cpu)?;
    let soft = diverted_sampler(Diversion::Soft, &tad, ds.clone(), Device::Cpu)?;
    let mut added = 0;
    for c in 0..ds.num_classes() {
        let (h, s) = (hard.class_members(c), soft.class_members(c));
        // The hard members first, then the untrusted samples observed as c with weight > 0.
        assert_eq!(&s[..h.len()], h);
        let expected: Vec<usize> = (0..ds.len())
            .filter(|&i| !partition.trusted[i] && ds.labels()[i] as usize == c && weights[i] > 0.0)
            .collect();
        assert_eq!(&s[h.len()..], expected.as_slice());
        added += expected.len();
    }
    assert!(
        added > 0,
        "nothing untrusted to add: the test shows nothing"
    );
    Ok(())
}

#[test]
fn trusted_experts_follow_the_partition() -> Result<()> {
    let ds = Arc::new(patterns(12, 0.4, 1)?);
    let config = ExpertConfig {
        arch: arch(),
        experts: 2,
        epochs: 2,
        lr: 0.01,
        batch_size: 8,
        dsa: None,
    };
    let mut tad = Tad::new(tiny_tad())?;
    let (t, rounds) = train_trusted_experts(
        &config,
        &mut tad,
        ds.clone(),
        &Device::Cpu,
        2,
        &seeds(4),
        DType::F32,
        &mut TrustRng::new(1),
        &Silent,
    )?;
    assert_eq!((t.experts.len(), t.len()), (2, 3));
    // Global epochs 0..4, refreshed every 2: rounds 0 and 1, reported for any partitioner.
    assert_eq!(tad.diagnostics().len(), 2);
    assert_eq!(rounds.iter().map(|r| r.round).collect::<Vec<_>>(), [0, 1]);
    assert!(rounds
        .iter()
        .all(|r| r.precision.is_some() && !r.figures.is_empty()));
    // With the trust-everything partitioner the trajectories equal plain train_experts on all
    // data (same draws, same data).
    let mut all = TrustAll::default();
    let (a, _) = train_trusted_experts(
        &config,
        &mut all,
        ds.clone(),
        &Device::Cpu,
        1,
        &seeds(4),
        DType::F32,
        &mut TrustRng::new(1),
        &Silent,
    )?;
    let sampler = DatasetSampler::new(ds, Device::Cpu);
    let b = trustdd_distill::train_experts(
        &config,
        &sampler,
        DType::F32,
        &mut TrustRng::new(1),
        &Silent,
    )?;
    assert_eq!(
        a.experts[1][2].to_vec1::<f32>()?,
        b.experts[1][2].to_vec1::<f32>()?
    );
    assert!(all.state()?.len() == 2);
    Ok(())
}

#[test]
fn a_primed_partitioner_is_not_refitted_at_iteration_zero() -> Result<()> {
    // The pipeline runs round 0 itself (to initialise the set from trusted images); the wrapper must
    // then refit only at the next multiple of refresh_every (2), not again at iteration 0.
    let ds = Arc::new(patterns(12, 0.4, 1)?);
    let mut tad = tiny_tad();
    tad.proxy.warmup_epochs = 1;
    let mut primed = Tad::new(tad)?;
    let ctx = trustdd_core::PartitionContext {
        dataset: &ds,
        device: &Device::Cpu,
        round: 0,
        progress: &Silent,
    };
    trustdd_core::TrustPartitioner::observe(&mut primed, &ctx, &mut TrustRng::new(5))?;
    let dm = DmConfig {
        arch: arch(),
        real_batch: 8,
        dsa: None,
        ..DmConfig::default()
    };
    let inner: Box<dyn DistillObjective> = Box::new(Dm::new(dm)?);
    let mut objective = TrustAware::new(inner, Box::new(primed), ds.clone(), Device::Cpu, 2, 9)?;
    let sampler = DatasetSampler::new(ds, Device::Cpu);
    let mut rng = TrustRng::new(2);
    let mut syn = SyntheticSet::from_real(&sampler, 1, &mut rng)?;
    let config = DriverConfig {
        iterations: 3,
        final_eval: false,
        ..DriverConfig::default()
    };
    Driver::new(config, None)?.run(&mut objective, &mut syn, &sampler, None, &mut rng, &Silent)?;
    // Round 0 (primed) and the refit at iteration 2: two rounds, not three; the wrapper reports
    // the one it ran.
    assert_eq!(objective.partitioner().name(), "tad");
    let rounds: Vec<usize> = objective.rounds().iter().map(|r| r.round).collect();
    assert_eq!(rounds, [1]);
    Ok(())
}
