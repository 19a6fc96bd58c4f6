//! Noisy distillation end to end through the library: 40% asymmetric label noise on the embedded
//! digits, TAD's trust partition, DM distilling 10 images per class from the trusted part only,
//! and fresh networks trained on those 100 images. About 2 minutes on 2 cores.
//!
//! ```sh
//! cargo run --release --example quickstart
//! ```

use anyhow::Context;
use candle_core::Device;
use std::sync::Arc;
use trustdd::core::{
    DatasetSampler, PartitionContext, Silent, SyntheticSet, TrustPartitioner, TrustRng,
};
use trustdd::data::embedded_mnist;
use trustdd::distill::{Dm, DmConfig, Driver, DriverConfig};
use trustdd::nn::{ArchConfig, ConvNetConfig};
use trustdd::noise::{apply_with_report, NoiseConfig};
use trustdd::train::dsa::DsaConfig;
use trustdd::train::{EvalConfig, TrainConfig};
use trustdd::trust::{RoundDiagnostics, Tad, TadConfig, TrustAware};

fn main() -> anyhow::Result<()> {
    let device = Device::Cpu;
    let (train, test) = embedded_mnist()?;
    let noise = NoiseConfig::parse("asym:0.4")?
        .with_dataset_name(train.name())
        .build()?;
    let (noisy, report) = apply_with_report(train, noise.as_ref(), 0)?;
    println!(
        "label noise: {:.1}% of the labels flipped",
        100.0 * report.rate
    );
    let noisy = Arc::new(noisy);

    // Two TAD rounds first, so the synthetic set starts from trusted images.
    let mut config = TadConfig::default();
    config.proxy.augment = Some(DsaConfig::digits());
    let mut tad = Tad::new(config)?;
    for round in 0..2 {
        let ctx = PartitionContext {
            dataset: &noisy,
            device: &device,
            round,
            progress: &Silent,
        };
        tad.observe(&ctx, &mut TrustRng::for_item(7, round as u64))?;
    }
    let partition = tad.partition().context("TAD made a partition")?;
    let trusted = DatasetSampler::from_partition(noisy.clone(), partition, device.clone())?;
    let mut rng = TrustRng::new(0);
    let mut syn = SyntheticSet::from_real(&trusted, 10, &mut rng)?;

    let convnet = ArchConfig::ConvNet(ConvNetConfig {
        width: 32,
        ..ConvNetConfig::default()
    });
    let dm = Dm::new(DmConfig {
        arch: convnet.clone(),
        dsa: Some(DsaConfig::digits()),
        ..DmConfig::default()
    })?;
    // DM reads real data only through its sampler; the wrapper hands it the trusted samples and
    // refits the partition every 50 iterations.
    let mut objective = TrustAware::new(Box::new(dm), Box::new(tad), noisy, device.clone(), 50, 7)?;
    let eval = EvalConfig {
        architectures: vec![convnet],
        runs: 2,
        train: TrainConfig {
            epochs: 100,
            augment: Some(DsaConfig::digits()),
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
    let run = driver.run(
        &mut objective,
        &mut syn,
        &trusted,
        Some(&test),
        &mut rng,
        &Silent,
    )?;
    let rounds: Vec<RoundDiagnostics> = serde_json::from_value(objective.partitioner().report())?;
    for r in &rounds {
        println!(
            "TAD round {}: {} trusted, precision {:.2}%, recall {:.2}%",
            r.round,
            r.trusted,
            100.0 * r.precision.unwrap_or(f64::NAN),
            100.0 * r.recall.unwrap_or(f64::NAN)
        );
    }
    let accuracy = &run.evaluations.last().context("a final evaluation")?.report;
    for a in &accuracy.architectures {
        println!(
            "DM + TAD, 100 images: {} test accuracy {:.2} ± {:.2}%",
            a.name,
            100.0 * a.mean,
            100.0 * a.std
        );
    }
    Ok(())
}
