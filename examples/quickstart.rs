//! Noisy distillation end to end through the library: the main job as a `RunConfig` (40%
//! asymmetric label noise on the embedded digits, TAD's trust partition, DM distilling 10 images
//! per class from the trusted part only), built into a pipeline and run; fresh networks trained
//! on those 100 images. About 40 s on 2 cores (release build).
//!
//! ```sh
//! cargo run --release --example quickstart
//! ```

use anyhow::Context;
use trustdd::core::Silent;
use trustdd::pipeline::RunConfig;

fn main() -> anyhow::Result<()> {
    // The main job's settings, without the comparison runs (clean and noisy labels without TAD).
    let config = RunConfig {
        compare: false,
        ..RunConfig::default()
    };
    // `Silent` discards progress; any `Fn(ProgressEvent)` closure renders it instead.
    let report = config.build()?.run(&Silent)?;
    let noise = report
        .noise
        .as_ref()
        .context("the main job has label noise")?;
    println!(
        "label noise: {:.1}% of the labels flipped",
        100.0 * noise.rate
    );
    let run = report.runs.last().context("the run's distillation")?;
    for r in &run.rounds {
        println!("TAD {r}");
    }
    let accuracy = &run
        .distill
        .evaluations
        .last()
        .context("a final evaluation")?
        .report;
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
