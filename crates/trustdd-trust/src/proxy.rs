//! The proxy classifier of TAD's outer loop (ALGORITHMS.md §6): a warm-up on every sample with
//! its observed label, then, each round, epochs on the trusted set with working labels plus the
//! consistency term `λ_cr·mean_i ‖softmax f(A1 x_i) − softmax f(A2 x_i)‖²` between two DSA draws
//! of the same inputs, untrusted ones included (the term needs no label).
//!
//! The warm-up is [`trustdd_train::train`]; the rounds need the extra term, so their loop is
//! here. Reconstructed details: the cross-entropy uses the first augmentation's logits; each
//! trusted batch is joined by a proportional slice of the untrusted samples (one epoch visits
//! both sets once); each round starts a fresh SGD (momentum reset, as `train` does on its rate
//! decay), so the proxy's state between rounds is its weights and norm buffers alone.
//!
//! With `forward_correction` set, the warm-up is followed by [`train_forward_corrected`]: the
//! same loop on every sample, its cross-entropy taken through an estimated transition matrix
//! (`transition.rs`). With `round_mixup_alpha` > 0 each round's labelled rows are mixed
//! (`mixup.rs`) before augmentation.

use crate::error::Result;
use crate::mixup::Mixup;
use crate::transition::{ForwardCorrection, Transition};
use candle_core::{DType, Device, Tensor, D};
use serde::{Deserialize, Serialize};
use trustdd_core::{ImageDataset, Progress, ProgressEvent, TrustPartition, TrustRng};
use trustdd_nn::{ArchConfig, ConvNetConfig, Network};
use trustdd_train::dsa::{Dsa, DsaConfig};
use trustdd_train::{train, Sgd, SgdConfig, Targets, TrainConfig};

/// Proxy-classifier settings; `Default` fits the documented budget (8,000 digits on 2 cores).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    /// The network (default ConvNet-3, width 32).
    pub arch: ArchConfig,
    /// Warm-up epochs E_w on all samples with observed labels (default 3, chosen on a validation
    /// split: docs/algorithms.md §5).
    pub warmup_epochs: usize,
    /// Epochs on the trusted set per later round (default 1).
    pub epochs_per_round: usize,
    /// Mini-batch size (default 256).
    pub batch_size: usize,
    /// SGD learning rate (default 0.01).
    pub lr: f64,
    /// SGD momentum (default 0.9).
    pub momentum: f64,
    /// Weight decay (default 5e-4).
    pub weight_decay: f64,
    /// DSA on training batches, also the two views of the consistency term (default: the
    /// default strategy; use [`DsaConfig::digits`] for digits); `None` disables both.
    pub augment: Option<DsaConfig>,
    /// Weight λ_cr of the consistency term (default 1; 0 disables it).
    pub lambda_cr: f64,
    /// Include untrusted samples in the consistency term (default true).
    pub cr_untrusted: bool,
    /// After the warm-up, train through an estimated class-transition matrix (forward loss
    /// correction, [`ForwardCorrection`]), so the proxy's outputs estimate the clean posterior
    /// (default `None`: off).
    pub forward_correction: Option<ForwardCorrection>,
    /// Weight of DivideMix's confidence penalty in the warm-up, `mean_i Σ_k p_ik ln p_ik` (the
    /// negative entropy) added to the cross-entropy, so the warm-up proxy does not grow
    /// confident on the noisy labels of asymmetric noise (DivideMix adds it, weight 1, for
    /// asymmetric noise only). Default 0: off, and the warm-up is [`trustdd_train::train`].
    pub warmup_confidence_penalty: f64,
    /// Mixup (Zhang et al., ICLR 2018) on the rounds' labelled batches: each batch is mixed
    /// with a shuffled copy of itself, `λ·x + (1 − λ)·x_π` with targets `λ·y + (1 − λ)·y_π`,
    /// `λ ~ Beta(α, α)` once per batch, so the proxy cannot memorise the few wrong labels
    /// its trusted set still holds (the noisy-label remedy that DivideMix's MixMatch step and
    /// Arazo et al. 2019 build on). This is α; default 0: off.
    pub round_mixup_alpha: f64,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            arch: ArchConfig::ConvNet(ConvNetConfig {
                width: 32,
                ..ConvNetConfig::default()
            }),
            warmup_epochs: 3,
            epochs_per_round: 1,
            batch_size: 256,
            lr: 0.01,
            momentum: 0.9,
            weight_decay: 5e-4,
            augment: Some(DsaConfig::default()),
            lambda_cr: 1.0,
            cr_untrusted: true,
            forward_correction: None,
            warmup_confidence_penalty: 0.0,
            round_mixup_alpha: 0.0,
        }
    }
}

