//! One TAD round on the 8,000 embedded MNIST digits with asym:0.4 noise: seconds, precision and
//! recall. Ignored (about a minute in release):
//! `cargo test --release -p trustdd-trust --test integration mnist_budget -- --ignored --nocapture`
//! (`TAD_ROUNDS=3` for more rounds, `TAD_TS`, `TAD_TM`, `TAD_DELTA` to try other
//! reliability settings).

use anyhow::Result;
use candle_core::Device;
use std::time::Instant;
use trustdd_core::{PartitionContext, Silent, TrustPartitioner, TrustRng};
use trustdd_noise::{apply_with_report, NoiseConfig};
use trustdd_train::dsa::DsaConfig;
use trustdd_trust::{Tad, TadConfig};

#[test]
#[ignore]
fn one_round_on_embedded_mnist() -> Result<()> {
    let (train, _) = trustdd_data::embedded_mnist()?;
    let name = train.name().to_string();
    let model = NoiseConfig::parse("asym:0.4")?
        .with_dataset_name(&name)
        .build()?;
    let (noisy, report) = apply_with_report(train, model.as_ref(), 0)?;
    println!("{}", report.to_table());
    let mut config = TadConfig::default();
    config.proxy.augment = Some(DsaConfig::digits());
    config.min_trusted_per_class = 50;
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<f64>().ok());
    if let Some(t) = env("TAD_TS") {
        config.reliability.t_s = t;
    }
    if let Some(t) = env("TAD_TM") {
        config.reliability.t_m = t;
    }
    if let Some(d) = env("TAD_DELTA") {
        config.recall.delta = d;
    }
    let mut tad = Tad::new(config)?;
    let rounds: usize = std::env::var("TAD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    for round in 0..rounds {
        let start = Instant::now();
        let ctx = PartitionContext {
            dataset: &noisy,
            device: &Device::Cpu,
            round,
            progress: &Silent,
        };
        tad.observe(&ctx, &mut TrustRng::for_item(0, round as u64))?;
        let d = tad.diagnostics().last().unwrap();
        println!(
            "round {round}: {:.1} s, trusted {}, precision {:?}, recall {:?}, recalled new {} total {} acc {:?}, fallbacks {}",
            start.elapsed().as_secs_f64(), d.trusted, d.precision, d.recall, d.recalled_new, d.recalled_total, d.recalled_accuracy, d.fallbacks
        );
        println!("{}", serde_json::to_string(&d.classes)?);
    }
    Ok(())
}
