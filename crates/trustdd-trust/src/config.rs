//! [`TadConfig`]: every TAD setting as data, validated once.

use crate::class_split::SplitConfig;
use crate::error::Result;
use crate::proxy::ProxyConfig;
use crate::recall::RecallConfig;
use crate::reliability::ReliabilityConfig;
use serde::{Deserialize, Serialize};

/// TAD settings. `Default` is sized for the documented budget (8,000 digits, 2 CPU cores: proxy
/// ConvNet-3 width 32, warm-up 3 epochs, 1 epoch per round) and tuned toward a precise trusted
/// set rather than a large one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TadConfig {
    /// The proxy classifier and its training.
    pub proxy: ProxyConfig,
    /// The class-wise GMM split (τ, guards, EM).
    pub split: SplitConfig,
    /// The Mahalanobis/cosine reliability (α, temperatures, shrinkage).
    pub reliability: ReliabilityConfig,
    /// Selective pseudo-labelling (δ, cap).
    pub recall: RecallConfig,
    /// Per-sample losses are averaged over the last this many rounds (default 1).
    pub loss_window: usize,
    /// Every class keeps at least this many trusted samples (its smallest-loss ones), so a
    /// sampler never meets an empty class; set it to at least the IPC (default 10).
    pub min_trusted_per_class: usize,
    /// Batch size of the evaluation pass that computes losses and features (default 500).
    pub eval_batch_size: usize,
    /// Co-divide (DivideMix): a second proxy from another draw; each proxy trains on the other's
    /// split, and the partition trusts only where both splits agree. Doubles the proxy's cost
    /// (default false).
    pub co_divide: bool,
}

impl Default for TadConfig {
    fn default() -> Self {
        Self {
            proxy: ProxyConfig::default(),
            split: SplitConfig::default(),
            reliability: ReliabilityConfig::default(),
            recall: RecallConfig::default(),
            loss_window: 1,
            min_trusted_per_class: 10,
            eval_batch_size: 500,
            co_divide: false,
        }
    }
}

impl TadConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field (τ, δ, α, epochs, ...).
    pub fn validate(&self) -> Result<()> {
        self.proxy.validate()?;
        self.split.validate()?;
        self.reliability.validate()?;
        self.recall.validate()?;
        if self.loss_window == 0 {
            return Err(trustdd_core::Error::invalid("loss_window", 0, "at least 1"));
        }
        if self.eval_batch_size == 0 {
            return Err(trustdd_core::Error::invalid(
                "eval_batch_size",
                0,
                "at least 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_serde_is_strict_and_errors_name_the_field() {
        let c = TadConfig::default();
        assert!(c.validate().is_ok());
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<TadConfig>(&json).unwrap(), c);
        let parsed: TadConfig =
            serde_json::from_str(r#"{"split": {"tau": 0.7}, "recall": {"cap": {"count": 5}}}"#)
                .unwrap();
        assert_eq!(parsed.split.tau, 0.7);
        assert_eq!(parsed.recall.cap, crate::RecallCap::Count(5));
        assert!(serde_json::from_str::<TadConfig>(r#"{"taus": 1}"#).is_err());
        let bad = |c: TadConfig, field: &str| {
            let msg = c.validate().unwrap_err().to_string();
            assert!(msg.contains(field), "{msg}");
        };
        let mut c = TadConfig::default();
        c.split.tau = 1.5;
        bad(c, "tau");
        let mut c = TadConfig::default();
        c.recall.delta = 2.0;
        bad(c, "delta");
        let mut c = TadConfig::default();
        c.reliability.alpha = -0.1;
        bad(c, "alpha");
        let mut c = TadConfig::default();
        c.proxy.epochs_per_round = 0;
        bad(c, "epochs_per_round");
        let mut c = TadConfig::default();
        c.proxy.augment = None;
        bad(c, "lambda_cr");
        bad(
            TadConfig {
                loss_window: 0,
                ..TadConfig::default()
            },
            "loss_window",
        );
    }
}
