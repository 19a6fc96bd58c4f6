//! Trust-aware DM through the driver: checkpoint and resume are bit-exact; MTT experts on T.

mod common;

use anyhow::Result;
use candle_core::{DType, Device};
use common::{patterns, tiny_tad};
use std::sync::Arc;
use trustdd_core::{DatasetSampler, Silent, SyntheticSet, TrustAll, TrustRng};
use trustdd_distill::{
    CheckpointSpec, Dm, DmConfig, Driver, DriverConfig, ExpertConfig, Objective,
};
use trustdd_nn::{ArchConfig, ConvNetConfig};
use trustdd_trust::{train_trusted_experts, StatefulPartitioner, Tad, TrustAware};

fn arch() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 4,
        depth: 2,
        ..ConvNetConfig::default()
    })
}

fn wrapped(ds: &Arc<trustdd_core::ImageDataset>) -> Result<TrustAware<dyn Objective>> {
    let dm = DmConfig {
        arch: arch(),
        real_batch: 8,
        dsa: None,
        ..DmConfig::default()
    };
    let inner: Box<dyn Objective> = Box::new(Dm::new(dm)?);
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
    )?)
}

/// Runs `iterations` of DM+TAD; returns the synthetic images' bits and the losses.
fn run(iterations: usize, checkpoint: Option<CheckpointSpec>) -> Result<(Vec<u32>, Vec<f64>)> {
    let ds = Arc::new(patterns(12, 0.4, 1)?);
    let sampler = DatasetSampler::new(ds.clone(), Device::Cpu);
    let mut rng = TrustRng::new(2);
    let mut syn = SyntheticSet::from_real(&sampler, 1, &mut rng)?;
    let mut objective = wrapped(&ds)?;
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
    // come from the checkpoint), resumed to 5 (one more refit after the resume).
    let (full, full_losses) = run(5, None)?;
    let dir = tempfile::tempdir()?;
    let spec = CheckpointSpec {
        path: dir.path().join("ckpt.safetensors"),
        config_hash: "test".into(),
    };
    let (part, _) = run(3, Some(spec.clone()))?;
    assert_ne!(part, full);
    let (resumed, losses) = run(5, Some(spec))?;
    assert_eq!(
        resumed, full,
        "resumed run differs from the uninterrupted one"
    );
    assert_eq!(losses, full_losses);
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
    let t = train_trusted_experts(
        &config,
        &mut tad,
        ds.clone(),
        &Device::Cpu,
        2,
        4,
        DType::F32,
        &mut TrustRng::new(1),
        &Silent,
    )?;
    assert_eq!((t.experts.len(), t.len()), (2, 3));
    // Global epochs 0..4, refreshed every 2: rounds 0 and 1.
    assert_eq!(tad.diagnostics().len(), 2);
    // With the trust-everything partitioner the trajectories equal plain train_experts on all
    // data (same draws, same data).
    let mut all = TrustAll::default();
    let a = train_trusted_experts(
        &config,
        &mut all,
        ds.clone(),
        &Device::Cpu,
        1,
        4,
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
    // The CLI runs round 0 itself (to initialise the set from trusted images); the wrapper must
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
    let inner: Box<dyn Objective> = Box::new(Dm::new(dm)?);
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
    // Round 0 (primed) and the refit at iteration 2: two rounds, not three.
    let rounds = objective.partitioner().report();
    assert_eq!(rounds.as_array().map(Vec::len), Some(2), "{rounds}");
    Ok(())
}

/// 400 embedded MNIST digits (the first 400 of the training split) with asym:0.4 label noise:
/// hard enough that the partition has untrusted samples and recalls.
fn noisy_digits() -> Result<trustdd_core::ImageDataset> {
    let (train, _) = trustdd_data::embedded_mnist()?;
    let ids: Vec<usize> = (0..400).collect();
    let subset = train.subset(&ids)?;
    let model = trustdd_noise::NoiseConfig::parse("asym:0.4")?
        .with_dataset_name(subset.name())
        .build()?;
    Ok(trustdd_noise::apply_with_report(subset, model.as_ref(), 3)?.0)
}

/// A small proxy (ConvNet-2 of width 8) with a loss window of 3, so the history a round
/// averages over holds every earlier round and a wrongly restored one changes the next split.
fn digits_tad() -> trustdd_trust::TadConfig {
    let mut c = tiny_tad();
    c.proxy.warmup_epochs = 2;
    c.proxy.epochs_per_round = 1;
    c.proxy.batch_size = 64;
    c.loss_window = 3;
    c.min_trusted_per_class = 5;
    c
}

fn observe(tad: &mut Tad, ds: &trustdd_core::ImageDataset, round: usize) -> Result<()> {
    let ctx = trustdd_core::PartitionContext {
        dataset: ds,
        device: &Device::Cpu,
        round,
        progress: &Silent,
    };
    trustdd_core::TrustPartitioner::observe(tad, &ctx, &mut TrustRng::for_item(7, round as u64))?;
    Ok(())
}

/// A state tensor's dtype, shape and bytes.
type Raw = (String, Vec<usize>, Vec<u8>);

/// The state tensors by name, as raw bytes (dtype, shape and every bit), diagnostics excluded
/// (they hold wall-clock seconds; compared separately).
fn state_bytes(tad: &Tad) -> Result<std::collections::BTreeMap<String, Raw>> {
    let mut out = std::collections::BTreeMap::new();
    for (name, t) in tad.state()? {
        if name == "diagnostics" {
            continue;
        }
        // Every stored dtype (u8, u32, f32, f64) converts to f64 exactly, so the f64 bits
        // compare the values exactly.
        let bytes: Vec<u8> = t
            .flatten_all()?
            .to_dtype(DType::F64)?
            .to_vec1::<f64>()?
            .iter()
            .flat_map(|v| v.to_bits().to_le_bytes())
            .collect();
        out.insert(name, (format!("{:?}", t.dtype()), t.dims().to_vec(), bytes));
    }
    Ok(out)
}

/// Diagnostics with the wall-clock seconds zeroed, as JSON.
fn diagnostics(tad: &Tad) -> Result<serde_json::Value> {
    let rounds: Vec<_> = tad
        .diagnostics()
        .iter()
        .cloned()
        .map(|mut d| {
            d.seconds = 0.0;
            d
        })
        .collect();
    Ok(serde_json::to_value(rounds)?)
}

#[test]
fn tad_resumed_from_a_checkpoint_refits_to_the_same_state() -> Result<()> {
    use trustdd_core::TrustPartitioner as _;
    let ds = noisy_digits()?;
    let mut tad = Tad::new(digits_tad())?;
    for round in 0..2 {
        observe(&mut tad, &ds, round)?;
    }
    // Through a checkpoint file, as the driver does.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("tad.safetensors");
    let saved: std::collections::HashMap<String, candle_core::Tensor> =
        tad.state()?.into_iter().collect();
    candle_core::safetensors::save(&saved, &path)?;
    let loaded = candle_core::safetensors::load(&path, &Device::Cpu)?;
    let mut resumed = Tad::new(digits_tad())?;
    resumed.load_state(&loaded)?;
    // The refit after the resume: the restored proxy trains one more round on the restored
    // partition, its losses join the restored history, previous recalls are re-scored.
    observe(&mut tad, &ds, 2)?;
    observe(&mut resumed, &ds, 2)?;
    // The data makes every part of the state matter: samples are untrusted, recalls are kept
    // from earlier rounds and new ones made, and the history averages three rounds.
    let last = tad.diagnostics().last().unwrap();
    assert!(last.untrusted > 0 && last.recalled_new > 0, "{last:?}");
    assert!(last.recalled_total > last.recalled_new, "{last:?}");
    let state = state_bytes(&tad)?;
    assert_eq!(state["loss_history"].1, vec![3, ds.len()]);
    assert!(state.contains_key("proxy.param0") && state.contains_key("recalled"));
    // Partition (trusted flags, working labels), recalled flags, loss history, rounds and the
    // proxy's parameters and buffers: byte for byte.
    let resumed_state = state_bytes(&resumed)?;
    assert_eq!(
        resumed_state.keys().collect::<Vec<_>>(),
        state.keys().collect::<Vec<_>>()
    );
    let differing: Vec<&String> = state
        .iter()
        .filter(|(name, value)| resumed_state[*name] != **value)
        .map(|(name, _)| name)
        .collect();
    assert!(
        differing.is_empty(),
        "resumed TAD state differs from the uninterrupted one in {differing:?}"
    );
    assert_eq!(resumed.partition(), tad.partition());
    // Exactly: serde_json reads the checkpointed f64 values back bit for bit (float_roundtrip).
    assert_eq!(diagnostics(&resumed)?, diagnostics(&tad)?, "diagnostics");
    Ok(())
}
