//! `trustdd distill`: distil a dataset into a few images per class, evaluate them, write them.
//!
//! Every option can come from a TOML file (`--config`, keys as the long flags with `_`);
//! command-line flags override the file. With no flags at all it runs the "main job": DM on the
//! embedded MNIST digits, IPC 10, sized to finish in a few minutes on a 2-core CPU.

use crate::data_args::DataArgs;
use crate::progress_bar::Bars;
use anyhow::{bail, Context, Result};
use candle_core::DType;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use trustdd_core::{
    select_device, write_atomic, DatasetSampler, RealSampler, SyntheticSet, TrustRng,
};
use trustdd_distill::{
    config_hash, evaluate_set, save_png_grid, save_set, save_trajectories, train_experts,
    CheckpointSpec, Dm, DmConfig, Driver, DriverConfig, ExpertConfig, GradientMatching,
    GradientMatchingConfig, Mtt, MttConfig, Objective, SetMetadata,
};
use trustdd_nn::{ArchConfig, ConvNetConfig, Network, NormKind};
use trustdd_noise::{apply_with_report, NoiseConfig};
use trustdd_train::dsa::DsaConfig;
use trustdd_train::{EvalConfig, EvalReport, TrainConfig};

/// Every setting of a distillation run (the TOML file's schema). Defaults: the main job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DistillSettings {
    /// `embedded`, mnist, fashion-mnist, kmnist, cifar10, cifar100, tiny-imagenet, folder:<path>.
    pub dataset: String,
    /// Folder holding `<dataset>/` (default: $TRUSTDD_DATA).
    pub data_dir: Option<PathBuf>,
    /// Use only the first N training images (0: all).
    pub train_limit: usize,
    /// Label-noise model applied to the training labels first (`none`, `sym:0.4`, ...).
    pub noise: String,
    /// dm, dc, dsa or mtt.
    pub objective: String,
    /// Synthetic images per class.
    pub ipc: usize,
    /// Distillation iterations.
    pub iterations: usize,
    /// Real images per class per step.
    pub real_batch: usize,
    /// Image learning rate (default: DM 1.0, DC/DSA 0.1, MTT 100).
    pub lr_img: Option<f64>,
    /// DC/DSA outer and inner loops (default: the reference table by IPC).
    pub outer_loop: Option<usize>,
    /// See `outer_loop`.
    pub inner_loop: Option<usize>,
    /// ConvNet width used for distilling and for evaluating `convnet`.
    pub width: usize,
    /// ConvNet depth.
    pub depth: usize,
    /// `real` (random real images) or `noise` (N(0,1)).
    pub init: String,
    /// Seed of everything.
    pub seed: u64,
    /// cpu, cuda, cuda:N or auto.
    pub device: String,
    /// Output directory (default `runs/<dataset>-<objective>-ipc<N>-seed<S>`).
    pub out: Option<PathBuf>,
    /// Evaluate every N iterations (0: only at the end).
    pub eval_every: usize,
    /// Evaluation networks: convnet, mlp, lenet, alexnet, vgg11, resnet18.
    pub eval_archs: Vec<String>,
    /// Runs (network seeds) per evaluation network.
    pub eval_runs: usize,
    /// Training epochs of each evaluation network.
    pub eval_epochs: usize,
    /// Also evaluate the initial set (random real images), for comparison.
    pub baseline: bool,
    /// Write a checkpoint every N iterations (0: never); a rerun resumes from it.
    pub checkpoint_every: usize,
    /// MTT: number of expert networks trained on the real data first.
    pub mtt_experts: usize,
    /// MTT: epochs per expert.
    pub mtt_expert_epochs: usize,
    /// MTT: student steps unrolled per iteration.
    pub mtt_syn_steps: usize,
    /// MTT: expert epochs the student must cover.
    pub mtt_match_epochs: usize,
    /// MTT: start epochs are drawn below this.
    pub mtt_max_start: usize,
    /// MTT: learn soft labels initialised from expert logits (DATM).
    pub soft_labels: bool,
    /// MTT: synthetic images per student step (default: all; the unrolled graph's memory grows
    /// with it, about 4 GiB for 10 MNIST images and 10 steps at width 32).
    pub mtt_batch_syn: Option<usize>,
}

impl Default for DistillSettings {
    fn default() -> Self {
        Self {
            dataset: "embedded".into(),
            data_dir: None,
            train_limit: 0,
            noise: "none".into(),
            objective: "dm".into(),
            ipc: 10,
            iterations: 200,
            real_batch: 64,
            lr_img: None,
            outer_loop: None,
            inner_loop: None,
            width: 32,
            depth: 3,
            init: "real".into(),
            seed: 0,
            device: "cpu".into(),
            out: None,
            eval_every: 0,
            eval_archs: vec!["convnet".into(), "mlp".into()],
            eval_runs: 3,
            eval_epochs: 100,
            baseline: true,
            checkpoint_every: 0,
            mtt_experts: 2,
            mtt_expert_epochs: 5,
            mtt_syn_steps: 10,
            mtt_match_epochs: 2,
            mtt_max_start: 3,
            soft_labels: false,
            mtt_batch_syn: None,
        }
    }
}

