//! The options of `trustdd distill`: a [`RunConfig`] from a TOML file (or the main job's
//! defaults), then flags that override its fields, then `--set path=value` for any field.

use crate::archs::parse_archs;
use crate::config_file::{named, read_toml};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use trustdd_nn::{ArchConfig, ConvNetConfig};
use trustdd_noise::NoiseConfig;
use trustdd_ood::GeneratorList;
use trustdd_pipeline::{ObjectiveConfig, OutlierSource, RankingConfig, RunConfig};

/// Options of `trustdd distill`. Each flag overrides the `--config` file's field it names;
/// `--set` reaches every other field.
#[derive(Debug, Args)]
pub struct DistillArgs {
    /// A TOML file holding a `RunConfig` (any subset of its fields; `--print-config` shows all).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the effective configuration as TOML (the run's reproducibility record, as stored
    /// in report.json) and exit without running.
    #[arg(long)]
    print_config: bool,
    /// Set any field by its path in the configuration, `--set objective.momentum=0.9` (the value
    /// is TOML: numbers, true/false, "strings", [lists], {tables}); applied after the other flags.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Evaluation protocol: dsa (per-sample DSA; default) or dc (no augmentation, DC's protocol
    /// except MNIST).
    #[arg(long)]
    eval_protocol: Option<String>,
    /// DSA groups for every DSA setting, as the references' --dsa_strategy
    /// (color_crop_cutout_flip_scale_rotate; default: the dataset's, no flip for digits).
    #[arg(long)]
    dsa_strategy: Option<String>,
    /// ZCA-whiten the data (raw pixels, ε 0.1, as the MTT reference's --zca).
    #[arg(long)]
    zca: Option<bool>,
    /// Dataset: embedded (10k MNIST digits compiled into the program), mnist, fashion-mnist,
    /// kmnist, cifar10, cifar100, tiny-imagenet, folder:<path>.
    #[arg(long)]
    dataset: Option<String>,
    /// Folder holding `<dataset>/` (default: $TRUSTDD_DATA).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use only the first N training images.
    #[arg(long)]
    train_limit: Option<usize>,
    /// Hold out this fraction of each training class as a validation split (default 0).
    #[arg(long)]
    val_split: Option<f64>,
    /// Label-noise model (default asym:0.4; none for clean labels; e.g. sym:0.4).
    #[arg(long)]
    noise: Option<String>,
    /// dm, dc, dsa or mtt: replaces the objective table with that objective's main-job preset
    /// (default dm).
    #[arg(long)]
    objective: Option<String>,
    /// Images per class (default 10).
    #[arg(long)]
    ipc: Option<usize>,
    /// Iterations (default 100).
    #[arg(long)]
    iterations: Option<usize>,
    /// Real images per class per step (DM, DC, DSA; default 64).
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
    /// ConvNet width of the distillation network and of every evaluation ConvNet (default 32).
    #[arg(long)]
    width: Option<usize>,
    /// ConvNet depth, as --width (default 3).
    #[arg(long)]
    depth: Option<usize>,
    /// real or noise (default real).
    #[arg(long)]
    init: Option<String>,
    /// Seed of everything (default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// cpu, cuda, cuda:N or auto (default cpu).
    #[arg(long)]
    device: Option<String>,
    /// Output directory (default runs/<dataset>-<objective>-ipc<N>-seed<S>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Evaluate every N iterations (0: only at the end).
    #[arg(long)]
    eval_every: Option<usize>,
    /// Evaluation networks: convnet, mlp, lenet, alexnet, vgg11, resnet18.
    #[arg(long, value_delimiter = ',')]
    eval_archs: Option<Vec<String>>,
    /// Runs (network seeds) per evaluation network (default 3).
    #[arg(long)]
    eval_runs: Option<usize>,
    /// Training epochs of each evaluation network (default 100).
    #[arg(long)]
    eval_epochs: Option<usize>,
    /// Also evaluate the initial set (random real images).
    #[arg(long)]
    baseline: Option<bool>,
    /// Write a checkpoint every N iterations (0: never); a rerun resumes from it.
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// MTT: number of experts (default 2).
    #[arg(long)]
    mtt_experts: Option<usize>,
    /// MTT: epochs per expert (default 5).
    #[arg(long)]
    mtt_expert_epochs: Option<usize>,
    /// MTT: student steps per iteration (default 10).
    #[arg(long)]
    mtt_syn_steps: Option<usize>,
    /// MTT: expert epochs the student must cover (default 2).
    #[arg(long)]
    mtt_match_epochs: Option<usize>,
    /// MTT: start epochs are drawn below this (default 3).
    #[arg(long)]
    mtt_max_start: Option<usize>,
    /// MTT: learn soft labels initialised from expert logits (DATM).
    #[arg(long)]
    soft_labels: Option<bool>,
    /// MTT: synthetic images per student step (default: the whole set).
    #[arg(long)]
    mtt_batch_syn: Option<usize>,
    /// Trust partitioner: tad, cross_fit (for class-conditional noise; with `--set
    /// trust.diversion=soft`) or none (default tad).
    #[arg(long)]
    trust: Option<String>,
    /// Refit the partition every N iterations (default 50).
    #[arg(long)]
    trust_refresh: Option<usize>,
    /// Partitioner rounds before the set is initialised from trusted images (default 2).
    #[arg(long)]
    trust_warmup_rounds: Option<usize>,
    /// MTT with a partitioner: refit every N expert epochs (default 5).
    #[arg(long)]
    trust_refresh_epochs: Option<usize>,
    /// With noise, also distil from the clean labels and (with a partitioner) from the noisy
    /// labels without it (default true).
    #[arg(long)]
    compare: Option<bool>,
    /// Outliers distilled beside the set: none, poe, a generator list
    /// (jigsaw,invert,pixelate:0.2,speckle:1,mix:0.5), or a dataset name (digits = embedded).
    #[arg(long)]
    outliers: Option<String>,
    /// MTT runs: iterations of the separate outlier-set run (default: --iterations).
    #[arg(long)]
    outlier_iterations: Option<usize>,
    /// OOD sets: gaussian, rademacher, blobs, uniform, corrupt:<generators>, digits, mnist-10k, or a dataset name.
    #[arg(long, value_delimiter = ',')]
    ood_sets: Option<Vec<String>>,
    /// λ of CE + λ·L_OE (default 0.5).
    #[arg(long)]
    ood_lambda: Option<f64>,
    /// DD-Ranking's metrics for the set: hard-label recovery against a network trained on the
    /// full training set, improvement over random real subsets, label-robust score.
    #[arg(long)]
    dd_ranking: Option<bool>,
    /// DD-Ranking: epochs of the full-data network (default 200; the rate decays at half).
    #[arg(long)]
    ranking_full_epochs: Option<usize>,
    /// DD-Ranking: labels of the random subsets and the full data, observed (default) or clean.
    #[arg(long)]
    ranking_labels: Option<String>,
    /// DD-Ranking: folder caching full-data accuracies (default runs/cache).
    #[arg(long)]
    ranking_cache: Option<PathBuf>,
}

