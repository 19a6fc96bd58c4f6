//! A label-noise model written outside trustdd, run through the same pipeline as the built-in
//! ones: it implements `trustdd::core::NoiseModel`, the noise report measures it, and TAD's trust
//! partition finds the labels it corrupted. About 1 minute on 2 cores.
//!
//! ```sh
//! cargo run --release --example custom_noise_model
//! ```

use candle_core::Device;
use trustdd::core::{
    NoiseContext, NoiseModel, PartitionContext, Silent, TrustPartitioner, TrustRng,
};
use trustdd::data::embedded_mnist;
use trustdd::noise::apply_with_report;
use trustdd::train::dsa::DsaConfig;
use trustdd::trust::{Tad, TadConfig};

/// Labels drawn from a row of a user-given transition matrix: `P(observed = j | clean = i) =
/// matrix[i][j]` (for example estimated from annotator confusions).
struct TransitionMatrix {
    matrix: Vec<Vec<f64>>,
}

impl NoiseModel for TransitionMatrix {
    fn name(&self) -> String {
        "transition-matrix".into()
    }

    fn corrupt(&self, ctx: &NoiseContext<'_>) -> trustdd::core::Result<Vec<u32>> {
        if self.matrix.len() != ctx.num_classes
            || self.matrix.iter().any(|row| row.len() != ctx.num_classes)
        {
            return Err(trustdd::core::Error::shape(
                "transition matrix",
                format!("{0}x{0}", ctx.num_classes),
                format!("{} rows", self.matrix.len()),
            ));
        }
        // One stream per sample: the labels do not depend on thread count or order.
        Ok(ctx
            .labels
            .iter()
            .enumerate()
            .map(|(i, &clean)| {
                let u = TrustRng::for_item(ctx.seed, i as u64).uniform_f64();
                let row = &self.matrix[clean as usize];
                let mut acc = 0.0;
                row.iter()
                    .position(|&p| {
                        acc += p;
                        u < acc
                    })
                    .unwrap_or(clean as usize) as u32
            })
            .collect())
    }
}

fn main() -> anyhow::Result<()> {
    let (train, _test) = embedded_mnist()?;
    // 4 and 9, and 1 and 7, are confused 35% of the time; every other label is kept.
    let mut matrix: Vec<Vec<f64>> = (0..10)
        .map(|i| (0..10).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for (a, b) in [(4, 9), (9, 4), (1, 7), (7, 1)] {
        matrix[a][a] = 0.65;
        matrix[a][b] = 0.35;
    }
    let model = TransitionMatrix { matrix };
    let (noisy, report) = apply_with_report(train, &model, 3)?;
    print!("{report}");

    let mut config = TadConfig::default();
    config.proxy.augment = Some(DsaConfig::digits());
    let mut tad = Tad::new(config)?;
    let device = Device::Cpu;
    for round in 0..2 {
        let ctx = PartitionContext {
            dataset: &noisy,
            device: &device,
            round,
            progress: &Silent,
        };
        tad.observe(&ctx, &mut TrustRng::for_item(3, round as u64))?;
    }
    for r in tad.diagnostics() {
        println!(
            "TAD round {}: {} of {} trusted, precision {:.2}% (labels correct overall: {:.2}%)",
            r.round,
            r.trusted,
            noisy.len(),
            100.0 * r.precision.unwrap_or(f64::NAN),
            100.0 * (1.0 - report.rate)
        );
    }
    Ok(())
}
