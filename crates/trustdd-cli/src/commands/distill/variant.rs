//! One distillation of a run: a label set (clean or noisy), with or without trust partitioning.
//! The main job distils up to three of them and prints them side by side.

use super::build::{dsa_for, expert_config, objective};
use super::settings::DistillSettings;
use crate::progress_bar::Bars;
use anyhow::{bail, Context, Result};
use candle_core::{DType, Device};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use trustdd_core::{DatasetSampler, ImageDataset, PartitionContext, SyntheticSet, TrustRng};
use trustdd_distill::{
    config_hash, evaluate_set, save_trajectories, train_experts, CheckpointSpec, DistillReport,
    Driver, DriverConfig, Objective, Trajectories,
};
use trustdd_train::{EvalConfig, EvalReport};
use trustdd_trust::{train_trusted_experts, StatefulPartitioner, Tad, TadConfig, TrustAware};

/// What to distil.
pub(crate) struct Variant {
    /// Its name in tables and reports.
    pub label: String,
    /// The real data (its labels are the ones distilled from).
    pub dataset: Arc<ImageDataset>,
    /// Partition with TAD first.
    pub trust: bool,
    /// Where its files go.
    pub out: PathBuf,
    /// Also evaluate the initial set.
    pub baseline: bool,
}

/// What a variant produced.
#[derive(Debug, Serialize)]
pub(crate) struct VariantOutcome {
    /// The variant's name.
    pub label: String,
    /// The objective's settings.
    pub objective_config: serde_json::Value,
    /// The distillation (losses, timings, evaluations).
    pub distill: DistillReport,
    /// Evaluation of the initial set.
    pub baseline: Option<EvalReport>,
    /// The partitioner's report (TAD: every round's diagnostics).
    pub trust: Option<serde_json::Value>,
    /// The distilled set.
    #[serde(skip)]
    pub syn: SyntheticSet,
}

/// The objective to run: diverted by a partitioner, or plain (MTT keeps the partitioner that
/// trained its experts, for its report).
enum Chosen {
    Trusted(TrustAware<dyn Objective>),
    Plain(Box<dyn Objective>, Option<Box<dyn StatefulPartitioner>>),
}

/// TAD as the settings ask: the `[tad]` table or the defaults, with the dataset's augmentation
/// (no flips for one-channel images) and at least IPC trusted samples per class.
fn tad_config(s: &DistillSettings, channels: usize) -> TadConfig {
    match &s.tad {
        Some(c) => c.clone(),
        None => {
            let mut c = TadConfig::default();
            c.proxy.augment = Some(dsa_for(channels));
            c.min_trusted_per_class = c.min_trusted_per_class.max(s.ipc);
            c
        }
    }
}

/// The partitioner's streams, apart from the distillation's (seed) and the experts' (1).
fn trust_seed(seed: u64) -> u64 {
    TrustRng::for_item(seed, 3).next_u64()
}

