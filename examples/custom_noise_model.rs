//! A label-noise model written outside trustdd: it implements one trait,
//! `trustdd::core::NoiseModel`, and runs through the same pipeline as the built-in ones; the
//! noise report measures it, TAD's trust partition finds the labels it corrupted, and DM distils
//! from the trusted part. About 30 s on 2 cores (release build).
//!
//! ```sh
//! cargo run --release --example custom_noise_model
//! ```

use anyhow::Context;
use trustdd::core::{NoiseContext, NoiseModel, Silent, TrustRng};
use trustdd::pipeline::RunConfig;

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
    // 4 and 9, and 1 and 7, are confused 35% of the time; every other label is kept.
    let mut matrix: Vec<Vec<f64>> = (0..10)
        .map(|i| (0..10).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for (a, b) in [(4, 9), (9, 4), (1, 7), (7, 1)] {
        matrix[a][a] = 0.65;
        matrix[a][b] = 0.35;
    }
    let model = TransitionMatrix { matrix };
    let mut config = RunConfig {
        compare: false,
        seed: 3,
        ..RunConfig::default()
    };
    config.eval.runs = 1;
    let report = config.build()?.with_noise(Box::new(model)).run(&Silent)?;
    print!("{}", report.noise.as_ref().context("a noise report")?);
    let run = report.runs.last().context("the run's distillation")?;
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
        println!("DM + TAD: {} test accuracy {:.2}%", a.name, 100.0 * a.mean);
    }
    Ok(())
}
