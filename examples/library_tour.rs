//! The README's library example, kept compiling: the parts composed by hand, below the
//! pipeline (`examples/quickstart.rs` runs the same job as one `RunConfig`). 40% asymmetric label
//! noise on the embedded digits, DM distilling 10 images per class through TAD's trust-aware
//! diversion, and a fresh network trained on the 100 synthetic images. About 70 s on 2
//! cores.
//!
//! ```sh
//! cargo run --release --example library_tour
//! ```

use candle_core::Device;
use std::sync::Arc;
use trustdd::core::{apply_noise, DatasetSampler, Silent, SyntheticSet, TrustRng};
use trustdd::data::embedded_mnist;
use trustdd::distill::{save_png_grid, Dm, DmConfig, Driver, DriverConfig};
use trustdd::noise::NoiseConfig;
use trustdd::pipeline::TrustAware;
use trustdd::train::{EvalConfig, TrainConfig};
use trustdd::trust::{Tad, TadConfig};

fn main() -> anyhow::Result<()> {
    let (train, test) = embedded_mnist()?;
    let noise = NoiseConfig::parse("asym:0.4")?
        .with_dataset_name("mnist")
        .build()?;
    let noisy = Arc::new(apply_noise(train, noise.as_ref(), 0)?);
    let real = DatasetSampler::new(noisy.clone(), Device::Cpu);
    let (mut rng, tad) = (TrustRng::new(0), Tad::new(TadConfig::default())?);
    let mut syn = SyntheticSet::from_real(&real, 10, &mut rng)?;
    let dm = Dm::new(DmConfig {
        real_batch: 64,
        ..DmConfig::default()
    })?;
    let mut dm_tad = TrustAware::new(Box::new(dm), Box::new(tad), noisy, Device::Cpu, 50, 7)?;
    let eval = EvalConfig {
        runs: 1,
        train: TrainConfig {
            epochs: 100,
            ..TrainConfig::default()
        },
        ..EvalConfig::default()
    };
    let driver = Driver::new(
        DriverConfig {
            iterations: 100,
            eval,
            ..DriverConfig::default()
        },
        None,
    )?;
    let run = driver.run(&mut dm_tad, &mut syn, &real, Some(&test), &mut rng, &Silent)?;
    std::fs::create_dir_all("runs")?;
    save_png_grid("runs/library_tour.png".as_ref(), &syn, test.preprocess())?;
    let acc = run
        .evaluations
        .last()
        .map_or(f64::NAN, |e| e.report.architectures[0].mean);
    println!(
        "DM + TAD from 40% noisy labels, 100 images: {:.2}% test accuracy",
        100.0 * acc
    );
    Ok(())
}