/// Options of `trustdd distill` (each overrides the `--config` file).
#[derive(Debug, Args)]
pub struct DistillArgs {
    /// A TOML file with any of the settings below (keys as the flags, with `_`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Dataset (default: embedded, 10k MNIST digits compiled into the program).
    #[arg(long)]
    dataset: Option<String>,
    /// Folder holding `<dataset>/` (default: $TRUSTDD_DATA).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use only the first N training images.
    #[arg(long)]
    train_limit: Option<usize>,
    /// Label-noise model (default none; e.g. sym:0.4, asym:0.4).
    #[arg(long)]
    noise: Option<String>,
    /// dm, dc, dsa or mtt (default dm).
    #[arg(long)]
    objective: Option<String>,
    /// Images per class (default 10).
    #[arg(long)]
    ipc: Option<usize>,
    /// Iterations (default 200).
    #[arg(long)]
    iterations: Option<usize>,
    /// Real images per class per step (default 64).
    #[arg(long)]
    real_batch: Option<usize>,
    /// Image learning rate (default: DM 1.0, DC/DSA 0.1, MTT 100).
    #[arg(long)]
    lr_img: Option<f64>,
    /// DC/DSA outer loop (default by IPC).
    #[arg(long)]
    outer_loop: Option<usize>,
    /// DC/DSA inner loop (default by IPC).
    #[arg(long)]
    inner_loop: Option<usize>,
    /// ConvNet width (default 32).
    #[arg(long)]
    width: Option<usize>,
    /// ConvNet depth (default 3).
    #[arg(long)]
    depth: Option<usize>,
    /// real or noise (default real).
    #[arg(long)]
    init: Option<String>,
    /// Seed (default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// cpu, cuda, cuda:N or auto (default cpu).
    #[arg(long)]
    device: Option<String>,
    /// Output directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Evaluate every N iterations (default 0: only at the end).
    #[arg(long)]
    eval_every: Option<usize>,
    /// Comma-separated evaluation networks (default convnet,mlp).
    #[arg(long, value_delimiter = ',')]
    eval_archs: Option<Vec<String>>,
    /// Runs per evaluation network (default 3).
    #[arg(long)]
    eval_runs: Option<usize>,
    /// Epochs per evaluation run (default 100).
    #[arg(long)]
    eval_epochs: Option<usize>,
    /// Evaluate the initial set too: true or false (default true).
    #[arg(long)]
    baseline: Option<bool>,
    /// Checkpoint every N iterations (default 0: never).
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// MTT: expert networks (default 2).
    #[arg(long)]
    mtt_experts: Option<usize>,
    /// MTT: epochs per expert (default 5).
    #[arg(long)]
    mtt_expert_epochs: Option<usize>,
    /// MTT: unrolled student steps (default 10).
    #[arg(long)]
    mtt_syn_steps: Option<usize>,
    /// MTT: expert epochs to match (default 2).
    #[arg(long)]
    mtt_match_epochs: Option<usize>,
    /// MTT: start epochs drawn below this (default 3).
    #[arg(long)]
    mtt_max_start: Option<usize>,
    /// MTT: learn soft labels: true or false (default false).
    #[arg(long)]
    soft_labels: Option<bool>,
    /// MTT: synthetic images per student step (default: all).
    #[arg(long)]
    mtt_batch_syn: Option<usize>,
}

impl DistillArgs {
    /// The settings: defaults, then the file, then the flags.
    pub fn settings(&self) -> Result<DistillSettings> {
        let mut s = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
            }
            None => DistillSettings::default(),
        };
        macro_rules! over {
            ($($f:ident),*) => { $( if let Some(v) = &self.$f { s.$f = v.clone(); } )* };
        }
        over!(
            dataset,
            train_limit,
            noise,
            objective,
            ipc,
            iterations,
            real_batch,
            width,
            depth
        );
        over!(
            init,
            seed,
            device,
            eval_every,
            eval_archs,
            eval_runs,
            eval_epochs,
            baseline
        );
        over!(
            checkpoint_every,
            mtt_experts,
            mtt_expert_epochs,
            mtt_syn_steps,
            mtt_match_epochs
        );
        over!(mtt_max_start, soft_labels);
        macro_rules! over_opt {
            ($($f:ident),*) => { $( if self.$f.is_some() { s.$f = self.$f.clone(); } )* };
        }
        over_opt!(data_dir, lr_img, outer_loop, inner_loop, out, mtt_batch_syn);
        Ok(s)
    }
}

