//! Real human label noise: CIFAR-10 with the CIFAR-10N "worse" annotations (40.2% wrong), TAD's
//! trust partition, and DM + TAD against plain DM, at IPC 10.
//!
//! Needs the CIFAR-10 images, which are not shipped: download the binary version
//! (`cifar-10-binary.tar.gz`, <https://www.cs.toronto.edu/~kriz/cifar.html>) and unpack it into
//! `$TRUSTDD_DATA/cifar10/` (the loader also accepts the `cifar-10-batches-bin/` folder inside it),
//! or put the hub's `uoft-cs/cifar10` parquet files in the hub cache (docs/datasets.md). The
//! CIFAR-10N labels are in `$TRUSTDD_DATA/cifar-n/`. Tens of minutes on 2 cores.
//!
//! ```sh
//! TRUSTDD_DATA=../shared/data cargo run --release --example cifar10n_real_world
//! ```

use anyhow::Context;
use candle_core::Device;
use std::sync::Arc;
use trustdd::core::{
    DatasetSampler, PartitionContext, Silent, SyntheticSet, TrustPartitioner, TrustRng,
};
use trustdd::data::{data_dir_from_env, DatasetName, Split};
use trustdd::distill::{Dm, DmConfig, Driver, DriverConfig, Objective};
use trustdd::noise::{apply_with_report, NoiseConfig};
use trustdd::train::EvalConfig;
use trustdd::trust::{Tad, TadConfig, TrustAware};

fn main() -> anyhow::Result<()> {
    let dir = data_dir_from_env()
        .context("set TRUSTDD_DATA to the folder holding cifar10/ and cifar-n/")?;
    let device = Device::Cpu;
    let load = |split| {
        DatasetName::Cifar10.load(&dir, split).with_context(|| {
            format!(
                "CIFAR-10 images not found under {}: download cifar-10-binary.tar.gz from \
                 https://www.cs.toronto.edu/~kriz/cifar.html and unpack it into {}/cifar10/",
                dir.display(),
                dir.display()
            )
        })
    };
    let (train, test) = (load(Split::Train)?, load(Split::Test)?);
    let noise = NoiseConfig::parse("cifar10n:worse")?
        .with_data_dir(&dir)
        .with_dataset_name(train.name())
        .build()?;
    let (noisy, report) = apply_with_report(train, noise.as_ref(), 0)?;
    println!(
        "CIFAR-10N worse: {:.2}% of the labels are wrong",
        100.0 * report.rate
    );
    let noisy = Arc::new(noisy);

    let mut tad = Tad::new(TadConfig::default())?;
    for round in 0..2 {
        let ctx = PartitionContext {
            dataset: &noisy,
            device: &device,
            round,
            progress: &Silent,
        };
        tad.observe(&ctx, &mut TrustRng::for_item(5, round as u64))?;
    }
    for r in tad.diagnostics() {
        println!(
            "TAD round {}: {} trusted, precision {:.2}%, recall {:.2}%",
            r.round,
            r.trusted,
            100.0 * r.precision.unwrap_or(f64::NAN),
            100.0 * r.recall.unwrap_or(f64::NAN)
        );
    }
    let plain = DatasetSampler::new(noisy.clone(), device.clone());
    let trusted = DatasetSampler::from_partition(
        noisy.clone(),
        tad.partition().context("a partition")?,
        device.clone(),
    )?;
    let driver = Driver::new(
        DriverConfig {
            iterations: 200,
            eval: EvalConfig {
                runs: 2,
                ..EvalConfig::default()
            },
            ..DriverConfig::default()
        },
        None,
    )?;
    let dm = || Dm::new(DmConfig::default());
    let runs: [(&str, &DatasetSampler, Box<dyn Objective>); 2] = [
        ("DM", &plain, Box::new(dm()?)),
        (
            "DM + TAD",
            &trusted,
            Box::new(TrustAware::new(
                Box::new(dm()?),
                Box::new(tad),
                noisy,
                device.clone(),
                50,
                5,
            )?),
        ),
    ];
    for (label, init, mut objective) in runs {
        let mut rng = TrustRng::new(0);
        let mut syn = SyntheticSet::from_real(init, 10, &mut rng)?;
        let report = driver.run(
            objective.as_mut(),
            &mut syn,
            &plain,
            Some(&test),
            &mut rng,
            &Silent,
        )?;
        for a in &report
            .evaluations
            .last()
            .context("an evaluation")?
            .report
            .architectures
        {
            println!(
                "{label}: {} test accuracy {:.2} ± {:.2}%",
                a.name,
                100.0 * a.mean,
                100.0 * a.std
            );
        }
    }
    Ok(())
}
