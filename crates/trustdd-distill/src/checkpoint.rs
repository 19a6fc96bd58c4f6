//! Checkpoints: everything a run needs to continue bit-for-bit.

use crate::set_file::{json, label_kind, set_from_file, set_tensors};
use crate::tensor_file::{encode, read};
use crate::{DistillError, EvalPoint, Result};
use candle_core::{Device, Tensor};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use trustdd_core::{write_atomic, DistillObjective, SyntheticSet, TrustRng};

const FORMAT: &str = "trustdd checkpoint";
const FORMAT_TAG: &str = "trustdd-checkpoint";
const STATE_PREFIX: &str = "state.";
const LOSSES: &str = "run.losses";

/// Where checkpoints go and the configuration they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointSpec {
    /// The checkpoint file (overwritten atomically each time).
    pub path: PathBuf,
    /// [`config_hash`] of everything that determines the synthetic set (not the iteration count).
    pub config_hash: String,
}

/// A stable hash (FNV-1a 64 over the JSON rendering, hex) of a configuration.
///
/// # Errors
/// An invalid-parameter error if `config` cannot be rendered as JSON.
pub fn config_hash<T: Serialize>(config: &T) -> Result<String> {
    Ok(bytes_hash(json(config)?.as_bytes()))
}

/// FNV-1a 64 of `bytes`, as 16 hex digits (a fingerprint, not a cryptographic hash).
pub fn bytes_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The run's progress as stored in a checkpoint.
#[derive(Debug, Clone)]
pub(crate) struct RunState {
    pub iteration: usize,
    pub rng: TrustRng,
    pub losses: Vec<f64>,
    pub evaluations: Vec<EvalPoint>,
    /// The learning rate the objective last reported for evaluation (MTT's α).
    pub eval_lr: Option<f64>,
}

/// Writes a checkpoint atomically.
pub(crate) fn save(
    spec: &CheckpointSpec,
    syn: &SyntheticSet,
    objective: &dyn DistillObjective,
    run: &RunState,
) -> Result<()> {
    let mut tensors = set_tensors(syn)?;
    // A tensor, not JSON: serde_json's default float parsing is not exactly round-trip.
    let losses = Tensor::from_slice(&run.losses, run.losses.len(), &Device::Cpu)?;
    tensors.push((LOSSES.to_string(), losses));
    for (name, t) in objective.state() {
        tensors.push((format!("{STATE_PREFIX}{name}"), t));
    }
    let mut m = HashMap::new();
    m.insert("format".to_string(), FORMAT_TAG.to_string());
    m.insert("config_hash".into(), spec.config_hash.clone());
    m.insert("objective".into(), objective.name());
    m.insert("iteration".into(), run.iteration.to_string());
    m.insert("ipc".into(), syn.ipc.to_string());
    m.insert("num_classes".into(), syn.num_classes.to_string());
    m.insert("label_kind".into(), label_kind(syn).into());
    m.insert("rng".into(), json(&run.rng)?);
    m.insert("evaluations".into(), json(&run.evaluations)?);
    m.insert("eval_lr".into(), json(&run.eval_lr)?);
    write_atomic(&spec.path, &encode(&tensors, m)?)?;
    Ok(())
}

/// Loads the checkpoint at `spec.path` into `syn` and `objective`, after checking it belongs to
/// this configuration.
///
/// # Errors
/// [`DistillError::CheckpointMismatch`] for another configuration; format errors for missing or
/// unknown tensors and metadata.
pub(crate) fn load(
    spec: &CheckpointSpec,
    syn: &mut SyntheticSet,
    objective: &mut dyn DistillObjective,
    device: &Device,
) -> Result<RunState> {
    let path: &Path = &spec.path;
    let mut file = read(path, FORMAT, device)?;
    file.expect_format_tag(path, FORMAT, FORMAT_TAG)?;
    let found = file.meta(path, FORMAT, "config_hash")?;
    if found != spec.config_hash {
        return Err(DistillError::CheckpointMismatch {
            path: path.to_path_buf(),
            expected: spec.config_hash.clone(),
            found: found.to_string(),
        }
        .into());
    }
    let soft = file.meta(path, FORMAT, "label_kind")? == "soft";
    let run = RunState {
        iteration: file.meta_json(path, FORMAT, "iteration")?,
        rng: file.meta_json(path, FORMAT, "rng")?,
        losses: file.take(path, FORMAT, LOSSES)?.to_vec1::<f64>()?,
        evaluations: file.meta_json(path, FORMAT, "evaluations")?,
        eval_lr: file.meta_json(path, FORMAT, "eval_lr")?,
    };
    let loaded = set_from_file(&mut file, path, FORMAT, syn.ipc, syn.num_classes, soft)?;
    if loaded.images.dims() != syn.images.dims() {
        return Err(trustdd_core::Error::format(
            path,
            FORMAT,
            format!(
                "images {:?}, this run {:?}",
                loaded.images.dims(),
                syn.images.dims()
            ),
        ));
    }
    let state: HashMap<String, _> = std::mem::take(&mut file.tensors)
        .into_iter()
        .map(|(name, t)| match name.strip_prefix(STATE_PREFIX) {
            Some(short) => Ok((short.to_string(), t)),
            None => Err(trustdd_core::Error::format(
                path,
                FORMAT,
                format!("unknown tensor {name:?}"),
            )),
        })
        .collect::<Result<_>>()?;
    objective.load_state(&state)?;
    *syn = loaded;
    Ok(run)
}