/// The ConvNet of the settings.
fn convnet(width: usize, depth: usize) -> ArchConfig {
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

fn dsa_for(channels: usize) -> DsaConfig {
    if channels == 1 {
        DsaConfig::digits()
    } else {
        DsaConfig::default()
    }
}

/// The objective named in the settings.
fn objective(
    s: &DistillSettings,
    sampler: &DatasetSampler,
    syn: &mut SyntheticSet,
    out: &Path,
    progress: &Bars,
) -> Result<(Box<dyn Objective>, serde_json::Value)> {
    let channels = sampler.image_shape().channels;
    let arch = convnet(s.width, s.depth);
    Ok(match s.objective.as_str() {
        "dm" => {
            let c = DmConfig {
                arch,
                real_batch: s.real_batch,
                lr_img: s.lr_img.unwrap_or(1.0),
                dsa: Some(dsa_for(channels)),
                ..DmConfig::default()
            };
            let json = serde_json::to_value(&c)?;
            (Box::new(Dm::new(c)?), json)
        }
        "dc" | "dsa" => {
            let c = GradientMatchingConfig {
                arch,
                real_batch: s.real_batch,
                lr_img: s.lr_img.unwrap_or(0.1),
                outer_loop: s.outer_loop,
                inner_loop: s.inner_loop,
                dsa: (s.objective == "dsa").then(|| dsa_for(channels)),
                ..GradientMatchingConfig::default()
            };
            c.loops(s.ipc)?;
            let json = serde_json::to_value(&c)?;
            (Box::new(GradientMatching::new(c)?), json)
        }
        "mtt" => {
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
            let experts = ExpertConfig {
                arch: arch.clone(),
                experts: s.mtt_experts,
                epochs: s.mtt_expert_epochs,
                lr: 0.01,
                batch_size: 256,
                dsa: Some(dsa_for(channels)),
            };
            // Experts draw from their own stream so the distillation stream matches DM's.
            let mut expert_rng = TrustRng::for_item(s.seed, 1);
            let trajectories =
                train_experts(&experts, sampler, DType::F32, &mut expert_rng, progress)?;
            save_trajectories(&out.join("experts.safetensors"), &trajectories)?;
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
        other => bail!("invalid objective {other:?}: expected dm, dc, dsa or mtt"),
    })
}

/// What `report.json` holds.
#[derive(Debug, Serialize)]
struct RunReport<'a> {
    settings: &'a DistillSettings,
    objective_config: serde_json::Value,
    noise: Option<trustdd_noise::NoiseReport>,
    distill: trustdd_distill::DistillReport,
    baseline: Option<EvalReport>,
    total_seconds: f64,
}

/// Runs `trustdd distill`.
pub fn run(args: &DistillArgs, quiet: bool) -> Result<()> {
    let start = Instant::now();
    let s = args.settings()?;
    if s.iterations == 0 {
        bail!("invalid iterations = 0: expected at least 1");
    }
    let device = select_device(&s.device)?;
    let data = DataArgs {
        dataset: s.dataset.clone(),
        data_dir: s.data_dir.clone(),
        train_limit: s.train_limit,
    };
    let (train, test) = data.load()?;
    let shape = train.shape();
    if !["dm", "dc", "dsa", "mtt"].contains(&s.objective.as_str()) {
        bail!(
            "invalid objective {:?}: expected dm, dc, dsa or mtt",
            s.objective
        );
    }
    let out = s.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/{}-{}-ipc{}-seed{}",
            s.dataset.replace([':', '/'], "_"),
            s.objective,
            s.ipc,
            s.seed
        ))
    });
    let (train, noise) = if s.noise == "none" {
        (train, None)
    } else {
        let model = NoiseConfig::parse(&s.noise)?
            .with_dataset_name(train.name())
            .build()?;
        let (noisy, report) = apply_with_report(train, model.as_ref(), s.seed)?;
        (noisy, Some(report))
    };
    let meta = SetMetadata {
        objective: s.objective.clone(),
        dataset: train.name().to_string(),
        class_names: train.class_names().to_vec(),
        shape,
        preprocess: train.preprocess().clone(),
        seed: s.seed,
        eval_lr: None,
    };
    let sampler = DatasetSampler::new(std::sync::Arc::new(train), device.clone());
    let mut rng = TrustRng::new(s.seed);
    let mut syn = match s.init.as_str() {
        "real" => SyntheticSet::from_real(&sampler, s.ipc, &mut rng)?,
        "noise" => SyntheticSet::from_noise(shape, test.num_classes(), s.ipc, &device, &mut rng)?,
        other => bail!("invalid init {other:?}: expected real or noise"),
    };
    // Fail before the long run if the output directory cannot be made (after the cheap checks,
    // so a bad setting leaves no empty directory behind).
    std::fs::create_dir_all(&out)
        .with_context(|| format!("creating output directory {}", out.display()))?;
    let bars = Bars::new(quiet);
    let eval = eval_config(
        parse_archs(&s.eval_archs, s.width, s.depth)?,
        s.eval_runs,
        s.eval_epochs,
        shape.channels,
    );
    // The initial set (random real images, hard labels) as a reference point.
    let baseline = if s.baseline {
        Some(evaluate_set(&syn, &test, &eval, s.seed, &device, &bars)?)
    } else {
        None
    };
    let (mut objective, objective_json) = objective(&s, &sampler, &mut syn, &out, &bars)?;
    let identity = serde_json::json!({
        "objective": &objective_json, "dataset": &s.dataset, "train_limit": s.train_limit,
        "noise": &s.noise, "ipc": s.ipc, "init": &s.init, "seed": s.seed,
    });
    let checkpoint = (s.checkpoint_every > 0)
        .then(|| -> Result<CheckpointSpec> {
            Ok(CheckpointSpec {
                path: out.join("checkpoint.safetensors"),
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
            eval,
            eval_seed: s.seed,
        },
        checkpoint,
    )?;
    let report = driver.run(
        objective.as_mut(),
        &mut syn,
        &sampler,
        Some(&test),
        &mut rng,
        &bars,
    )?;
    bars.finish();
    let meta = SetMetadata {
        eval_lr: objective.eval_lr(),
        ..meta
    };
    save_set(&out.join("synthetic.safetensors"), &syn, &meta)?;
    save_png_grid(&out.join("synthetic.png"), &syn, &meta.preprocess)?;
    let run_report = RunReport {
        settings: &s,
        objective_config: objective_json,
        noise,
        distill: report,
        baseline,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    write_atomic(
        &out.join("report.json"),
        &serde_json::to_vec_pretty(&run_report)?,
    )?;
    print_table(&run_report, &out)?;
    Ok(())
}

fn print_table(r: &RunReport<'_>, out: &Path) -> Result<()> {
    let s = r.settings;
    let mut w = std::io::stdout().lock();
    writeln!(
        w,
        "{} on {} (noise {}), IPC {}, {} iterations, ConvNet-{} width {}: distill {:.1} s, evaluation {:.1} s, total {:.1} s",
        s.objective.to_uppercase(), s.dataset, s.noise, s.ipc, r.distill.iterations, s.depth, s.width,
        r.distill.distill_seconds, r.distill.eval_seconds, r.total_seconds
    )?;
    writeln!(
        w,
        "| set | network | runs x epochs | test accuracy (mean ± std) |"
    )?;
    writeln!(w, "|---|---|---|---|")?;
    let mut rows: Vec<(&str, &EvalReport)> = Vec::new();
    if let Some(b) = &r.baseline {
        rows.push(("random real (init)", b));
    }
    if let Some(last) = r.distill.evaluations.last() {
        rows.push(("distilled", &last.report));
    }
    for (name, rep) in rows {
        for a in &rep.architectures {
            writeln!(
                w,
                "| {name} | {} | {} x {} | {:.2} ± {:.2}% |",
                a.name,
                s.eval_runs,
                s.eval_epochs,
                100.0 * a.mean,
                100.0 * a.std
            )?;
        }
    }
    writeln!(
        w,
        "wrote {}/{{synthetic.safetensors, synthetic.png, report.json}}",
        out.display()
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: DistillArgs,
    }

    #[test]
    fn flags_override_the_file_which_overrides_defaults() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("trustdd-distill-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("run.toml");
        std::fs::write(
            &file,
            "objective = \"dsa\"\nipc = 1\niterations = 7\neval_archs = [\"mlp\"]\n",
        )?;
        let w = Wrapper::try_parse_from([
            "x",
            "--config",
            file.to_str().context("utf-8 path")?,
            "--iterations",
            "3",
        ])?;
        let s = w.args.settings()?;
        assert_eq!((s.objective.as_str(), s.ipc, s.iterations), ("dsa", 1, 3));
        assert_eq!(s.eval_archs, vec!["mlp".to_string()]);
        assert_eq!(s.real_batch, DistillSettings::default().real_batch);
        std::fs::write(&file, "objektive = \"dm\"\n")?;
        let w = Wrapper::try_parse_from(["x", "--config", file.to_str().context("utf-8 path")?])?;
        assert!(w.args.settings().is_err(), "unknown keys are refused");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
