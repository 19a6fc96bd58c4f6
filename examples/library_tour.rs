//! The README's ten-line library example, kept compiling: noisy labels, a ConvNet, training and
//! test accuracy on the embedded digits.
//!
//! ```sh
//! cargo run --release --example library_tour
//! ```

use trustdd::core::{apply_noise, TrustRng};
use trustdd::data::embedded_mnist;
use trustdd::nn::{ArchConfig, Network};
use trustdd::noise::NoiseConfig;
use trustdd::train::{accuracy, train, TrainConfig};

fn main() -> anyhow::Result<()> {
    let (train_set, test_set) = embedded_mnist()?;
    let noise = NoiseConfig::parse("sym:0.2")?.build()?;
    let noisy = apply_noise(train_set, noise.as_ref(), 7)?;
    let mut rng = TrustRng::new(0);
    let device = candle_core::Device::Cpu;
    let mut net = Network::new(
        &ArchConfig::default(),
        noisy.shape(),
        10,
        candle_core::DType::F32,
        &device,
        &mut rng,
    )?;
    let config = TrainConfig {
        epochs: 1,
        augment: None,
        ..TrainConfig::default()
    };
    train(
        &mut net,
        &noisy,
        &config,
        &mut rng,
        &device,
        &trustdd::core::Silent,
    )?;
    println!("accuracy {:.3}", accuracy(&net, &test_set, 500, &device)?);
    Ok(())
}
