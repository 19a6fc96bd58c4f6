//! Test accuracy and the evaluation protocol of a distilled set (ALGORITHMS.md §2).

use crate::{train, DcAugmentConfig, Result, Targets, TensorSource, TrainConfig, TrainSource};
use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use trustdd_core::{ImageDataset, ImageShape, Progress, ProgressEvent, TrustRng};
use trustdd_nn::{ArchConfig, Network, NormKind};

/// Fraction of `test` images (observed labels) whose argmax logit is the label, in [0, 1].
///
/// Evaluation mode, no augmentation, batches of `batch_size`, with detached parameters so no
/// graph is kept.
///
/// # Errors
/// An invalid-parameter error for an empty test set or zero batch size; network errors.
pub fn accuracy(
    net: &Network,
    test: &ImageDataset,
    batch_size: usize,
    device: &Device,
) -> Result<f64> {
    if test.is_empty() || batch_size == 0 {
        return Err(trustdd_core::Error::invalid(
            "accuracy test set size / batch size",
            format!("{} / {batch_size}", test.len()),
            "both at least 1",
        ));
    }
    let params = net.detached_params();
    let ids: Vec<usize> = (0..test.len()).collect();
    let mut correct = 0;
    for chunk in ids.chunks(batch_size) {
        let logits = net.forward_with(&params, &test.batch(chunk, device)?, false)?;
        correct += Targets::Hard(test.label_batch(chunk, device)?).correct(&logits)?;
    }
    Ok(correct as f64 / test.len() as f64)
}

/// Mean and POPULATION standard deviation (ddof = 0, as `numpy.std`, which the reference code
/// reports). `(NaN, NaN)` for no values.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The evaluation protocol's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalConfig {
    /// Networks to train from scratch on the distilled set (default ConvNet-3).
    pub architectures: Vec<ArchConfig>,
    /// Independent runs (network seeds) per architecture (default 5).
    pub runs: usize,
    /// How each network is trained (default `TrainConfig::default()`: 1000 epochs, DSA on).
    pub train: TrainConfig,
    /// Batch size for computing test accuracy (default 256).
    pub test_batch_size: usize,
    /// DC's protocol for batch-norm ConvNets (`get_daparam`'s `ConvNetBN` case): when set, a
    /// ConvNet with batch norm trains with this augmentation in place of `train`'s (default
    /// `None`).
    pub batch_norm_augment: Option<DcAugmentConfig>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            architectures: vec![ArchConfig::default()],
            runs: 5,
            train: TrainConfig::default(),
            test_batch_size: 256,
            batch_norm_augment: None,
        }
    }
}

impl EvalConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error for no architecture, zero runs or test batch size, or a bad
    /// training config.
    pub fn validate(&self) -> Result<()> {
        if self.architectures.is_empty() {
            return Err(trustdd_core::Error::invalid(
                "eval architectures",
                "[]",
                "at least one",
            ));
        }
        if self.runs == 0 {
            return Err(trustdd_core::Error::invalid("eval runs", 0, "at least 1"));
        }
        if self.test_batch_size == 0 {
            return Err(trustdd_core::Error::invalid(
                "eval test_batch_size",
                0,
                "at least 1",
            ));
        }
        if let Some(dc) = &self.batch_norm_augment {
            dc.validate()?;
        }
        self.train.validate()
    }

    /// How `arch`'s networks train: `train`, or for a batch-norm ConvNet under
    /// `batch_norm_augment`, `train` with that augmentation and no DSA.
    pub fn train_for(&self, arch: &ArchConfig) -> TrainConfig {
        match (&self.batch_norm_augment, arch) {
            (Some(dc), ArchConfig::ConvNet(c)) if c.norm == NormKind::Batch => TrainConfig {
                augment: None,
                dc_augment: Some(dc.clone()),
                ..self.train.clone()
            },
            _ => self.train.clone(),
        }
    }
}

/// Test accuracies of one architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchEval {
    /// The architecture's name (from the network).
    pub name: String,
    /// Its configuration.
    pub config: ArchConfig,
    /// Final-epoch test accuracy of each run, in [0, 1].
    pub accuracies: Vec<f64>,
    /// Their mean.
    pub mean: f64,
    /// Their population standard deviation (ddof = 0).
    pub std: f64,
}

/// The outcome of [`evaluate_synthetic`], one entry per architecture in config order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Per-architecture results.
    pub architectures: Vec<ArchEval>,
}

/// Evaluation run `run`'s fresh network (f32, initialised from the first fork of the run's
/// stream) and the run's stream `TrustRng::for_item(seed, run)`, which then drives its training.
/// Every evaluation protocol builds its networks here, so equal seeds give equal networks.
///
/// # Errors
/// Network construction errors.
pub fn evaluation_network(
    arch: &ArchConfig,
    shape: ImageShape,
    classes: usize,
    seed: u64,
    run: usize,
    device: &Device,
) -> Result<(Network, TrustRng)> {
    let mut rng = TrustRng::for_item(seed, run as u64);
    let mut init_rng = rng.fork();
    let net = Network::new(arch, shape, classes, DType::F32, device, &mut init_rng)?;
    Ok((net, rng))
}