/// An error for a flag that the configured objective does not have.
fn not_for(flag: &str, objective: &ObjectiveConfig) -> anyhow::Error {
    anyhow::anyhow!(
        "invalid --{flag}: objective {} has no such setting",
        objective.kind()
    )
}

impl DistillArgs {
    /// Whether only the configuration is wanted.
    pub fn print_config(&self) -> bool {
        self.print_config
    }

    /// The run's configuration: the file (or the defaults), the flags, then `--set`.
    pub fn config(&self) -> Result<RunConfig> {
        let mut c: RunConfig = match &self.config {
            Some(path) => read_toml(path)?,
            None => RunConfig::default(),
        };
        if let Some(name) = &self.objective {
            c.objective = ObjectiveConfig::preset(name)?;
        }
        self.apply_flags(&mut c)?;
        for item in &self.set {
            c = set_field(&c, item)?;
        }
        Ok(c)
    }

    fn apply_flags(&self, c: &mut RunConfig) -> Result<()> {
        macro_rules! copy {
            ($($flag:ident => $($field:ident).+),* $(,)?) => {
                $( if let Some(v) = &self.$flag { c.$($field).+ = v.clone(); } )*
            };
        }
        copy!(
            dataset => data.dataset, train_limit => data.train_limit, ipc => ipc,
            val_split => val_split,
            iterations => iterations, seed => seed, device => device, eval_every => eval_every,
            eval_runs => eval.runs, eval_epochs => eval.train.epochs, baseline => baseline,
            checkpoint_every => checkpoint_every, trust_refresh => trust.refresh, zca => zca,
            trust_warmup_rounds => trust.warmup_rounds, compare => compare,
            trust_refresh_epochs => trust.refresh_epochs, ood_lambda => outliers.lambda,
            ood_sets => outliers.ood_sets,
        );
        if self.data_dir.is_some() {
            c.data.data_dir = self.data_dir.clone();
        }
        if self.out.is_some() {
            c.out = self.out.clone();
        }
        if self.outlier_iterations.is_some() {
            c.outliers.iterations = self.outlier_iterations;
        }
        if let Some(spec) = &self.noise {
            c.noise = NoiseConfig::parse(spec)?;
        }
        if let Some(protocol) = &self.eval_protocol {
            c.eval_protocol = named("eval protocol", protocol)?;
        }
        if self.dsa_strategy.is_some() {
            c.dsa_strategy = self.dsa_strategy.clone();
        }
        if let Some(init) = &self.init {
            c.init = named("init", init)?;
        }
        if let Some(trust) = &self.trust {
            c.partitioner = named("trust partitioner", trust)?;
        }
        if let Some(o) = &self.outliers {
            c.outliers.source = outlier_source(o);
        }
        self.apply_objective_flags(&mut c.objective)?;
        self.apply_ranking_flags(c)?;
        if self.width.is_some() || self.depth.is_some() {
            let resize = |arch: &mut ArchConfig| {
                if let ArchConfig::ConvNet(n) = arch {
                    n.width = self.width.unwrap_or(n.width);
                    n.depth = self.depth.unwrap_or(n.depth);
                }
            };
            let mut arch = c.objective.arch().clone();
            if !matches!(arch, ArchConfig::ConvNet(_)) {
                arch = ArchConfig::ConvNet(ConvNetConfig::default());
            }
            resize(&mut arch);
            c.objective.set_arch(arch);
            c.eval.architectures.iter_mut().for_each(resize);
        }
        if let Some(names) = &self.eval_archs {
            let convnet = match c.objective.arch() {
                ArchConfig::ConvNet(n) => (n.width, n.depth),
                _ => (32, 3),
            };
            c.eval.architectures = parse_archs(names, convnet.0, convnet.1)?;
        }
        Ok(())
    }

