//! The settings of `trustdd distill`: defaults (the main job), a TOML file, command-line flags.

use crate::config_file::read_toml;
use anyhow::Result;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
    /// MTT: synthetic images per student step (default: one per class, at most the whole set).
    /// The unrolled graph's memory grows linearly with it: about 0.4 GiB per image for 10 steps
    /// of ConvNet-3 width 32 on 28×28 digits (4.1 GiB at 10, 7.8 GiB at 20), so the whole set at
    /// IPC 10 (100 images, about 38 GiB) does not fit a 24 GiB machine.
    pub mtt_batch_syn: Option<usize>,
    /// Trust partitioning: `tad` (Trust-Aware Diversion: distil only from samples the
    /// partitioner trusts, with their working labels) or `none`.
    pub trust: String,
    /// TAD: refit the partition every N distillation iterations.
    pub trust_refresh: usize,
    /// TAD (DM, DC, DSA): rounds run before the synthetic set is initialised from trusted
    /// images (at least 1; the first round's warm-up proxy is the least precise).
    pub trust_warmup_rounds: usize,
    /// TAD with MTT: refit the partition every N expert epochs (counted across experts).
    pub trust_refresh_epochs: usize,
    /// TAD settings (TOML table `[tad]`; default: `trustdd_trust::TadConfig::default()` with the
    /// dataset's augmentation and at least IPC trusted samples per class).
    pub tad: Option<trustdd_trust::TadConfig>,
    /// With label noise, also distil with the clean labels and (when `trust` is on) with the
    /// noisy labels and no trust, and print all of them side by side.
    pub compare: bool,
    /// Outliers distilled beside the set (TrustDD): `none`, `poe` (pseudo-outliers from the
    /// four corruptions), a generator list (`jigsaw:4,pixelate:0.25,...`), or a dataset name
    /// (`digits` for the embedded MNIST digits) of the same image shape.
    pub outliers: String,
    /// Iterations for the outlier set (default: `iterations`).
    pub outlier_iterations: Option<usize>,
    /// OOD sets for the OOD table: gaussian, uniform, corrupt:<generators>, digits, or a dataset
    /// name (default: noise images, `corrupt:mix`, and the digits for Fashion-MNIST and KMNIST).
    pub ood_sets: Vec<String>,
    /// Weight λ of the outlier-exposure loss when training on the distilled data.
    pub ood_lambda: f64,
    /// Score shown in the OOD table: msp, max_logit or energy (the JSON report holds all three).
    pub ood_score: String,
}

