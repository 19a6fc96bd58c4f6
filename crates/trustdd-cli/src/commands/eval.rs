//! `trustdd eval`: train fresh networks on a saved synthetic set and report test accuracy.

use crate::archs::{eval_config, parse_archs};
use crate::data_args::DataArgs;
use crate::progress_bar::Bars;
use anyhow::{bail, Result};
use candle_core::Device;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use trustdd_core::{select_device, ImageDataset, SyntheticSet};
use trustdd_distill::{evaluate_set, load_set, SetMetadata};
use trustdd_train::EvalConfig;

/// How a saved set is evaluated (shared by `trustdd eval` and `trustdd ood`).
#[derive(Debug, Args)]
pub struct EvalOptions {
    /// Comma-separated networks: convnet, mlp, lenet, alexnet, vgg11, resnet18.
    #[arg(long, value_delimiter = ',', default_value = "convnet")]
    pub archs: Vec<String>,
    /// Runs (network seeds) per network.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Training epochs per run.
    #[arg(long, default_value_t = 300)]
    pub epochs: usize,
    /// Learning rate (default: the set's learnt rate if it has one, else 0.01).
    #[arg(long)]
    pub lr: Option<f64>,
    /// ConvNet width for `convnet`.
    #[arg(long, default_value_t = 32)]
    pub width: usize,
    /// ConvNet depth.
    #[arg(long, default_value_t = 3)]
    pub depth: usize,
    /// Seed of the evaluation runs.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// A loaded set with the test split it is evaluated on.
pub struct Loaded {
    /// The synthetic set.
    pub set: SyntheticSet,
    /// Its metadata.
    pub meta: SetMetadata,
    /// The test split.
    pub test: ImageDataset,
    /// Where tensors live.
    pub device: Device,
    /// The evaluation protocol.
    pub eval: EvalConfig,
}

impl EvalOptions {
    /// Loads `path` and the test split of `data`, checks they match, and builds the protocol.
    pub fn load(&self, path: &Path, data: &DataArgs) -> Result<Loaded> {
        let device = select_device(&self.device)?;
        let (set, meta) = load_set(path, &device)?;
        let (_, test) = data.load()?;
        if test.shape() != meta.shape || test.num_classes() != set.num_classes {
            bail!(
                "{}: set is {} with {} classes but test set {} is {} with {} classes",
                path.display(),
                meta.shape,
                set.num_classes,
                test.name(),
                test.shape(),
                test.num_classes()
            );
        }
        let mut eval = eval_config(
            parse_archs(&self.archs, self.width, self.depth)?,
            self.runs,
            self.epochs,
            test.name(),
        );
        if let Some(lr) = self.lr.or(meta.eval_lr) {
            eval.train.lr = lr;
        }
        Ok(Loaded {
            set,
            meta,
            test,
            device,
            eval,
        })
    }
}

/// Options of `trustdd eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The set written by `trustdd distill` (`synthetic.safetensors`).
    set: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    options: EvalOptions,
}

/// Runs `trustdd eval`: prints mean ± std per network.
pub fn run(args: &EvalArgs, quiet: bool) -> Result<()> {
    let l = args.options.load(&args.set, &args.data)?;
    let bars = Bars::new(quiet);
    let report = evaluate_set(
        &l.set,
        &l.test,
        &l.eval,
        args.options.seed,
        &l.device,
        &bars,
    )?;
    bars.finish();
    let mut w = std::io::stdout().lock();
    writeln!(
        w,
        "{} ({} from {}, IPC {}) on {} test images",
        args.set.display(),
        l.meta.objective,
        l.meta.dataset,
        l.set.ipc,
        l.test.len()
    )?;
    writeln!(
        w,
        "| network | runs x epochs | test accuracy (mean ± std) |"
    )?;
    writeln!(w, "|---|---|---|")?;
    for a in &report.architectures {
        writeln!(
            w,
            "| {} | {} x {} | {:.2} ± {:.2}% |",
            a.name,
            args.options.runs,
            args.options.epochs,
            100.0 * a.mean,
            100.0 * a.std
        )?;
    }
    Ok(())
}