impl ProxyConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the field.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("warmup_epochs", self.warmup_epochs),
            ("epochs_per_round", self.epochs_per_round),
            ("batch_size", self.batch_size),
        ] {
            if v == 0 {
                return Err(trustdd_core::Error::invalid(name, 0, "at least 1"));
            }
        }
        self.sgd().validate()?;
        if !(self.warmup_confidence_penalty.is_finite() && self.warmup_confidence_penalty >= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "warmup_confidence_penalty",
                self.warmup_confidence_penalty,
                "a finite number >= 0",
            ));
        }
        if !(self.round_mixup_alpha.is_finite() && self.round_mixup_alpha >= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "round_mixup_alpha",
                self.round_mixup_alpha,
                "a finite number >= 0 (0: no mixup)",
            ));
        }
        if !(self.lambda_cr.is_finite() && self.lambda_cr >= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "lambda_cr",
                self.lambda_cr,
                "a finite number >= 0",
            ));
        }
        if self.lambda_cr > 0.0 && self.augment.is_none() {
            return Err(trustdd_core::Error::invalid(
                "lambda_cr",
                self.lambda_cr,
                "0 when augment is off (two identical views make the term vanish)",
            ));
        }
        if let Some(d) = &self.augment {
            d.validate()?;
        }
        if let Some(f) = &self.forward_correction {
            f.validate()?;
        }
        Ok(())
    }

    fn sgd(&self) -> SgdConfig {
        SgdConfig {
            lr: self.lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
        }
    }
}

/// Figures of one proxy training stage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProxyTrainStats {
    /// Mean cross-entropy over the last epoch's batches (with mixup, against the mixed targets).
    pub ce: f64,
    /// Mean consistency term over the last epoch's batches (0 when off or in the warm-up).
    pub consistency: f64,
}

/// Builds a proxy network (f32) for `dataset`.
///
/// # Errors
/// Network errors (the architecture does not fit the images).
pub fn new_proxy(
    config: &ProxyConfig,
    dataset: &ImageDataset,
    device: &Device,
    rng: &mut TrustRng,
) -> Result<Network> {
    Network::new(
        &config.arch,
        dataset.shape(),
        dataset.num_classes(),
        DType::F32,
        device,
        rng,
    )
}

