//! The training loop: shuffled mini-batches, optional DSA, SGD with step decay.

use crate::dsa::{Dsa, DsaConfig};
use crate::DcAugmentConfig;
use crate::{Result, Sgd, SgdConfig, TrainSource};
use candle_core::Device;
use serde::{Deserialize, Serialize};
use trustdd_core::{Progress, ProgressEvent, TrustRng};
use trustdd_nn::Network;

/// Training settings. `Default` is the evaluation protocol of ALGORITHMS.md §2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Passes over the data (default 1000).
    pub epochs: usize,
    /// Mini-batch size (default 256; the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Initial learning rate (default 0.01).
    pub lr: f64,
    /// SGD momentum (default 0.9).
    pub momentum: f64,
    /// Weight decay (default 5e-4).
    pub weight_decay: f64,
    /// Epochs (0-based) before which the rate is multiplied by `lr_decay_factor` and the
    /// optimiser re-created. `None` means `[epochs / 2]` (nothing when `epochs < 2`).
    pub lr_decay_epochs: Option<Vec<usize>>,
    /// Factor applied at each decay (default 0.1).
    pub lr_decay_factor: f64,
    /// Per-sample DSA on every training batch (default: the default strategy); `None` disables it.
    pub augment: Option<DsaConfig>,
    /// DC's augmentation on every training batch instead (default `None`; DC's protocol for
    /// MNIST and batch-norm ConvNets). At most one of `augment` and `dc_augment` is set.
    pub dc_augment: Option<DcAugmentConfig>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 1000,
            batch_size: 256,
            lr: 0.01,
            momentum: 0.9,
            weight_decay: 5e-4,
            lr_decay_epochs: None,
            lr_decay_factor: 0.1,
            augment: Some(DsaConfig::default()),
            dc_augment: None,
        }
    }
}

impl TrainConfig {
    /// The schedule the reference's `evaluate_synset` runs for `epochs = E`: `E + 1` passes
    /// (`range(Epoch + 1)`), the rate decayed after pass `E/2 + 1` (`lr_schedule = [Epoch//2+1]`),
    /// i.e. before pass `E/2 + 2`. An explicit `lr_decay_epochs` is kept as given.
    pub fn reference_evaluation(&self) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs + 1,
            // For E ≤ 2 the reference's decay falls after the last pass: none.
            lr_decay_epochs: Some(self.lr_decay_epochs.clone().unwrap_or_else(|| {
                let at = self.epochs / 2 + 2;
                if at <= self.epochs {
                    vec![at]
                } else {
                    Vec::new()
                }
            })),
            ..self.clone()
        }
    }

    /// The decay epochs in effect (resolving the `None` default).
    pub fn decay_epochs(&self) -> Vec<usize> {
        match &self.lr_decay_epochs {
            Some(list) => list.clone(),
            None if self.epochs >= 2 => vec![self.epochs / 2],
            None => Vec::new(),
        }
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field: zero epochs or batch size, a
    /// non-positive rate, momentum outside [0, 1), negative decay, a decay epoch outside
    /// `1..epochs`, a decay factor outside (0, 1], or an invalid DSA config.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(trustdd_core::Error::invalid("epochs", 0, "at least 1"));
        }
        if self.batch_size == 0 {
            return Err(trustdd_core::Error::invalid("batch_size", 0, "at least 1"));
        }
        self.sgd(self.lr).validate()?;
        if let Some(&e) = self
            .decay_epochs()
            .iter()
            .find(|&&e| e == 0 || e >= self.epochs)
        {
            return Err(trustdd_core::Error::invalid(
                "lr_decay_epochs",
                e,
                format!(
                    "epochs in 1..{} (before which the rate decays)",
                    self.epochs
                ),
            ));
        }
        if !(self.lr_decay_factor > 0.0 && self.lr_decay_factor <= 1.0) {
            return Err(trustdd_core::Error::invalid(
                "lr_decay_factor",
                self.lr_decay_factor,
                "a number in (0, 1]",
            ));
        }
        if let Some(dsa) = &self.augment {
            dsa.validate()?;
        }
        if let Some(dc) = &self.dc_augment {
            if self.augment.is_some() {
                return Err(trustdd_core::Error::invalid(
                    "dc_augment",
                    "set with augment",
                    "one augmentation: DSA (augment) or DC's (dc_augment), as the references",
                ));
            }
            dc.validate()?;
        }
        Ok(())
    }

    fn sgd(&self, lr: f64) -> SgdConfig {
        SgdConfig {
            lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
        }
    }
}

/// What a training run ended with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Epochs run.
    pub epochs: usize,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Mean loss over the last epoch's (augmented) batches.
    pub final_loss: f64,
    /// Accuracy on the last epoch's (augmented) training batches, in [0, 1].
    pub final_train_accuracy: f64,
    /// Learning rate of the last epoch.
    pub final_lr: f64,
}

