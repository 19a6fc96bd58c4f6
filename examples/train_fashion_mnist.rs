//! Trains ConvNet-3 of width 32 on the full Fashion-MNIST training set for 2 epochs and prints
//! test accuracy and wall time: the foundation's end-to-end check of data, network and training.
//!
//! ```sh
//! TRUSTDD_DATA=../shared/data cargo run --release --example train_fashion_mnist
//! ```
//!
//! Needs Fashion-MNIST as IDX files in `$TRUSTDD_DATA/fashion-mnist` (or pass the folder as the
//! first argument). On the 2-core CPU machine of docs/performance.md it takes minutes.

use anyhow::{Context, Result};
use candle_core::{DType, Device};
use std::path::PathBuf;
use std::time::Instant;
use trustdd::core::{Silent, TrustRng};
use trustdd::data::{data_dir_from_env, load_fashion_mnist, Split};
use trustdd::nn::{ArchConfig, ConvNetConfig, Network};
use trustdd::train::{accuracy, train, TrainConfig};

fn main() -> Result<()> {
    let dir = match std::env::args().nth(1) {
        Some(p) => PathBuf::from(p),
        None => data_dir_from_env()
            .context("set TRUSTDD_DATA or pass the fashion-mnist folder")?
            .join("fashion-mnist"),
    };
    let device = Device::Cpu;
    let train_set = load_fashion_mnist(&dir, Split::Train)?;
    let test_set = load_fashion_mnist(&dir, Split::Test)?;
    let arch = ArchConfig::ConvNet(ConvNetConfig {
        width: 32,
        ..ConvNetConfig::default()
    });
    let config = TrainConfig {
        epochs: 2,
        batch_size: 128,
        augment: None,
        ..TrainConfig::default()
    };
    let mut rng = TrustRng::new(0);
    let mut net = Network::new(&arch, train_set.shape(), 10, DType::F32, &device, &mut rng)?;
    let start = Instant::now();
    let report = train(&mut net, &train_set, &config, &mut rng, &device, &Silent)?;
    let secs = start.elapsed().as_secs_f64();
    let acc = accuracy(&net, &test_set, 1000, &device)?;
    println!(
        "fashion-mnist: {} train / {} test, {}, {} epochs, batch {}",
        train_set.len(),
        test_set.len(),
        net.arch().name(),
        report.epochs,
        config.batch_size
    );
    println!(
        "train time {secs:.1} s ({:.0} img/s), final loss {:.4}, test accuracy {:.2}%",
        (train_set.len() * report.epochs) as f64 / secs,
        report.final_loss,
        100.0 * acc
    );
    Ok(())
}
