//! TAD's own checkpoint state: a partitioner restored from it refits exactly as one that never
//! stopped.

use crate::common;

use anyhow::Result;
use candle_core::DType;
use candle_core::Device;
use common::tiny_tad;
use trustdd_core::{Silent, TrustPartitioner, TrustRng};
use trustdd_trust::Tad;

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
    resume_matches(digits_tad())
}

/// Co-divide's second proxy, its loss history and both splits are part of the state: the two
/// proxies train on each other's restored split after the resume.
#[test]
fn co_divide_resumed_from_a_checkpoint_refits_to_the_same_state() -> Result<()> {
    resume_matches(trustdd_trust::TadConfig {
        co_divide: true,
        ..digits_tad()
    })
}

/// Two rounds, a checkpoint file, then round 2 both in the uninterrupted partitioner and in one
/// restored from the file: every state tensor and the diagnostics must be equal.
fn resume_matches(config: trustdd_trust::TadConfig) -> Result<()> {
    use trustdd_core::TrustPartitioner as _;
    let ds = noisy_digits()?;
    let mut tad = Tad::new(config.clone())?;
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
    let mut resumed = Tad::new(config.clone())?;
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
    let peer_keys = [
        "peer.param0",
        "peer.loss_history",
        "peer.main_split",
        "peer.peer_split",
    ];
    for key in peer_keys {
        assert_eq!(state.contains_key(key), config.co_divide, "{key}");
    }
    if config.co_divide {
        assert_eq!(state["peer.loss_history"].1, vec![3, ds.len()]);
        assert_ne!(
            state["peer.param0"], state["proxy.param0"],
            "one proxy twice"
        );
    }
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