impl Default for DistillSettings {
    fn default() -> Self {
        Self {
            dataset: "embedded".into(),
            data_dir: None,
            train_limit: 0,
            noise: "asym:0.4".into(),
            objective: "dm".into(),
            ipc: 10,
            iterations: 100,
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
            eval_archs: vec!["convnet".into()],
            eval_runs: 3,
            eval_epochs: 100,
            baseline: false,
            checkpoint_every: 0,
            mtt_experts: 2,
            mtt_expert_epochs: 5,
            mtt_syn_steps: 10,
            mtt_match_epochs: 2,
            mtt_max_start: 3,
            soft_labels: false,
            mtt_batch_syn: None,
            trust: "tad".into(),
            trust_refresh: 50,
            trust_warmup_rounds: 2,
            trust_refresh_epochs: 5,
            tad: None,
            compare: true,
            outliers: "none".into(),
            outlier_iterations: None,
            ood_sets: Vec::new(),
            ood_lambda: trustdd_ood::DEFAULT_LAMBDA,
            ood_score: "energy".into(),
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
    /// Label-noise model (default asym:0.4; none for clean labels; e.g. sym:0.4).
    #[arg(long)]
    noise: Option<String>,
    /// dm, dc, dsa or mtt (default dm).
    #[arg(long)]
    objective: Option<String>,
    /// Images per class (default 10).
    #[arg(long)]
    ipc: Option<usize>,
    /// Iterations (default 100).
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
    /// Comma-separated evaluation networks (default convnet).
    #[arg(long, value_delimiter = ',')]
    eval_archs: Option<Vec<String>>,
    /// Runs per evaluation network (default 3).
    #[arg(long)]
    eval_runs: Option<usize>,
    /// Epochs per evaluation run (default 100).
    #[arg(long)]
    eval_epochs: Option<usize>,
    /// Evaluate the initial set too: true or false (default false).
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
    /// MTT: synthetic images per student step (default: the whole set).
    #[arg(long)]
    mtt_batch_syn: Option<usize>,
    /// Trust partitioning: tad (default) or none.
    #[arg(long)]
    trust: Option<String>,
    /// TAD: refit every N iterations (default 50).
    #[arg(long)]
    trust_refresh: Option<usize>,
    /// TAD: rounds before the synthetic set is initialised (default 2).
    #[arg(long)]
    trust_warmup_rounds: Option<usize>,
    /// TAD with MTT: refit every N expert epochs (default 5).
    #[arg(long)]
    trust_refresh_epochs: Option<usize>,
    /// With noise, also run clean-label and no-trust distillations for comparison: true or
    /// false (default true).
    #[arg(long)]
    compare: Option<bool>,
    /// Outliers: none (default), poe, a generator list, or a dataset name.
    #[arg(long)]
    outliers: Option<String>,
    /// Iterations for the outlier set (default: --iterations).
    #[arg(long)]
    outlier_iterations: Option<usize>,
    /// Comma-separated OOD sets (default by dataset; see the TOML key).
    #[arg(long, value_delimiter = ',')]
    ood_sets: Option<Vec<String>>,
    /// Weight λ of the outlier-exposure loss (default 0.5).
    #[arg(long)]
    ood_lambda: Option<f64>,
    /// Score in the OOD table: msp, max_logit or energy (default energy).
    #[arg(long)]
    ood_score: Option<String>,
}

impl DistillArgs {
    /// The settings: defaults, then the file, then the flags.
    pub fn settings(&self) -> Result<DistillSettings> {
        let mut s = match &self.config {
            Some(path) => read_toml(path)?,
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
        over!(
            mtt_max_start,
            soft_labels,
            outliers,
            ood_sets,
            ood_lambda,
            ood_score
        );
        over!(
            trust,
            trust_refresh,
            trust_warmup_rounds,
            trust_refresh_epochs,
            compare
        );
        macro_rules! over_opt {
            ($($f:ident),*) => { $( if self.$f.is_some() { s.$f = self.$f.clone(); } )* };
        }
        over_opt!(
            data_dir,
            lr_img,
            outer_loop,
            inner_loop,
            out,
            mtt_batch_syn,
            outlier_iterations
        );
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;
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

    #[test]
    fn every_flag_overrides_its_setting() -> Result<()> {
        // One non-default value per flag; a flag that is parsed but not copied into the settings
        // leaves its key at the default and fails here.
        let flags: &[(&str, &str)] = &[
            ("--dataset", "mnist"),
            ("--data-dir", "/data"),
            ("--train-limit", "7"),
            ("--noise", "sym:0.2"),
            ("--objective", "dsa"),
            ("--ipc", "3"),
            ("--iterations", "9"),
            ("--real-batch", "11"),
            ("--lr-img", "0.5"),
            ("--outer-loop", "2"),
            ("--inner-loop", "4"),
            ("--width", "16"),
            ("--depth", "2"),
            ("--init", "noise"),
            ("--seed", "5"),
            ("--device", "auto"),
            ("--out", "/tmp/x"),
            ("--eval-every", "3"),
            ("--eval-archs", "mlp,lenet"),
            ("--eval-runs", "2"),
            ("--eval-epochs", "8"),
            ("--baseline", "true"),
            ("--checkpoint-every", "4"),
            ("--mtt-experts", "3"),
            ("--mtt-expert-epochs", "6"),
            ("--mtt-syn-steps", "4"),
            ("--mtt-match-epochs", "3"),
            ("--mtt-max-start", "2"),
            ("--soft-labels", "true"),
            ("--mtt-batch-syn", "5"),
            ("--trust", "none"),
            ("--trust-refresh", "100"),
            ("--trust-warmup-rounds", "3"),
            ("--trust-refresh-epochs", "2"),
            ("--compare", "false"),
            ("--outliers", "poe"),
            ("--outlier-iterations", "12"),
            ("--ood-sets", "gaussian"),
            ("--ood-lambda", "0.25"),
            ("--ood-score", "msp"),
        ];
        let mut argv = vec!["x"];
        for (flag, value) in flags {
            argv.extend([*flag, *value]);
        }
        let s = Wrapper::try_parse_from(argv)?.args.settings()?;
        let (got, default) = (
            serde_json::to_value(&s)?,
            serde_json::to_value(DistillSettings::default())?,
        );
        let keys: Vec<&String> = default
            .as_object()
            .context("settings object")?
            .keys()
            .collect();
        // `tad` is a TOML table only (no flag).
        assert_eq!(
            keys.len(),
            flags.len() + 1,
            "a setting has no flag in this test"
        );
        for key in keys.into_iter().filter(|k| k.as_str() != "tad") {
            assert_ne!(
                got[key],
                default[key],
                "--{} did not override {key}",
                key.replace('_', "-")
            );
        }
        Ok(())
    }
}
