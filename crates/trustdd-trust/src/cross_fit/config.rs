//! [`CrossFitConfig`]: every setting of the cross-fitted partitioner as data, validated once.

use crate::class_split::SplitConfig;
use crate::error::Result;
use crate::transition::ForwardCorrection;
use serde::{Deserialize, Serialize};
use trustdd_nn::{ArchConfig, ConvNetConfig};
use trustdd_train::TrainConfig;

/// Settings of [`CrossFit`](super::CrossFit). `Default` is the configuration that issue 18 chose
/// on Fashion-MNIST's validation split under 40% pair swaps (docs/algorithms.md §5): two folds,
/// three iterations, the third trained on the second's posterior ≥ 0.5 resampled to the class
/// sizes, the partition cut at 0.8; with `trust.diversion = "soft"` in the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrossFitConfig {
    /// The proxy network of every fold (default TAD's proxy, ConvNet-3 width 32).
    pub arch: ArchConfig,
    /// How each fold's proxy trains (default 10 epochs, batch 256, SGD lr 0.01 decayed ×0.1 at
    /// the middle epoch, momentum 0.9, weight decay 5e-4, the dataset's DSA).
    pub train: TrainConfig,
    /// Folds (default 2, as INCV): each fold is scored by a proxy trained on the others, so no
    /// sample's score comes from a network that saw its label.
    pub folds: usize,
    /// INCV's iterations in the first round (default 3): the first trains on every sample, the
    /// second on the first's kept set, later ones on the last posterior ≥ `select`.
    pub iterations: usize,
    /// Iterations after the first train on their kept set resampled to the fold's class sizes
    /// (each class's kept samples shuffled and repeated in turn), so a class the selection
    /// thinned keeps its prior (default true).
    pub balance: bool,
    /// From the third iteration on (and in refits), the proxies train on the samples whose
    /// clean posterior of the observed label is at least this (default 0.5).
    pub select: f64,
    /// The partition trusts the samples whose clean posterior of the observed label is at least
    /// this (default 0.8).
    pub cut: f64,
    /// Also trust, under that class, samples whose posterior puts at least `cut` on another
    /// class (relabelling as a recall; default false: under the pair swaps it lowered the set's
    /// precision to 95.0%).
    pub relabel: bool,
    /// The first iteration's kept set: TAD's class-wise split of the held-out losses where the
    /// held-out proxy also predicts the observed label.
    pub split: SplitConfig,
    /// Percentile of the anchor points of the transition estimate (default 0.97, the
    /// loss-correction code's; [`ForwardCorrection::anchor_quantile`]).
    pub anchor_quantile: f64,
    /// Every class keeps at least this many trusted samples (its smallest held-out losses), so
    /// a sampler never meets an empty class; the pipeline raises it to the IPC (default 10).
    pub min_trusted_per_class: usize,
    /// Refits after the first round run this many more iterations each, on the last posterior
    /// ≥ `select` (default 0: the partition of the first round is kept; one iteration costs
    /// about five minutes on 54,000 Fashion-MNIST images and 2 cores).
    pub refit_iterations: usize,
    /// Batch size of the scoring pass (default 512).
    pub eval_batch_size: usize,
}

impl Default for CrossFitConfig {
    fn default() -> Self {
        Self {
            arch: ArchConfig::ConvNet(ConvNetConfig {
                width: 32,
                ..ConvNetConfig::default()
            }),
            train: TrainConfig {
                epochs: 10,
                ..TrainConfig::default()
            },
            folds: 2,
            iterations: 3,
            balance: true,
            select: 0.5,
            cut: 0.8,
            relabel: false,
            split: SplitConfig::default(),
            anchor_quantile: ForwardCorrection::default().anchor_quantile,
            min_trusted_per_class: 10,
            refit_iterations: 0,
            eval_batch_size: 512,
        }
    }
}

impl CrossFitConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        self.train.validate()?;
        self.split.validate()?;
        for (name, v, least) in [
            ("folds", self.folds, 2),
            ("iterations", self.iterations, 1),
            ("eval_batch_size", self.eval_batch_size, 1),
        ] {
            if v < least {
                return Err(trustdd_core::Error::invalid(
                    name,
                    v,
                    format!("at least {least}"),
                ));
            }
        }
        for (name, p) in [
            ("select", self.select),
            ("cut", self.cut),
            ("anchor_quantile", self.anchor_quantile),
        ] {
            if !(p.is_finite() && p > 0.0 && p <= 1.0) {
                return Err(trustdd_core::Error::invalid(
                    name,
                    p,
                    "a probability in (0, 1]",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_serde_is_strict_and_errors_name_the_field() {
        let c = CrossFitConfig::default();
        assert!(c.validate().is_ok());
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<CrossFitConfig>(&json).unwrap(), c);
        let parsed: CrossFitConfig =
            serde_json::from_str(r#"{"cut": 0.9, "train": {"epochs": 4}}"#).unwrap();
        assert_eq!(parsed.cut, 0.9);
        assert_eq!(parsed.train.epochs, 4);
        assert_eq!(parsed.iterations, 3);
        assert!(serde_json::from_str::<CrossFitConfig>(r#"{"cuts": 1}"#).is_err());
        let bad = |c: CrossFitConfig, field: &str| {
            let msg = c.validate().unwrap_err().to_string();
            assert!(msg.contains(field), "{msg}");
        };
        let d = CrossFitConfig::default;
        bad(CrossFitConfig { folds: 1, ..d() }, "folds");
        bad(
            CrossFitConfig {
                iterations: 0,
                ..d()
            },
            "iterations",
        );
        bad(CrossFitConfig { cut: 0.0, ..d() }, "cut");
        bad(
            CrossFitConfig {
                cut: f64::NAN,
                ..d()
            },
            "cut",
        );
        bad(CrossFitConfig { select: 1.5, ..d() }, "select");
        bad(
            CrossFitConfig {
                anchor_quantile: -1.0,
                ..d()
            },
            "anchor_quantile",
        );
        bad(
            CrossFitConfig {
                eval_batch_size: 0,
                ..d()
            },
            "eval_batch_size",
        );
        let mut c = d();
        c.train.epochs = 0;
        bad(c, "epochs");
    }
}
