//! `trustdd partition`: run only TAD's trust partitioning on a (noisy) dataset and print the
//! partition's quality per round.

use crate::config_file::read_toml;
use crate::data_args::DataArgs;
use crate::progress_bar::Bars;
use crate::trust_table::print_rounds;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use trustdd_core::{
    observe_round, select_device, write_atomic, PartitionContext, TrustPartitioner, TrustRng,
};
use trustdd_noise::{apply_with_report, NoiseConfig};
use trustdd_trust::{Tad, TadConfig};

/// Options of `trustdd partition`.
#[derive(Debug, Args)]
pub struct PartitionArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Label-noise model applied first (none, sym:0.4, asym:0.4, map:..., cifar10n:worse, ...).
    #[arg(long, default_value = "asym:0.4")]
    noise: String,
    /// Outer rounds (the first includes the proxy's warm-up).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// A TOML file with TAD settings (`trustdd_trust::TadConfig`; default: its defaults with the
    /// dataset's DSA, no flip for digits).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seed of the noise and of the partitioner.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Also write every round's diagnostics and the noise report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `trustdd partition`.
pub fn run(args: &PartitionArgs, quiet: bool) -> Result<()> {
    if args.rounds == 0 {
        bail!("invalid rounds = 0: expected at least 1");
    }
    let config = match &args.config {
        Some(path) => read_toml(path)?,
        None => TadConfig::default(),
    };
    let device = select_device(&args.device)?;
    let (train, _test) = args.data.load()?;
    let config = if args.config.is_none() {
        let mut c = config;
        c.proxy.augment = Some(trustdd_pipeline::dataset_dsa(train.name()));
        c
    } else {
        config
    };
    let mut noise = NoiseConfig::parse(&args.noise)?;
    if let Some(dir) = args.data.folder() {
        noise = noise.with_data_dir(&dir);
    }
    let model = noise.with_dataset_name(train.name()).build()?;
    let (noisy, report) = apply_with_report(train, model.as_ref(), args.seed)?;
    let mut tad = Tad::new(config)?;
    let bars = Bars::new(quiet);
    let mut rounds = Vec::new();
    for round in 0..args.rounds {
        let ctx = PartitionContext {
            dataset: &noisy,
            device: &device,
            round,
            progress: &bars,
        };
        let mut rng = TrustRng::for_item(args.seed, round as u64);
        rounds.push(observe_round(&mut tad, &ctx, &mut rng)?);
    }
    bars.finish();
    let title = format!(
        "{} with {} (realised {:.2}%)",
        noisy.name(),
        args.noise,
        100.0 * report.rate
    );
    print_rounds(
        &mut std::io::stdout().lock(),
        &tad.name().to_uppercase(),
        &title,
        &rounds,
    )?;
    if let Some(path) = &args.json {
        let json = serde_json::json!({"noise": &report, "rounds": &rounds, "tad_rounds": tad.diagnostics(), "config": tad.config()});
        write_atomic(path, &serde_json::to_vec_pretty(&json)?)?;
    }
    Ok(())
}
