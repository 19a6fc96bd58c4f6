//! MTT expert trajectories (ALGORITHMS.md §3.3): train networks on the real data, keep the flat
//! parameters after every epoch, save them as safetensors.

use crate::tensor_file::{encode, read};
use crate::Result;
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use trustdd_core::{
    write_atomic, ImageShape, Progress, ProgressEvent, RealSampler, Silent, TrustRng,
};
use trustdd_nn::{ArchConfig, Network};
use trustdd_train::dsa::DsaConfig;
use trustdd_train::{train, Targets, TensorSource, TrainConfig};

const FORMAT: &str = "trustdd expert trajectories";

/// How experts are trained: SGD lr 0.01, no momentum, no weight decay, DSA on (MTT's buffer.py).
/// `Default`: ConvNet-3 width 128, 2 experts of 5 epochs, batch 256, DSA.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
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

impl Default for ExpertConfig {
    fn default() -> Self {
        Self {
            arch: ArchConfig::default(),
            experts: 2,
            epochs: 5,
            lr: 0.01,
            batch_size: 256,
            dsa: Some(DsaConfig::default()),
        }
    }
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
    check_counts(config)?;
    let mut data = Some(ExpertData::from_sampler(real, dtype)?);
    run_experts(config, dtype, rng, progress, &mut |_, _| Ok(data.take()))
}

/// As [`train_experts`], but the real data may change during training: `sampler_for(expert,
/// epoch)` is called before every epoch (0-based) and its sampler trains that epoch. Returning
/// the same `Arc` as the previous call reuses the batch already materialised; a new one (for
/// example a refreshed trust partition) is materialised again. With a sampler that never changes
/// this is exactly [`train_experts`] (same random draws, same trajectories).
///
/// Every sampler must have the image shape, class count and device of the first one.
///
/// # Errors
/// Invalid settings; errors of `sampler_for`; training errors.
pub fn train_experts_with(
    config: &ExpertConfig,
    dtype: DType,
    rng: &mut TrustRng,
    progress: &dyn Progress,
    sampler_for: &mut dyn FnMut(usize, usize) -> Result<Arc<dyn RealSampler>>,
) -> Result<Trajectories> {
    check_counts(config)?;
    let mut last: Option<Arc<dyn RealSampler>> = None;
    run_experts(config, dtype, rng, progress, &mut |e, t| {
        let sampler = sampler_for(e, t)?;
        if last.as_ref().is_some_and(|l| Arc::ptr_eq(l, &sampler)) {
            return Ok(None);
        }
        let data = ExpertData::from_sampler(sampler.as_ref(), dtype)?;
        last = Some(sampler);
        Ok(Some(data))
    })
}

fn check_counts(config: &ExpertConfig) -> Result<()> {
    if config.experts == 0 || config.epochs == 0 {
        return Err(trustdd_core::Error::invalid(
            "mtt experts / expert_epochs",
            format!("{} / {}", config.experts, config.epochs),
            "both at least 1",
        ));
    }
    Ok(())
}

/// One sampler's examples, materialised for training.
struct ExpertData {
    source: TensorSource,
    shape: ImageShape,
    classes: usize,
    device: Device,
}

impl ExpertData {
    fn from_sampler(real: &dyn RealSampler, dtype: DType) -> Result<Self> {
        let (mut ids, mut labels) = (Vec::new(), Vec::new());
        for c in 0..real.num_classes() {
            ids.extend_from_slice(real.class_members(c));
            labels.extend(std::iter::repeat_n(c as u32, real.class_members(c).len()));
        }
        let device = real.device().clone();
        let images = real.images(&ids)?.to_dtype(dtype)?;
        let source = TensorSource::new(&images, Targets::hard(&labels, &device)?)?;
        Ok(Self {
            source,
            shape: real.image_shape(),
            classes: real.num_classes(),
            device,
        })
    }
}

/// The expert loop; `next(expert, epoch)` gives new data for that epoch or `None` to keep the
/// current data (it must give data on its first call).
fn run_experts(
    config: &ExpertConfig,
    dtype: DType,
    rng: &mut TrustRng,
    progress: &dyn Progress,
    next: &mut dyn FnMut(usize, usize) -> Result<Option<ExpertData>>,
) -> Result<Trajectories> {
    let epoch = TrainConfig {
        epochs: 1,
        batch_size: config.batch_size,
        lr: config.lr,
        momentum: 0.0,
        weight_decay: 0.0,
        lr_decay_epochs: Some(Vec::new()),
        lr_decay_factor: 1.0,
        augment: config.dsa.clone(),
        dc_augment: None,
    };
    let total = (config.experts * config.epochs) as u64;
    let mut experts = Vec::with_capacity(config.experts);
    let mut data: Option<ExpertData> = None;
    for e in 0..config.experts {
        if let Some(d) = next(e, 0)? {
            data = Some(d);
        }
        let Some(first) = data.as_ref() else {
            return Err(trustdd_core::Error::invalid(
                "expert training data",
                "none",
                "a sampler before the first epoch",
            ));
        };
        let mut net = Network::new(
            &config.arch,
            first.shape,
            first.classes,
            dtype,
            &first.device,
            &mut rng.fork(),
        )?;
        let mut trajectory = vec![Network::flatten(&net.detached_params())?];
        for t in 0..config.epochs {
            if t > 0 {
                if let Some(d) = next(e, t)? {
                    data = Some(d);
                }
            }
            let d = data.as_ref().ok_or_else(|| {
                trustdd_core::Error::invalid("expert training data", "none", "a sampler")
            })?;
            let r = train(&mut net, &d.source, &epoch, rng, &d.device, &Silent)?;
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
            .map(|k| file.take_finite(path, FORMAT, &format!("expert{e}.epoch{k}")))
            .collect::<Result<Vec<_>>>()?;
        experts.push(traj);
    }
    file.finish(path, FORMAT)?;
    Ok(Trajectories { experts })
}
