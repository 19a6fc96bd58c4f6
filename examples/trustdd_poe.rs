//! TrustDD through the library: distil the embedded digits (DM, 10 images per class, clean
//! labels, no partitioner), distil an outlier set of the same size from pseudo-outliers (jigsaw,
//! invert, pixelate, speckle), then train fresh networks with and without outlier exposure and
//! print their OOD detection (MSP, the paper's score) against noise images and a corruption never used in
//! training. One `RunConfig`, one pipeline. About 45 s on 2 cores (release build).
//!
//! ```sh
//! cargo run --release --example trustdd_poe
//! ```

use anyhow::Context;
use trustdd::core::Silent;
use trustdd::noise::NoiseConfig;
use trustdd::ood::ScoreKind;
use trustdd::pipeline::{OutlierSource, PartitionerConfig, RunConfig};

fn main() -> anyhow::Result<()> {
    let mut config = RunConfig {
        noise: NoiseConfig::None,
        partitioner: PartitionerConfig::None,
        ..RunConfig::default()
    };
    config.eval.runs = 2;
    config.outliers.source = OutlierSource::Generators { spec: "poe".into() };
    // Noise images and `mix`, a corruption pseudo-outlier exposure never trains on.
    config.outliers.ood_sets = ["gaussian", "uniform", "corrupt:mix"]
        .map(String::from)
        .to_vec();
    let report = config.build()?.run(&Silent)?;
    let o = report.outliers.context("the run has an outlier set")?;
    println!("outlier slots from: {}", o.groups.join(", "));
    for (label, ood) in [
        ("distilled", &o.plain),
        ("distilled + outliers", &o.exposed),
    ] {
        for arch in &ood.architectures {
            let msp = arch.scores.iter().find(|s| s.score == ScoreKind::Msp);
            for set in msp.iter().flat_map(|s| &s.sets) {
                println!(
                    "{label}: accuracy {:.2}%, {} AUROC {:.2}, FPR95 {:.2}",
                    100.0 * arch.accuracy.mean,
                    set.name,
                    set.summary.auroc.mean,
                    set.summary.fpr95.mean
                );
            }
        }
    }
    Ok(())
}
