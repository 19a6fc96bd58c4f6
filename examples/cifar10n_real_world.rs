//! Real human label noise: CIFAR-10 with the CIFAR-10N "worse" annotations (40.2% wrong), TAD's
//! trust partition, and DM + TAD beside DM on the noisy and on the clean labels, at IPC 10 with
//! the paper's DM settings (ConvNet-3 width 128, 256 real images per class).
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
use trustdd::core::Silent;
use trustdd::distill::DmConfig;
use trustdd::noise::NoiseConfig;
use trustdd::pipeline::{DataConfig, ObjectiveConfig, RunConfig};
use trustdd::train::EvalConfig;

fn main() -> anyhow::Result<()> {
    let config = RunConfig {
        data: DataConfig {
            dataset: "cifar10".into(),
            ..DataConfig::default()
        },
        noise: NoiseConfig::parse("cifar10n:worse")?,
        iterations: 200,
        objective: ObjectiveConfig::Dm(DmConfig::default()),
        eval: EvalConfig {
            runs: 2,
            ..EvalConfig::default()
        },
        ..RunConfig::default()
    };
    let report = config
        .build()?
        .run(&Silent)
        .context("CIFAR-10 and CIFAR-10N under $TRUSTDD_DATA (see this example's header)")?;
    let noise = report.noise.as_ref().context("a noise report")?;
    println!(
        "CIFAR-10N worse: {:.2}% of the labels are wrong",
        100.0 * noise.rate
    );
    for run in &report.runs {
        for r in &run.rounds {
            println!("TAD {r}");
        }
        let eval = &run
            .distill
            .evaluations
            .last()
            .context("an evaluation")?
            .report;
        for a in &eval.architectures {
            println!(
                "DM ({}): {} test accuracy {:.2} ± {:.2}%",
                run.label,
                a.name,
                100.0 * a.mean,
                100.0 * a.std
            );
        }
    }
    Ok(())
}