    fn apply_ranking_flags(&self, c: &mut RunConfig) -> Result<()> {
        match self.dd_ranking {
            Some(false) => c.ranking = None,
            Some(true) if c.ranking.is_none() => {
                c.ranking = Some(RankingConfig {
                    cache_dir: Some(PathBuf::from("runs/cache")),
                    ..RankingConfig::default()
                });
            }
            _ => {}
        }
        let flags = self.ranking_full_epochs.is_some()
            || self.ranking_labels.is_some()
            || self.ranking_cache.is_some();
        if !flags {
            return Ok(());
        }
        let Some(r) = c.ranking.as_mut() else {
            bail!("invalid --ranking-*: DD-Ranking is off (add --dd-ranking true)");
        };
        if let Some(epochs) = self.ranking_full_epochs {
            r.full_data.epochs = epochs;
            r.full_data.lr_decay_epochs = None;
        }
        if let Some(labels) = &self.ranking_labels {
            r.labels = named("ranking labels", labels)?;
        }
        if self.ranking_cache.is_some() {
            r.cache_dir = self.ranking_cache.clone();
        }
        Ok(())
    }

    fn apply_objective_flags(&self, o: &mut ObjectiveConfig) -> Result<()> {
        if let Some(lr) = self.lr_img {
            match o {
                ObjectiveConfig::Dm(c) => c.lr_img = lr,
                ObjectiveConfig::Dc(c) | ObjectiveConfig::Dsa(c) => c.lr_img = lr,
                ObjectiveConfig::Mtt(c) => c.mtt.lr_img = lr,
            }
        }
        if let Some(b) = self.real_batch {
            match o {
                ObjectiveConfig::Dm(c) => c.real_batch = b,
                ObjectiveConfig::Dc(c) | ObjectiveConfig::Dsa(c) => c.real_batch = b,
                ObjectiveConfig::Mtt(_) => return Err(not_for("real-batch", o)),
            }
        }
        if self.outer_loop.is_some() || self.inner_loop.is_some() {
            match o {
                ObjectiveConfig::Dc(c) | ObjectiveConfig::Dsa(c) => {
                    c.outer_loop = self.outer_loop.or(c.outer_loop);
                    c.inner_loop = self.inner_loop.or(c.inner_loop);
                }
                _ => return Err(not_for("outer-loop / --inner-loop", o)),
            }
        }
        let mtt_flags = [
            self.mtt_experts,
            self.mtt_expert_epochs,
            self.mtt_syn_steps,
            self.mtt_match_epochs,
            self.mtt_max_start,
            self.mtt_batch_syn,
        ];
        if mtt_flags.iter().all(Option::is_none) && self.soft_labels.is_none() {
            return Ok(());
        }
        let ObjectiveConfig::Mtt(m) = o else {
            return Err(not_for("mtt-* / --soft-labels", o));
        };
        m.experts.experts = self.mtt_experts.unwrap_or(m.experts.experts);
        m.experts.epochs = self.mtt_expert_epochs.unwrap_or(m.experts.epochs);
        m.mtt.syn_steps = self.mtt_syn_steps.unwrap_or(m.mtt.syn_steps);
        m.mtt.expert_epochs = self.mtt_match_epochs.unwrap_or(m.mtt.expert_epochs);
        m.mtt.max_start_epoch = self.mtt_max_start.unwrap_or(m.mtt.max_start_epoch);
        m.mtt.batch_syn = self.mtt_batch_syn.or(m.mtt.batch_syn);
        m.soft_labels = self.soft_labels.unwrap_or(m.soft_labels);
        Ok(())
    }
}

