//! `trustdd eval`: train fresh networks on a saved synthetic set and report test accuracy.

use crate::commands::distill::{eval_config, parse_archs};
use crate::data_args::DataArgs;
use crate::progress_bar::Bars;
use anyhow::{bail, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use trustdd_core::select_device;
use trustdd_distill::{evaluate_set, load_set};

/// Options of `trustdd eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The set written by `trustdd distill` (`synthetic.safetensors`).
    set: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Comma-separated networks: convnet, mlp, lenet, alexnet, vgg11, resnet18.
    #[arg(long, value_delimiter = ',', default_value = "convnet")]
    archs: Vec<String>,
    /// Runs (network seeds) per network.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Training epochs per run.
    #[arg(long, default_value_t = 300)]
    epochs: usize,
    /// Learning rate (default: the set's learnt rate if it has one, else 0.01).
    #[arg(long)]
    lr: Option<f64>,
    /// ConvNet width and depth for `convnet`.
    #[arg(long, default_value_t = 32)]
    width: usize,
    /// ConvNet depth.
    #[arg(long, default_value_t = 3)]
    depth: usize,
    /// Seed of the evaluation runs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// Runs `trustdd eval`: prints mean ± std per network.
pub fn run(args: &EvalArgs, quiet: bool) -> Result<()> {
    let device = select_device(&args.device)?;
    let (set, meta) = load_set(&args.set, &device)?;
    let (_, test) = args.data.load()?;
    if test.shape() != meta.shape || test.num_classes() != set.num_classes {
        bail!(
            "{}: set is {} with {} classes but test set {} is {} with {} classes",
            args.set.display(),
            meta.shape,
            set.num_classes,
            test.name(),
            test.shape(),
            test.num_classes()
        );
    }
    let mut eval = eval_config(
        parse_archs(&args.archs, args.width, args.depth)?,
        args.runs,
        args.epochs,
        meta.shape.channels,
    );
    if let Some(lr) = args.lr.or(meta.eval_lr) {
        eval.train.lr = lr;
    }
    let bars = Bars::new(quiet);
    let report = evaluate_set(&set, &test, &eval, args.seed, &device, &bars)?;
    bars.finish();
    let mut w = std::io::stdout().lock();
    writeln!(
        w,
        "{} ({} from {}, IPC {}) on {} test images",
        args.set.display(),
        meta.objective,
        meta.dataset,
        set.ipc,
        test.len()
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
            args.runs,
            args.epochs,
            100.0 * a.mean,
            100.0 * a.std
        )?;
    }
    Ok(())
}
