//! Architecture choices as data (serde), with the paper's defaults.

use serde::{Deserialize, Serialize};

/// Normalisation layer after each convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormKind {
    /// GroupNorm with one group per channel (the dataset-distillation default).
    Instance,
    /// BatchNorm with running statistics.
    Batch,
    /// LayerNorm over C×H×W.
    Layer,
    /// No normalisation.
    None,
}

/// Spatial pooling after each block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    /// 2×2 average pooling, stride 2.
    Avg,
    /// 2×2 max pooling, stride 2 (with a correct backward; candle's own is wrong).
    Max,
    /// No pooling.
    None,
}

/// Non-linearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// max(0.01·x, x).
    LeakyRelu,
    /// 1 / (1 + e^−x).
    Sigmoid,
}

/// ConvNet-D, the standard dataset-distillation network (ALGORITHMS.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConvNetConfig {
    /// Channels of every convolution (default: 128).
    pub width: usize,
    /// Number of conv–norm–act–pool blocks (default: 3).
    pub depth: usize,
    /// Normalisation (default: instance).
    pub norm: NormKind,
    /// Pooling (default: avg).
    pub pool: PoolKind,
    /// Activation (default: relu).
    pub activation: Activation,
}

impl Default for ConvNetConfig {
    fn default() -> Self {
        Self {
            width: 128,
            depth: 3,
            norm: NormKind::Instance,
            pool: PoolKind::Avg,
            activation: Activation::Relu,
        }
    }
}

/// Which network to build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum ArchConfig {
    /// ConvNet-D.
    ConvNet(ConvNetConfig),
    /// Multi-layer perceptron with the given hidden widths.
    Mlp {
        /// Hidden layer widths.
        hidden: Vec<usize>,
    },
    /// LeNet-like network.
    LeNet,
    /// AlexNet-like network (the dataset-distillation variant for small images).
    AlexNet,
    /// VGG11 with the given normalisation.
    Vgg11 {
        /// Normalisation after each convolution (default: instance, as the reference code's `VGG11`).
        #[serde(default = "instance_norm")]
        norm: NormKind,
    },
    /// ResNet18 with the given normalisation.
    ResNet18 {
        /// Normalisation after each convolution (default: batch).
        #[serde(default = "batch_norm")]
        norm: NormKind,
    },
}

impl Default for ArchConfig {
    fn default() -> Self {
        ArchConfig::ConvNet(ConvNetConfig::default())
    }
}

fn instance_norm() -> NormKind {
    NormKind::Instance
}

fn batch_norm() -> NormKind {
    NormKind::Batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_defaults_and_names() -> anyhow::Result<()> {
        let r: ArchConfig = serde_json::from_str(r#"{"kind": "resnet18"}"#)?;
        assert_eq!(
            r,
            ArchConfig::ResNet18 {
                norm: NormKind::Batch
            }
        );
        let c: ArchConfig =
            serde_json::from_str(r#"{"kind": "convnet", "width": 64, "pool": "max"}"#)?;
        let want = ConvNetConfig {
            width: 64,
            pool: PoolKind::Max,
            ..ConvNetConfig::default()
        };
        assert_eq!(c, ArchConfig::ConvNet(want));
        assert!(serde_json::from_str::<ArchConfig>(r#"{"kind": "convnet", "widht": 64}"#).is_err());
        Ok(())
    }
}