/// `--outliers`: none, a generator list (`poe` included), or a dataset name.
fn outlier_source(spec: &str) -> OutlierSource {
    if spec == "none" {
        OutlierSource::None
    } else if GeneratorList::parse(spec).is_ok() {
        OutlierSource::Generators { spec: spec.into() }
    } else {
        OutlierSource::Dataset { name: spec.into() }
    }
}

/// `config` with the field at `item`'s dotted path set to its TOML value (a bare word that is
/// not TOML is taken as a string), checked by deserialising the whole configuration again.
fn set_field(config: &RunConfig, item: &str) -> Result<RunConfig> {
    let (path, text) = item
        .split_once('=')
        .with_context(|| format!("invalid --set {item:?}: expected PATH=VALUE"))?;
    let path = path.trim();
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.trim().to_string()));
    let mut tree = toml::Value::try_from(config).context("rendering the configuration")?;
    let mut node = &mut tree;
    let keys: Vec<&str> = path.split('.').collect();
    for (k, key) in keys.iter().enumerate() {
        let table = node.as_table_mut().with_context(|| {
            format!(
                "invalid --set {path}: {} is not a table",
                keys[..k].join(".")
            )
        })?;
        if k + 1 == keys.len() {
            table.insert(key.to_string(), value.clone());
            break;
        }
        // An unset optional table is created, so that `--set outliers.objective.kind=dm` works.
        node = table
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    }
    let updated: RunConfig = tree
        .try_into()
        .map_err(|e: toml::de::Error| anyhow::anyhow!("invalid --set {item}: {}", e.message()))?;
    if path.is_empty() {
        bail!("invalid --set {item:?}: empty path");
    }
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use trustdd_pipeline::PartitionerConfig;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: DistillArgs,
    }

    fn config(args: &[&str]) -> Result<RunConfig> {
        let w = Wrapper::try_parse_from(std::iter::once("x").chain(args.iter().copied()))?;
        w.args.config()
    }

    #[test]
    fn flags_override_the_file_and_set_reaches_any_field() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("run.toml");
        std::fs::write(
            &file,
            "ipc = 1\niterations = 7\n[objective]\nkind = \"dsa\"\nreal_batch = 16\n",
        )?;
        let path = file.to_str().context("utf-8 path")?;
        let c = config(&["--config", path, "--iterations", "9"])?;
        assert_eq!((c.ipc, c.iterations), (1, 9));
        let ObjectiveConfig::Dsa(o) = &c.objective else {
            bail!("dsa from the file expected: {:?}", c.objective)
        };
        assert_eq!(o.real_batch, 16);
        let c = config(&[
            "--config",
            path,
            "--set",
            "objective.momentum=0.9",
            "--set",
            "partitioner.kind=none",
            "--width",
            "16",
        ])?;
        let ObjectiveConfig::Dsa(o) = &c.objective else {
            bail!("dsa expected")
        };
        assert_eq!(o.momentum, 0.9);
        assert_eq!(c.partitioner, PartitionerConfig::None);
        assert!(matches!(&o.arch, ArchConfig::ConvNet(n) if n.width == 16));
        // The whole configuration round-trips through the TOML `--print-config` writes.
        let text = toml::to_string(&c)?;
        assert_eq!(toml::from_str::<RunConfig>(&text)?, c);
        Ok(())
    }

    /// A TAD option that is `None` by default is switched on by a TOML table through `--set`,
    /// unset fields keeping their defaults, and a bad value names the field.
    #[test]
    fn forward_correction_is_set_as_a_table() -> Result<()> {
        let c = config(&["--set", "partitioner.proxy.forward_correction={epochs=3}"])?;
        let PartitionerConfig::Tad(t) = &c.partitioner else {
            bail!("tad expected: {:?}", c.partitioner)
        };
        let fc = t
            .proxy
            .forward_correction
            .context("forward correction set")?;
        assert_eq!((fc.epochs, fc.anchor_quantile), (3, 0.97));
        let err = config(&["--set", "partitioner.proxy.forward_correction={epochs=0}"])?
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("forward_correction.epochs"), "{err}");
        Ok(())
    }

    /// Soft diversion is a `trust` field; MTT refuses it by name.
    #[test]
    fn soft_diversion_is_set_by_path_and_refused_for_mtt() -> Result<()> {
        let c = config(&["--set", "trust.diversion=\"soft\""])?;
        assert_eq!(c.trust.diversion, trustdd_pipeline::Diversion::Soft);
        c.validate()?;
        assert_eq!(
            config(&[])?.trust.diversion,
            trustdd_pipeline::Diversion::Hard
        );
        let err = config(&["--objective", "mtt", "--set", "trust.diversion=soft"])?
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("trust.diversion"), "{err}");
        assert!(config(&["--set", "trust.diversion=\"softest\""]).is_err());
        Ok(())
    }

    /// Issue 18's other options are plain fields: co-divide, the warm-up's confidence
    /// penalty and the rounds' mixup, a negative weight named in the error.
    #[test]
    fn co_divide_and_the_confidence_penalty_are_set_by_path() -> Result<()> {
        let c = config(&[
            "--set",
            "partitioner.co_divide=true",
            "--set",
            "partitioner.proxy.warmup_confidence_penalty=1.0",
            "--set",
            "partitioner.proxy.round_mixup_alpha=4.0",
        ])?;
        let PartitionerConfig::Tad(t) = &c.partitioner else {
            bail!("tad expected: {:?}", c.partitioner)
        };
        assert!(t.co_divide);
        assert_eq!(t.proxy.warmup_confidence_penalty, 1.0);
        assert_eq!(t.proxy.round_mixup_alpha, 4.0);
        let PartitionerConfig::Tad(d) = &config(&[])?.partitioner else {
            bail!("tad is the default partitioner")
        };
        assert!(!d.co_divide && d.proxy.warmup_confidence_penalty == 0.0);
        assert_eq!(d.proxy.round_mixup_alpha, 0.0);
        let err = config(&["--set", "partitioner.proxy.warmup_confidence_penalty=-1"])?
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("warmup_confidence_penalty"), "{err}");
        Ok(())
    }

    #[test]
    fn bad_flags_name_what_was_wrong() {
        let msg = |args: &[&str]| config(args).unwrap_err().to_string();
        assert!(msg(&["--trust", "frob"]).contains("frob"));
        assert!(msg(&["--set", "objective.momentun=1"]).contains("momentun"));
        assert!(msg(&["--set", "ipc=\"ten\""]).contains("ipc"));
        assert!(msg(&["--real-batch", "8", "--objective", "mtt"]).contains("mtt"));
        assert!(msg(&["--mtt-syn-steps", "3"]).contains("dm"));
        assert!(msg(&["--set", "ipc"]).contains("PATH=VALUE"));
        assert!(msg(&["--ranking-full-epochs", "3"]).contains("--dd-ranking"));
        assert!(msg(&["--dd-ranking", "true", "--ranking-labels", "frob"]).contains("frob"));
    }

    #[test]
    fn ranking_flags_fill_the_ranking_config() -> Result<()> {
        use trustdd_pipeline::ReferenceLabels;
        assert_eq!(config(&[])?.ranking, None);
        let c = config(&["--dd-ranking", "true"])?;
        let r = c.ranking.context("ranking on")?;
        assert_eq!(r.full_data.epochs, 200);
        assert_eq!(r.cache_dir, Some(PathBuf::from("runs/cache")));
        let c = config(&[
            "--dd-ranking",
            "true",
            "--ranking-full-epochs",
            "10",
            "--ranking-labels",
            "clean",
            "--ranking-cache",
            "/tmp/x",
        ])?;
        let r = c.ranking.context("ranking on")?;
        assert_eq!(r.full_data.epochs, 10);
        assert_eq!(r.full_data.decay_epochs(), vec![5]);
        assert_eq!(r.labels, ReferenceLabels::Clean);
        assert_eq!(r.cache_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(config(&["--dd-ranking", "false"])?.ranking, None);
        Ok(())
    }
}
