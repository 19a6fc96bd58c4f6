//! `trustdd train`: train a network on real data and report test accuracy.

use crate::data_args::DataArgs;
use crate::progress_bar::Bars;
use anyhow::Result;
use candle_core::DType;
use clap::Args;
use std::io::Write;
use std::time::Instant;
use trustdd_core::{select_device, TrustRng};
use trustdd_nn::{ArchConfig, ConvNetConfig, Network};
use trustdd_train::{accuracy, train, TrainConfig};

/// Options of `trustdd train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// ConvNet width (channels per convolution).
    #[arg(long, default_value_t = 32)]
    width: usize,
    /// ConvNet depth (blocks).
    #[arg(long, default_value_t = 3)]
    depth: usize,
    /// Passes over the training set.
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Learning rate (SGD, momentum 0.9, weight decay 5e-4, x0.1 at half the epochs).
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    /// Apply per-sample DSA augmentation to training batches.
    #[arg(long)]
    augment: bool,
    /// Seed for initialisation, shuffling and augmentation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// Runs `trustdd train`.
pub fn run(args: &TrainArgs, quiet: bool) -> Result<()> {
    let device = select_device(&args.device)?;
    let (train_set, test_set) = args.data.load()?;
    let arch = ArchConfig::ConvNet(ConvNetConfig {
        width: args.width,
        depth: args.depth,
        ..ConvNetConfig::default()
    });
    let config = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        augment: args
            .augment
            .then(|| trustdd_pipeline::dataset_dsa(train_set.name())),
        ..TrainConfig::default()
    };
    let mut rng = TrustRng::new(args.seed);
    let mut net = Network::new(
        &arch,
        train_set.shape(),
        train_set.num_classes(),
        DType::F32,
        &device,
        &mut rng,
    )?;
    let bars = Bars::new(quiet);
    let start = Instant::now();
    let report = train(&mut net, &train_set, &config, &mut rng, &device, &bars)?;
    bars.finish();
    let train_secs = start.elapsed().as_secs_f64();
    let acc = accuracy(&net, &test_set, 512, &device)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "| dataset | train / test | network | params | epochs | train time | final loss | test accuracy |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    writeln!(
        out,
        "| {} | {} / {} | {} | {} | {} | {:.1} s | {:.4} | {:.2}% |",
        train_set.name(),
        train_set.len(),
        test_set.len(),
        net.arch().name(),
        net.num_params(),
        report.epochs,
        train_secs,
        report.final_loss,
        100.0 * acc
    )?;
    Ok(())
}
