//! Networks, evaluation protocol and objectives named by the settings.

use super::settings::DistillSettings;
use anyhow::{bail, Result};
use candle_core::DType;
use trustdd_core::{RealSampler, SyntheticSet, TrustRng};
use trustdd_distill::{
    Dm, DmConfig, ExpertConfig, GradientMatching, GradientMatchingConfig, Mtt, MttConfig,
    Objective, Trajectories,
};
use trustdd_nn::{ArchConfig, ConvNetConfig, Network, NormKind};
use trustdd_train::dsa::DsaConfig;
use trustdd_train::{EvalConfig, TrainConfig};

/// The ConvNet of the settings.
pub(crate) fn convnet(width: usize, depth: usize) -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width,
        depth,
        ..ConvNetConfig::default()
    })
}

/// Evaluation networks by name.
pub(crate) fn parse_archs(names: &[String], width: usize, depth: usize) -> Result<Vec<ArchConfig>> {
    names
        .iter()
        .map(|n| {
            Ok(match n.trim() {
                "convnet" => convnet(width, depth),
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
/// training batches; no flip for one-channel images, which are digits or garments here).
pub(crate) fn eval_config(
    archs: Vec<ArchConfig>,
    runs: usize,
    epochs: usize,
    channels: usize,
) -> EvalConfig {
    EvalConfig {
        architectures: archs,
        runs,
        train: TrainConfig {
            epochs,
            augment: Some(dsa_for(channels)),
            ..TrainConfig::default()
        },
        ..EvalConfig::default()
    }
}

pub(crate) fn dsa_for(channels: usize) -> DsaConfig {
    if channels == 1 {
        DsaConfig::digits()
    } else {
        DsaConfig::default()
    }
}

/// DM as the settings ask (also used for the outlier set).
pub(crate) fn dm_config(s: &DistillSettings, channels: usize) -> DmConfig {
    DmConfig {
        arch: convnet(s.width, s.depth),
        real_batch: s.real_batch,
        lr_img: s.lr_img.unwrap_or(1.0),
        dsa: Some(dsa_for(channels)),
        ..DmConfig::default()
    }
}

/// DC or DSA as the settings ask (also the base of the outlier set's OE matching).
pub(crate) fn gradient_matching_config(
    s: &DistillSettings,
    channels: usize,
) -> GradientMatchingConfig {
    GradientMatchingConfig {
        arch: convnet(s.width, s.depth),
        real_batch: s.real_batch,
        lr_img: s.lr_img.unwrap_or(0.1),
        outer_loop: s.outer_loop,
        inner_loop: s.inner_loop,
        dsa: (s.objective == "dsa").then(|| dsa_for(channels)),
        ..GradientMatchingConfig::default()
    }
}

/// The MTT experts as the settings ask.
pub(crate) fn expert_config(s: &DistillSettings, channels: usize) -> ExpertConfig {
    ExpertConfig {
        arch: convnet(s.width, s.depth),
        experts: s.mtt_experts,
        epochs: s.mtt_expert_epochs,
        lr: 0.01,
        batch_size: 256,
        dsa: Some(dsa_for(channels)),
    }
}

/// The objective named in the settings; MTT needs its expert `trajectories`.
pub(crate) fn objective(
    s: &DistillSettings,
    sampler: &dyn RealSampler,
    trajectories: Option<Trajectories>,
    syn: &mut SyntheticSet,
) -> Result<(Box<dyn Objective>, serde_json::Value)> {
    let channels = sampler.image_shape().channels;
    Ok(match (s.objective.as_str(), trajectories) {
        ("dm", _) => {
            let c = dm_config(s, channels);
            let json = serde_json::to_value(&c)?;
            (Box::new(Dm::new(c)?), json)
        }
        ("dc" | "dsa", _) => {
            let c = gradient_matching_config(s, channels);
            c.loops(s.ipc)?;
            let json = serde_json::to_value(&c)?;
            (Box::new(GradientMatching::new(c)?), json)
        }
        ("mtt", Some(trajectories)) => {
            let arch = convnet(s.width, s.depth);
            let c = MttConfig {
                arch: arch.clone(),
                syn_steps: s.mtt_syn_steps,
                expert_epochs: s.mtt_match_epochs,
                max_start_epoch: s.mtt_max_start,
                lr_img: s.lr_img.unwrap_or(100.0),
                batch_syn: s.mtt_batch_syn,
                dsa: Some(dsa_for(channels)),
                ..MttConfig::default()
            };
            c.validate()?;
            let mut json = serde_json::to_value(&c)?;
            json["experts"] = serde_json::json!({"count": s.mtt_experts, "epochs": s.mtt_expert_epochs, "soft_labels": s.soft_labels});
            let mtt = Mtt::new(c, trajectories)?;
            if s.soft_labels {
                let net = Network::new(
                    &arch,
                    sampler.image_shape(),
                    syn.num_classes,
                    DType::F32,
                    sampler.device(),
                    &mut TrustRng::new(0),
                )?;
                mtt.init_soft_labels(syn, &net)?;
            }
            (Box::new(mtt), json)
        }
        ("mtt", None) => bail!("MTT needs expert trajectories"),
        (other, _) => bail!("invalid objective {other:?}: expected dm, dc, dsa or mtt"),
    })
}