/// Trains `net` in place on `source` with SGD (PyTorch semantics), shuffled mini-batches drawn
/// from `rng` every epoch, per-sample DSA when `config.augment` is set, and step decay that
/// RE-CREATES the optimiser (momentum reset), as the reference code does.
///
/// Reports `("train", epoch, epochs, [loss, acc])` to `progress` after every epoch.
///
/// # Errors
/// Invalid configuration or an empty source; [`trustdd_core::Error::NoGradient`] when a parameter got
/// no gradient; any tensor or network error.
pub fn train(
    net: &mut Network,
    source: &dyn TrainSource,
    config: &TrainConfig,
    rng: &mut TrustRng,
    device: &Device,
    progress: &dyn Progress,
) -> Result<TrainReport> {
    config.validate()?;
    if source.is_empty() {
        return Err(trustdd_core::Error::invalid(
            "training source size",
            0,
            "at least 1 example",
        ));
    }
    let dsa = match &config.augment {
        Some(c) => Some(Dsa::new(c.clone(), source.image_shape())?),
        None => None,
    };
    let names: Vec<String> = net
        .arch()
        .param_specs()
        .into_iter()
        .map(|s| s.name)
        .collect();
    let vars = net.vars().to_vec();
    // Re-creating (not just re-rating) the optimiser resets momentum, as the reference code.
    let new_sgd = |lr: f64| -> Result<Sgd> {
        Sgd::new(vars.clone(), config.sgd(lr))?.with_names(names.clone())
    };
    let decay = config.decay_epochs();
    let mut lr = config.lr;
    let mut sgd = new_sgd(lr)?;
    let mut report = TrainReport {
        epochs: config.epochs,
        steps: 0,
        final_loss: f64::NAN,
        final_train_accuracy: f64::NAN,
        final_lr: lr,
    };
    for epoch in 0..config.epochs {
        for _ in decay.iter().filter(|&&e| e == epoch) {
            lr *= config.lr_decay_factor;
            sgd = new_sgd(lr)?;
        }
        let batches = source.epoch_batches(config.batch_size, rng);
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
        for chunk in &batches {
            let (mut x, targets) = source.batch(chunk, device)?;
            if let Some(dsa) = &dsa {
                x = dsa.sample(chunk.len(), rng).apply(&x)?;
            }
            if let Some(dc) = &config.dc_augment {
                x = dc.apply(&x, rng)?;
            }
            let logits = net.forward(&x, true)?;
            let loss = targets.loss(&logits)?;
            let missing = sgd.step(&loss.backward()?)?;
            if !missing.is_empty() {
                return Err(trustdd_core::Error::NoGradient {
                    context: format!("train epoch {epoch}"),
                    what: format!("parameter(s) {missing:?}"),
                });
            }
            loss_sum +=
                loss.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()? * chunk.len() as f64;
            correct += targets.correct(&logits)?;
            seen += chunk.len();
            report.steps += 1;
        }
        let n = seen.max(1) as f64;
        report.final_loss = loss_sum / n;
        report.final_train_accuracy = correct as f64 / n;
        report.final_lr = lr;
        progress.report(ProgressEvent {
            stage: "train",
            done: epoch as u64 + 1,
            total: config.epochs as u64,
            metrics: &[
                ("loss", report.final_loss),
                ("acc", report.final_train_accuracy),
            ],
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_paper_values_and_serde_is_strict() {
        let c = TrainConfig::default();
        assert_eq!((c.epochs, c.batch_size), (1000, 256));
        assert_eq!((c.lr, c.momentum, c.weight_decay), (0.01, 0.9, 5e-4));
        assert_eq!(c.decay_epochs(), vec![500]);
        assert!(c.validate().is_ok());
        let parsed: TrainConfig =
            serde_json::from_str(r#"{"epochs": 300, "augment": null}"#).unwrap();
        assert_eq!(parsed.decay_epochs(), vec![150]);
        assert!(parsed.augment.is_none());
        assert!(serde_json::from_str::<TrainConfig>(r#"{"epoch": 3}"#).is_err());
    }

    #[test]
    fn validate_names_the_bad_field() {
        let bad = |c: TrainConfig, field: &str| {
            let msg = c.validate().unwrap_err().to_string();
            assert!(msg.contains(field), "{msg}");
        };
        let d = TrainConfig::default;
        bad(TrainConfig { epochs: 0, ..d() }, "epochs");
        bad(
            TrainConfig {
                batch_size: 0,
                ..d()
            },
            "batch_size",
        );
        bad(TrainConfig { lr: -0.1, ..d() }, "lr");
        bad(
            TrainConfig {
                momentum: 1.5,
                ..d()
            },
            "momentum",
        );
        bad(
            TrainConfig {
                weight_decay: -1.0,
                ..d()
            },
            "weight_decay",
        );
        bad(
            TrainConfig {
                lr_decay_factor: 0.0,
                ..d()
            },
            "lr_decay_factor",
        );
        bad(
            TrainConfig {
                lr_decay_epochs: Some(vec![1000]),
                ..d()
            },
            "lr_decay_epochs",
        );
        let one = TrainConfig { epochs: 1, ..d() };
        assert!(one.decay_epochs().is_empty() && one.validate().is_ok());
    }
}