/// Trains `config.runs` fresh networks of each architecture on `images` (`N×C×H×W`, network-input
/// space) with `targets` on the reference's schedule ([`TrainConfig::reference_evaluation`]:
/// `epochs + 1` passes, the decay after pass `epochs/2 + 1`), and reports the FINAL-epoch
/// accuracy on `test` (no checkpoint is ever selected on the test set).
///
/// Run `r` draws everything (network init, batches, DSA) from `TrustRng::for_item(seed, r)`, so
/// the same run index gives every architecture the same stream. Emits
/// `("evaluate", runs done, total runs, [acc])` after each run, and each run's `"train"` events.
///
/// # Errors
/// Invalid config; a shape error when the images do not match the test set's image shape or
/// the targets' count; training and network errors.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_synthetic(
    images: &Tensor,
    targets: &Targets,
    test: &ImageDataset,
    config: &EvalConfig,
    seed: u64,
    device: &Device,
    progress: &dyn Progress,
) -> Result<EvalReport> {
    config.validate()?;
    let source = TensorSource::new(images, targets.clone())?;
    let shape = test.shape();
    if source.image_shape() != shape {
        return Err(trustdd_core::Error::shape(
            "distilled image shape vs test set",
            shape,
            source.image_shape(),
        ));
    }
    let total = (config.architectures.len() * config.runs) as u64;
    let mut done = 0;
    let mut report = EvalReport {
        architectures: Vec::new(),
    };
    for arch in &config.architectures {
        // The reference's schedule: E + 1 passes, the decay after pass E/2 + 1.
        let schedule = config.train_for(arch).reference_evaluation();
        let mut accuracies = Vec::with_capacity(config.runs);
        let mut name = String::new();
        for run in 0..config.runs {
            let (acc, arch_name) = train_and_test(
                &source,
                test,
                arch,
                &schedule,
                config.test_batch_size,
                (seed, run),
                device,
                progress,
            )?;
            name = arch_name;
            accuracies.push(acc);
            done += 1;
            progress.report(ProgressEvent {
                stage: "evaluate",
                done,
                total,
                metrics: &[("acc", acc)],
            });
        }
        let (mean, std) = mean_std(&accuracies);
        report.architectures.push(ArchEval {
            name,
            config: arch.clone(),
            accuracies,
            mean,
            std,
        });
    }
    Ok(report)
}

/// One network of the protocol: [`evaluation_network`]`(arch, …, seed, run)` trained on
/// `source` with `schedule` (taken as given), then its test accuracy and the architecture's
/// name. [`evaluate_synthetic`] runs this for every run; so does anything that must train its
/// networks exactly as the protocol does (DD-Ranking's random subsets, the full-data network).
///
/// # Errors
/// Training and network errors.
#[allow(clippy::too_many_arguments)]
pub fn train_and_test(
    source: &dyn TrainSource,
    test: &ImageDataset,
    arch: &ArchConfig,
    schedule: &TrainConfig,
    test_batch_size: usize,
    (seed, run): (u64, usize),
    device: &Device,
    progress: &dyn Progress,
) -> Result<(f64, String)> {
    let (mut net, mut rng) = evaluation_network(
        arch,
        source.image_shape(),
        test.num_classes(),
        seed,
        run,
        device,
    )?;
    train(&mut net, source, schedule, &mut rng, device, progress)?;
    Ok((
        accuracy(&net, test, test_batch_size, device)?,
        net.arch().name(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_population_std_by_hand() {
        // [0.5, 0.7, 0.9]: mean 0.7; squared deviations 0.04, 0, 0.04; /3 -> 0.02667;
        // sqrt = 0.1632993 (numpy.std([0.5, 0.7, 0.9]) gives the same, ddof = 0).
        let (m, s) = mean_std(&[0.5, 0.7, 0.9]);
        assert!((m - 0.7).abs() < 1e-12);
        assert!((s - (0.08f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((s - 0.163_299_316).abs() < 1e-8);
        let (m, s) = mean_std(&[0.25]);
        assert_eq!((m, s), (0.25, 0.0));
    }

    #[test]
    fn eval_config_validates() {
        assert!(EvalConfig::default().validate().is_ok());
        assert_eq!(EvalConfig::default().runs, 5);
        let c = EvalConfig {
            runs: 0,
            ..EvalConfig::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("runs"));
        let c = EvalConfig {
            architectures: vec![],
            ..EvalConfig::default()
        };
        assert!(c.validate().is_err());
    }
}