/// Distils `v`: TAD round 0 (or trusted MTT experts) first when asked, the initial set from the
/// (trusted) data, then the driver, with the objective diverted to the trusted data.
pub(crate) fn distill_variant(
    s: &DistillSettings,
    v: &Variant,
    test: &ImageDataset,
    eval: &EvalConfig,
    device: &Device,
    bars: &Bars,
) -> Result<VariantOutcome> {
    let channels = v.dataset.shape().channels;
    let plain = DatasetSampler::new(v.dataset.clone(), device.clone());
    let mut partitioner: Option<Box<dyn StatefulPartitioner>> = if v.trust {
        Some(Box::new(Tad::new(tad_config(s, channels))?))
    } else {
        None
    };
    let seed = trust_seed(s.seed);
    // MTT's experts come first; with TAD they are trained on the partition they refit.
    let trajectories: Option<Trajectories> = if s.objective == "mtt" {
        let config = expert_config(s, channels);
        // Experts draw from their own stream so the distillation stream matches DM's.
        let mut rng = TrustRng::for_item(s.seed, 1);
        let t = match partitioner.as_mut() {
            Some(p) => train_trusted_experts(
                &config,
                p.as_mut(),
                v.dataset.clone(),
                device,
                s.trust_refresh_epochs,
                seed,
                DType::F32,
                &mut rng,
                bars,
            )?,
            None => train_experts(&config, &plain, DType::F32, &mut rng, bars)?,
        };
        save_trajectories(&v.out.join("experts.safetensors"), &t)?;
        Some(t)
    } else {
        if let Some(p) = partitioner.as_mut() {
            // Rounds before the initial set, so it is drawn from trusted images too; they draw
            // from their own streams (the wrapper's refits use `seed`).
            let prime_seed = TrustRng::for_item(s.seed, 4).next_u64();
            for round in 0..s.trust_warmup_rounds.max(1) {
                let ctx = PartitionContext {
                    dataset: &v.dataset,
                    device,
                    round,
                    progress: bars,
                };
                p.observe(&ctx, &mut TrustRng::for_item(prime_seed, round as u64))?;
            }
        }
        None
    };
    let init = match partitioner.as_ref().and_then(|p| p.partition()) {
        Some(partition) => {
            DatasetSampler::from_partition(v.dataset.clone(), partition, device.clone())?
        }
        None => plain.clone(),
    };
    let mut rng = TrustRng::new(s.seed);
    let shape = v.dataset.shape();
    let mut syn = match s.init.as_str() {
        "real" => SyntheticSet::from_real(&init, s.ipc, &mut rng)?,
        "noise" => SyntheticSet::from_noise(shape, test.num_classes(), s.ipc, device, &mut rng)?,
        other => bail!("invalid init {other:?}: expected real or noise"),
    };
    let baseline = if v.baseline {
        Some(evaluate_set(&syn, test, eval, s.seed, device, bars)?)
    } else {
        None
    };
    let (inner, mut objective_config) = objective(s, &init, trajectories, &mut syn)?;
    // MTT reads no real data while distilling: its diversion is the experts'.
    let mut chosen = match partitioner {
        Some(p) if s.objective != "mtt" => Chosen::Trusted(TrustAware::new(
            inner,
            p,
            v.dataset.clone(),
            device.clone(),
            s.trust_refresh,
            seed,
        )?),
        other => Chosen::Plain(inner, other),
    };
    if v.trust {
        objective_config["trust"] = serde_json::json!({"tad": tad_config(s, channels), "refresh": s.trust_refresh, "refresh_epochs": s.trust_refresh_epochs});
    }
    let identity = serde_json::json!({
        "objective": &objective_config, "dataset": &s.dataset, "train_limit": s.train_limit,
        "noise": &s.noise, "ipc": s.ipc, "init": &s.init, "seed": s.seed, "variant": &v.label,
    });
    let checkpoint = (s.checkpoint_every > 0)
        .then(|| -> Result<CheckpointSpec> {
            Ok(CheckpointSpec {
                path: v.out.join("checkpoint.safetensors"),
                config_hash: config_hash(&identity)?,
            })
        })
        .transpose()?;
    let driver = Driver::new(
        DriverConfig {
            iterations: s.iterations,
            eval_every: s.eval_every,
            final_eval: true,
            checkpoint_every: s.checkpoint_every,
            eval: eval.clone(),
            eval_seed: s.seed,
        },
        checkpoint,
    )?;
    let objective: &mut dyn Objective = match &mut chosen {
        Chosen::Trusted(t) => t,
        Chosen::Plain(o, _) => o.as_mut(),
    };
    let distill = driver
        .run(objective, &mut syn, &plain, Some(test), &mut rng, bars)
        .with_context(|| format!("distilling {}", v.label))?;
    let trust = match &chosen {
        Chosen::Trusted(t) => Some(t.partitioner().report()),
        Chosen::Plain(_, p) => p.as_ref().map(|p| p.report()),
    };
    Ok(VariantOutcome {
        label: v.label.clone(),
        objective_config,
        distill,
        baseline,
        trust,
        syn,
    })
}
