//! Networks and the evaluation protocol named on the command line.

use anyhow::{bail, Result};
use trustdd_nn::{ArchConfig, ConvNetConfig, NormKind};
use trustdd_pipeline::dataset_dsa;
use trustdd_train::{EvalConfig, TrainConfig};

/// Evaluation networks by name; `convnet` is ConvNet-`depth` of `width`.
pub fn parse_archs(names: &[String], width: usize, depth: usize) -> Result<Vec<ArchConfig>> {
    names
        .iter()
        .map(|n| {
            Ok(match n.trim() {
                "convnet" => ArchConfig::ConvNet(ConvNetConfig {
                    width,
                    depth,
                    ..ConvNetConfig::default()
                }),
                "mlp" => ArchConfig::Mlp { hidden: vec![128, 128] },
                "lenet" => ArchConfig::LeNet,
                "alexnet" => ArchConfig::AlexNet,
                "vgg11" => ArchConfig::Vgg11 { norm: NormKind::Instance },
                "resnet18" => ArchConfig::ResNet18 { norm: NormKind::Batch },
                other => bail!(
                    "invalid eval architecture {other:?}: expected convnet, mlp, lenet, alexnet, vgg11 or resnet18"
                ),
            })
        })
        .collect()
}

/// The evaluation protocol with the given networks, runs and epochs (DSA per sample on
/// training batches, the standard one of the dataset named `dataset`).
pub fn eval_config(
    archs: Vec<ArchConfig>,
    runs: usize,
    epochs: usize,
    dataset: &str,
) -> EvalConfig {
    EvalConfig {
        architectures: archs,
        runs,
        train: TrainConfig {
            epochs,
            augment: Some(dataset_dsa(dataset)),
            ..TrainConfig::default()
        },
        ..EvalConfig::default()
    }
}

/// A network as tables print it.
pub fn describe(arch: &ArchConfig) -> String {
    match arch {
        ArchConfig::ConvNet(c) => format!("ConvNet-{} width {}", c.depth, c.width),
        other => format!("{other:?}"),
    }
}
