//! `trustdd noise`: apply a label-noise model to a dataset's training labels and report it.

use crate::data_args::DataArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use trustdd_core::{write_atomic, NoiseContext};
use trustdd_data::{CIFAR100_FINE_CLASSES, CIFAR10_CLASSES};
use trustdd_noise::{
    apply_with_report, corrupt_with_report, NoiseConfig, NoiseReport, CIFAR_N_DIR,
};

/// The `--dataset` value that works on a CIFAR-N label file alone (no images needed).
const LABELS_ONLY: &str = "labels-only";

/// Options of `trustdd noise`.
#[derive(Debug, Args)]
pub struct NoiseArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The noise model: none, sym:<rate>, asym:<rate>[:<map>], map:<rate>:<pairs>|@<file>,
    /// pair:<rate>, idn:<rate>, cifar10n:{aggre,random1,random2,random3,worse},
    /// cifar100n:noisy, file:<path>[:<tensor>]. With a CIFAR-N model, `--dataset labels-only`
    /// reads the clean labels from the CIFAR-N file (no CIFAR images needed).
    #[arg(long)]
    model: String,
    /// Seed of the noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `trustdd noise`: prints the report table, and writes the JSON when asked.
pub fn run(args: &NoiseArgs) -> Result<()> {
    let mut config = NoiseConfig::parse(&args.model)?;
    if let Some(dir) = args.data.folder() {
        config = config.with_data_dir(&dir);
    }
    let report = if args.data.dataset == LABELS_ONLY {
        labels_only_report(&config, args)?
    } else {
        let (train, _test) = args.data.load()?;
        let model = config.with_dataset_name(train.name()).build()?;
        apply_with_report(train, model.as_ref(), args.seed)?.1
    };
    let mut out = std::io::stdout().lock();
    write!(out, "{report}")?;
    if let Some(path) = &args.json {
        write_atomic(path, &serde_json::to_vec_pretty(&report)?)?;
        writeln!(out, "\nreport written to {}", path.display())?;
    }
    Ok(())
}

/// The report of a CIFAR-N model against the clean labels stored in its own file.
fn labels_only_report(config: &NoiseConfig, args: &NoiseArgs) -> Result<NoiseReport> {
    let NoiseConfig::CifarN { labels, dir } = config else {
        bail!("--dataset {LABELS_ONLY} needs a cifar10n:* or cifar100n:* model (it reads the clean labels from the CIFAR-N file), got {config}");
    };
    if args.data.train_limit > 0 {
        bail!("--train-limit does not apply to --dataset {LABELS_ONLY} (the label file covers all 50,000 images)");
    }
    let dir = dir
        .clone()
        .with_context(|| format!("no data folder for {labels}: pass --data-dir or set TRUSTDD_DATA (files in <dir>/{CIFAR_N_DIR})"))?;
    let model = config.build()?;
    let clean = labels.clean_labels(&dir)?;
    let ctx = NoiseContext {
        labels: &clean,
        num_classes: labels.num_classes(),
        dataset: None,
        seed: args.seed,
    };
    let names: Vec<String> = match labels.num_classes() {
        10 => CIFAR10_CLASSES.iter().map(|s| s.to_string()).collect(),
        _ => CIFAR100_FINE_CLASSES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let dataset = if labels.num_classes() == 10 {
        "cifar10"
    } else {
        "cifar100"
    };
    Ok(corrupt_with_report(model.as_ref(), &ctx)?
        .1
        .with_class_names(&names)
        .with_dataset(format!("{dataset} training labels")))
}