/// The warm-up: `warmup_epochs` of [`trustdd_train::train`] on every sample, observed labels;
/// with `warmup_confidence_penalty` > 0, the same epochs of this module's loop with the penalty
/// added (no consistency term, as in the plain warm-up). Emits the training's progress.
///
/// # Errors
/// Training errors.
pub fn warm_up(
    net: &mut Network,
    config: &ProxyConfig,
    dataset: &ImageDataset,
    device: &Device,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<ProxyTrainStats> {
    if config.warmup_confidence_penalty > 0.0 {
        let stage = Stage {
            epochs: config.warmup_epochs,
            correction: None,
            consistency: false,
            confidence_penalty: config.warmup_confidence_penalty,
            mixup_alpha: 0.0,
        };
        return train_everything(net, config, dataset, stage, device, rng, progress);
    }
    let tc = TrainConfig {
        epochs: config.warmup_epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        momentum: config.momentum,
        weight_decay: config.weight_decay,
        lr_decay_epochs: Some(Vec::new()),
        lr_decay_factor: 1.0,
        augment: config.augment.clone(),
        dc_augment: None,
    };
    let r = train(net, dataset, &tc, rng, device, progress)?;
    Ok(ProxyTrainStats {
        ce: r.final_loss,
        consistency: 0.0,
    })
}

/// One round: `epochs_per_round` epochs on the trusted samples of `partition` with their working
/// labels, plus the consistency term. Emits `("proxy", epoch, epochs, [ce, cr])`.
///
/// # Errors
/// [`trustdd_core::Error::NotEnough`] when nothing is trusted; training errors.
pub fn train_round(
    net: &mut Network,
    config: &ProxyConfig,
    dataset: &ImageDataset,
    partition: &TrustPartition,
    device: &Device,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<ProxyTrainStats> {
    let stage = Stage {
        epochs: config.epochs_per_round,
        correction: None,
        consistency: true,
        confidence_penalty: 0.0,
        mixup_alpha: config.round_mixup_alpha,
    };
    train_epochs(
        net, config, dataset, partition, stage, device, rng, progress,
    )
}

/// The forward-corrected stage: `epochs` on every sample with its observed label, the
/// cross-entropy taken through `transition` ([`Transition::corrected_loss`]), plus the
/// consistency term. Emits `("proxy", epoch, epochs, [ce, cr])`.
///
/// # Errors
/// Training errors; a shape error when `transition` has another number of classes.
#[allow(clippy::too_many_arguments)]
pub fn train_forward_corrected(
    net: &mut Network,
    config: &ProxyConfig,
    dataset: &ImageDataset,
    transition: &Transition,
    epochs: usize,
    device: &Device,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<ProxyTrainStats> {
    if transition.classes() != dataset.num_classes() {
        return Err(trustdd_core::Error::shape(
            "transition matrix classes",
            dataset.num_classes(),
            transition.classes(),
        ));
    }
    let stage = Stage {
        epochs,
        correction: Some(transition),
        consistency: true,
        confidence_penalty: 0.0,
        mixup_alpha: 0.0,
    };
    train_everything(net, config, dataset, stage, device, rng, progress)
}

/// A stage on every sample with its observed label (the penalised warm-up, forward correction).
fn train_everything(
    net: &mut Network,
    config: &ProxyConfig,
    dataset: &ImageDataset,
    stage: Stage<'_>,
    device: &Device,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<ProxyTrainStats> {
    let everything = TrustPartition {
        trusted: vec![true; dataset.len()],
        working_labels: dataset.labels().to_vec(),
    };
    train_epochs(
        net,
        config,
        dataset,
        &everything,
        stage,
        device,
        rng,
        progress,
    )
}

/// How many epochs a proxy stage runs, through which transition matrix, if any, with or
/// without the consistency term, the confidence penalty's weight and mixup's α (0: none).
struct Stage<'a> {
    epochs: usize,
    correction: Option<&'a Transition>,
    consistency: bool,
    confidence_penalty: f64,
    mixup_alpha: f64,
}

#[allow(clippy::too_many_arguments)]
fn train_epochs(
    net: &mut Network,
    config: &ProxyConfig,
    dataset: &ImageDataset,
    partition: &TrustPartition,
    stage: Stage<'_>,
    device: &Device,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<ProxyTrainStats> {
    let trusted: Vec<usize> = (0..dataset.len())
        .filter(|&i| partition.trusted[i])
        .collect();
    let untrusted: Vec<usize> = (0..dataset.len())
        .filter(|&i| !partition.trusted[i])
        .collect();
    if trusted.is_empty() {
        return Err(trustdd_core::Error::NotEnough {
            what: "proxy training on the trusted set".into(),
            requested: 1,
            available: 0,
        });
    }
    let dsa = match &config.augment {
        Some(c) => Some(Dsa::new(c.clone(), dataset.shape())?),
        None => None,
    };
    let use_cr = stage.consistency && config.lambda_cr > 0.0 && dsa.is_some();
    let names = net
        .arch()
        .param_specs()
        .into_iter()
        .map(|s| s.name)
        .collect();
    let mut sgd = Sgd::new(net.vars().to_vec(), config.sgd())?.with_names(names)?;
    let batches = trusted.len().div_ceil(config.batch_size);
    let extra_per_batch = if use_cr && config.cr_untrusted {
        untrusted.len().div_ceil(batches)
    } else {
        0
    };
    let mut stats = ProxyTrainStats {
        ce: 0.0,
        consistency: 0.0,
    };
    let cross_entropy = |logits: &Tensor, labels: &[u32], targets: &Targets| match stage.correction
    {
        Some(t) => t.corrected_loss(logits, labels),
        None => targets.loss(logits),
    };
    for epoch in 0..stage.epochs {
        let mut t = trusted.clone();
        let mut u = untrusted.clone();
        rng.shuffle(&mut t);
        rng.shuffle(&mut u);
        let mut u_chunks = u.chunks(extra_per_batch.max(1));
        let (mut ce_sum, mut cr_sum) = (0.0, 0.0);
        for chunk in t.chunks(config.batch_size) {
            let labels: Vec<u32> = chunk.iter().map(|&i| partition.working_labels[i]).collect();
            let mut ids = chunk.to_vec();
            if extra_per_batch > 0 {
                ids.extend_from_slice(u_chunks.next().unwrap_or(&[]));
            }
            let mut x = dataset.batch(&ids, device)?;
            // Mixup replaces the labelled rows and their targets; the untrusted rows of the
            // consistency term stay as they are (the term needs no label).
            let targets = if stage.mixup_alpha > 0.0 {
                let mix = Mixup::draw(stage.mixup_alpha, chunk.len(), rng)?;
                let (mixed, targets) = mix.apply(
                    &x.narrow(0, 0, chunk.len())?,
                    &labels,
                    dataset.num_classes(),
                )?;
                let rest = x.narrow(0, chunk.len(), ids.len() - chunk.len())?;
                x = Tensor::cat(&[&mixed, &rest], 0)?;
                targets
            } else {
                Targets::hard(&labels, device)?
            };
            // The logits of the labelled samples (the chunk, first view) and the term between
            // two views of every sample in the batch.
            let (labelled, cr) = match &dsa {
                Some(dsa) if use_cr => {
                    let a1 = dsa.sample(ids.len(), rng).apply(&x)?;
                    let a2 = dsa.sample(ids.len(), rng).apply(&x)?;
                    let logits = net.forward(&Tensor::cat(&[&a1, &a2], 0)?, true)?;
                    let l1 = logits.narrow(0, 0, ids.len())?;
                    let l2 = logits.narrow(0, ids.len(), ids.len())?;
                    (l1.narrow(0, 0, chunk.len())?, Some(consistency(&l1, &l2)?))
                }
                Some(dsa) => {
                    let a = dsa.sample(ids.len(), rng).apply(&x)?;
                    (net.forward(&a, true)?.narrow(0, 0, chunk.len())?, None)
                }
                None => (net.forward(&x, true)?.narrow(0, 0, chunk.len())?, None),
            };
            let ce = cross_entropy(&labelled, &labels, &targets)?;
            let mut loss = match &cr {
                Some(cr) => (&ce + cr.affine(config.lambda_cr, 0.0)?)?,
                None => ce.clone(),
            };
            if stage.confidence_penalty > 0.0 {
                let penalty = negative_entropy(&labelled)?;
                loss = (loss + penalty.affine(stage.confidence_penalty, 0.0)?)?;
            }
            let missing = sgd.step(&loss.backward()?)?;
            if !missing.is_empty() {
                return Err(trustdd_core::Error::NoGradient {
                    context: format!("proxy round epoch {epoch}"),
                    what: format!("parameter(s) {missing:?}"),
                });
            }
            let w = chunk.len() as f64;
            ce_sum += ce.to_dtype(DType::F64)?.to_scalar::<f64>()? * w;
            if let Some(cr) = cr {
                cr_sum += cr.to_dtype(DType::F64)?.to_scalar::<f64>()? * w;
            }
        }
        stats = ProxyTrainStats {
            ce: ce_sum / trusted.len() as f64,
            consistency: cr_sum / trusted.len() as f64,
        };
        progress.report(ProgressEvent {
            stage: "proxy",
            done: epoch as u64 + 1,
            total: stage.epochs as u64,
            metrics: &[("ce", stats.ce), ("cr", stats.consistency)],
        });
    }
    Ok(stats)
}

/// The consistency term between two views' logits `N×classes`: the mean over samples of
/// `‖softmax(l1) − softmax(l2)‖²`.
///
/// `softmax`, not `softmax_last_dim`: the latter has no backward in candle 0.11.1, so the term
/// would be added to the loss and contribute no gradient (the defect issue 18 names).
fn consistency(l1: &Tensor, l2: &Tensor) -> candle_core::Result<Tensor> {
    let p1 = candle_nn::ops::softmax(l1, D::Minus1)?;
    let p2 = candle_nn::ops::softmax(l2, D::Minus1)?;
    (p1 - p2)?.sqr()?.sum(1)?.mean_all()
}

/// DivideMix's confidence penalty: `mean_i Σ_k p_ik ln p_ik` over logits `N×classes` (the
/// negative entropy, at most 0; adding it to the loss rewards less confident predictions).
fn negative_entropy(logits: &Tensor) -> candle_core::Result<Tensor> {
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    (log_p.exp()? * log_p)?.sum(1)?.mean_all()
}

#[cfg(test)]
mod tests {
    use super::{consistency, negative_entropy};
    use crate::grad_check::assert_gradient_matches_differences;
    use candle_core::{Device, Tensor};

    /// The term's gradient reaches the logits, and equals central differences (f64).
    #[test]
    fn consistency_gradient_matches_finite_differences() {
        let shape = (3, 4);
        let a: Vec<f64> = (0..12).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0).collect();
        let b: Vec<f64> = (0..12).map(|i| ((i * 5 % 13) as f64 - 6.0) / 4.0).collect();
        let l2 = Tensor::from_slice(&b, shape, &Device::Cpu).unwrap();
        assert_gradient_matches_differences(|l1| consistency(l1, &l2).unwrap(), &a, shape);
    }

    /// The penalty equals its closed form (uniform logits: −ln k; one-hot limits: 0) and its
    /// gradient equals central differences (f64).
    #[test]
    fn negative_entropy_has_the_closed_form_and_gradient() {
        let uniform = Tensor::zeros((2, 4), candle_core::DType::F64, &Device::Cpu).unwrap();
        let v = negative_entropy(&uniform)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        assert!((v + 4f64.ln()).abs() < 1e-12, "{v}");
        // p = (0.75, 0.25): 0.75 ln 0.75 + 0.25 ln 0.25.
        let two = Tensor::new(&[[3f64.ln(), 0.0]], &Device::Cpu).unwrap();
        let v = negative_entropy(&two).unwrap().to_scalar::<f64>().unwrap();
        let want = 0.75 * 0.75f64.ln() + 0.25 * 0.25f64.ln();
        assert!((v - want).abs() < 1e-12, "{v} vs {want}");
        let a: Vec<f64> = (0..12).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0).collect();
        assert_gradient_matches_differences(|l| negative_entropy(l).unwrap(), &a, (3, 4));
    }
}
