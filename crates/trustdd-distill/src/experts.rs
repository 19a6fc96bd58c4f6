//! MTT expert trajectories (ALGORITHMS.md §3.3): train networks on the real data, keep the flat
//! parameters after every epoch, save them as safetensors.

use crate::tensor_file::{encode, read};
use crate::{DistillError, Result};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;
use trustdd_core::{write_atomic, Progress, ProgressEvent, RealSampler, Silent, TrustRng};
use trustdd_nn::{ArchConfig, Network};
use trustdd_train::dsa::DsaConfig;
use trustdd_train::{train, Targets, TensorSource, TrainConfig};

const FORMAT: &str = "trustdd expert trajectories";

/// How experts are trained: SGD lr 0.01, no momentum, no weight decay, DSA on (MTT's buffer.py).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpertConfig {
    /// The network.
    pub arch: ArchConfig,
    /// Number of experts.
    pub experts: usize,
    /// Epochs per expert (the trajectory has `epochs + 1` points, the initialisation first).
    pub epochs: usize,
    /// Learning rate.
    pub lr: f64,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Per-sample DSA on training batches; `None` disables it.
    pub dsa: Option<DsaConfig>,
}

/// Flat parameter vectors: `experts[e][t]` after `t` epochs of expert `e`.
#[derive(Debug, Clone)]
pub struct Trajectories {
    /// One trajectory per expert, all of the same length.
    pub experts: Vec<Vec<Tensor>>,
}

impl Trajectories {
    /// Points per trajectory (epochs + 1).
    pub fn len(&self) -> usize {
        self.experts.first().map_or(0, Vec::len)
    }

    /// True when there is no expert.
    pub fn is_empty(&self) -> bool {
        self.experts.is_empty()
    }
}

/// Trains `config.experts` networks on every sample `real` offers (labelled by its class
/// grouping, so trusted samples and working labels when a partition is in use), in `dtype`.
/// Emits `("experts", done, experts·epochs, [loss])`.
///
/// # Errors
/// Invalid settings; training errors.
pub fn train_experts(
    config: &ExpertConfig,
    real: &dyn RealSampler,
    dtype: DType,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<Trajectories> {
    if config.experts == 0 || config.epochs == 0 {
        return Err(DistillError::invalid(
            "mtt experts / expert_epochs",
            format!("{} / {}", config.experts, config.epochs),
            "both at least 1",
        ));
    }
    let (mut ids, mut labels) = (Vec::new(), Vec::new());
    for c in 0..real.num_classes() {
        ids.extend_from_slice(real.class_members(c));
        labels.extend(std::iter::repeat_n(c as u32, real.class_members(c).len()));
    }
    let device = real.device();
    let images = real.images(&ids)?.to_dtype(dtype)?;
    let source = TensorSource::new(&images, Targets::hard(&labels, device)?)?;
    let epoch = TrainConfig {
        epochs: 1,
        batch_size: config.batch_size,
        lr: config.lr,
        momentum: 0.0,
        weight_decay: 0.0,
        lr_decay_epochs: Some(Vec::new()),
        lr_decay_factor: 1.0,
        augment: config.dsa.clone(),
    };
    let total = (config.experts * config.epochs) as u64;
    let mut experts = Vec::with_capacity(config.experts);
    for e in 0..config.experts {
        let mut net = Network::new(
            &config.arch,
            real.image_shape(),
            real.num_classes(),
            dtype,
            device,
            &mut rng.fork(),
        )?;
        let mut trajectory = vec![Network::flatten(&net.detached_params())?];
        for t in 0..config.epochs {
            let r = train(&mut net, &source, &epoch, rng, device, &Silent)?;
            trajectory.push(Network::flatten(&net.detached_params())?);
            progress.report(ProgressEvent {
                stage: "experts",
                done: (e * config.epochs + t + 1) as u64,
                total,
                metrics: &[("loss", r.final_loss)],
            });
        }
        experts.push(trajectory);
    }
    Ok(Trajectories { experts })
}

/// Writes trajectories atomically (tensors `expert{e}.epoch{t}`).
///
/// # Errors
/// I/O errors naming the file.
pub fn save_trajectories(path: &Path, t: &Trajectories) -> Result<()> {
    let mut tensors = Vec::new();
    for (e, traj) in t.experts.iter().enumerate() {
        for (k, p) in traj.iter().enumerate() {
            tensors.push((format!("expert{e}.epoch{k}"), p.clone()));
        }
    }
    let mut m = HashMap::new();
    m.insert("experts".to_string(), t.experts.len().to_string());
    m.insert("points".to_string(), t.len().to_string());
    write_atomic(path, &encode(&tensors, m)?)?;
    Ok(())
}

/// Reads trajectories written by [`save_trajectories`], strictly.
///
/// # Errors
/// I/O errors; format errors for missing or unknown tensors or metadata.
pub fn load_trajectories(path: &Path, device: &Device) -> Result<Trajectories> {
    let mut file = read(path, FORMAT, device)?;
    let n: usize = file.meta_json(path, FORMAT, "experts")?;
    let points: usize = file.meta_json(path, FORMAT, "points")?;
    let mut experts = Vec::with_capacity(n);
    for e in 0..n {
        let traj = (0..points)
            .map(|k| file.take(path, FORMAT, &format!("expert{e}.epoch{k}")))
            .collect::<Result<Vec<_>>>()?;
        experts.push(traj);
    }
    file.finish(path, FORMAT)?;
    Ok(Trajectories { experts })
}
