//! `trustdd ood`: train fresh networks on a saved synthetic set (with its distilled outliers,
//! if asked) and print OOD-detection metrics against a list of OOD sets.

use crate::commands::eval::EvalOptions;
use crate::data_args::DataArgs;
use crate::ood_table::print_ood_table;
use crate::progress_bar::Bars;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use trustdd_core::write_atomic;
use trustdd_distill::load_set;
use trustdd_ood::{evaluate_ood, OodEvalConfig, DEFAULT_LAMBDA};
use trustdd_pipeline::{build_ood_sets, default_ood_sets};

/// Options of `trustdd ood`.
#[derive(Debug, Args)]
pub struct OodArgs {
    /// The set written by `trustdd distill` (`synthetic.safetensors`).
    set: PathBuf,
    /// Its outlier set (`outliers.safetensors`, written by `trustdd distill --outliers`): also
    /// evaluate networks trained with outlier exposure.
    #[arg(long)]
    outliers: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    options: EvalOptions,
    /// Comma-separated OOD sets: gaussian, rademacher, blobs, uniform, corrupt:<generators>,
    /// digits, or a dataset name (default: the noise sets, corrupt:mix, and the digits for
    /// Fashion-MNIST and KMNIST).
    #[arg(long, value_delimiter = ',')]
    ood_sets: Option<Vec<String>>,
    /// Weight λ of the outlier-exposure loss.
    #[arg(long, default_value_t = DEFAULT_LAMBDA)]
    lambda: f64,
    /// Also write the full report (every score, set and run) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `trustdd ood`.
pub fn run(args: &OodArgs, quiet: bool) -> Result<()> {
    let l = args.options.load(&args.set, &args.data)?;
    let outliers = match &args.outliers {
        Some(path) => Some(load_set(path, &l.device)?.0),
        None => None,
    };
    let names = args
        .ood_sets
        .clone()
        .unwrap_or_else(|| default_ood_sets(&args.data.dataset));
    let dir = args.data.folder();
    let seed = args.options.seed;
    let streams = trustdd_pipeline::Streams::default();
    let sets = build_ood_sets(
        &names,
        &l.test,
        dir.as_deref(),
        seed,
        streams.ood_sets,
        &l.device,
    )?;
    let config = OodEvalConfig {
        eval: l.eval.clone(),
        lambda: args.lambda,
        ..OodEvalConfig::default()
    };
    config.validate()?;
    let bars = Bars::new(quiet);
    let plain = evaluate_ood(
        &l.set, None, &l.test, &sets, &config, seed, &l.device, &bars,
    )?;
    let exposed = match &outliers {
        Some(o) => Some(evaluate_ood(
            &l.set,
            Some(o),
            &l.test,
            &sets,
            &config,
            seed,
            &l.device,
            &bars,
        )?),
        None => None,
    };
    bars.finish();
    if let Some(path) = &args.json {
        let json = serde_json::json!({"plain": &plain, "with_outliers": &exposed});
        write_atomic(path, &serde_json::to_vec_pretty(&json)?)?;
    }
    let mut rows = vec![("distilled", &plain)];
    if let Some(e) = &exposed {
        rows.push(("distilled + outliers", e));
    }
    print_ood_table(&rows)
}
