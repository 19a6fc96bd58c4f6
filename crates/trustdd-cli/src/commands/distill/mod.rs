//! `trustdd distill`: distil a dataset into a few images per class, evaluate them, write them.
//!
//! Every option can come from a TOML file (`--config`, keys as the long flags with `_`);
//! command-line flags override the file. With no flags at all it runs the "main job" on the
//! embedded MNIST digits, sized to finish in a few minutes on a 2-core CPU.

mod build;
mod outliers;
mod settings;
mod table;
mod variant;

pub(crate) use build::{eval_config, parse_archs};
pub use settings::{DistillArgs, DistillSettings};

use crate::created_dirs::CreatedDirs;
use crate::data_args::{data_dir, DataArgs};
use crate::progress_bar::Bars;
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use trustdd_core::{select_device, write_atomic};
use trustdd_distill::{save_png_grid, save_set, SetMetadata};
use trustdd_noise::{apply_with_report, NoiseConfig};
use variant::{distill_variant, Variant, VariantOutcome};

/// What `report.json` holds.
#[derive(Debug, Serialize)]
pub(crate) struct RunReport<'a> {
    settings: &'a DistillSettings,
    noise: Option<trustdd_noise::NoiseReport>,
    /// Every distillation of the run; the last one is the run's set (the files in `out`).
    runs: Vec<VariantOutcome>,
    outliers: Option<outliers::OutlierOutcome>,
    total_seconds: f64,
}

/// Runs `trustdd distill`.
pub fn run(args: &DistillArgs, quiet: bool) -> Result<()> {
    let mut created = CreatedDirs::default();
    let result = run_creating(args, quiet, &mut created);
    if result.is_err() {
        created.remove_empty();
    }
    result
}

fn run_creating(args: &DistillArgs, quiet: bool, created: &mut CreatedDirs) -> Result<()> {
    let start = Instant::now();
    let s = args.settings()?;
    if s.iterations == 0 {
        bail!("invalid iterations = 0: expected at least 1");
    }
    if !["dm", "dc", "dsa", "mtt"].contains(&s.objective.as_str()) {
        bail!(
            "invalid objective {:?}: expected dm, dc, dsa or mtt",
            s.objective
        );
    }
    if !["tad", "none"].contains(&s.trust.as_str()) {
        bail!("invalid trust {:?}: expected tad or none", s.trust);
    }
    if let Some(tad) = &s.tad {
        tad.validate()?;
    }
    let device = select_device(&s.device)?;
    let data = DataArgs {
        dataset: s.dataset.clone(),
        data_dir: s.data_dir.clone(),
        train_limit: s.train_limit,
    };
    let (train, test) = data.load()?;
    let shape = train.shape();
    let out = s.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/{}-{}-ipc{}-seed{}",
            s.dataset.replace([':', '/'], "_"),
            s.objective,
            s.ipc,
            s.seed
        ))
    });
    let clean = Arc::new(train.clone());
    let (noisy, noise) = if s.noise == "none" {
        (clean.clone(), None)
    } else {
        let mut config = NoiseConfig::parse(&s.noise)?;
        if let Some(dir) = data_dir(s.data_dir.as_deref()) {
            config = config.with_data_dir(&dir);
        }
        let model = config.with_dataset_name(train.name()).build()?;
        let (noisy, report) = apply_with_report(train, model.as_ref(), s.seed)?;
        (Arc::new(noisy), Some(report))
    };
    let trust = s.trust == "tad";
    let noisy_label = if noise.is_some() {
        "noisy labels"
    } else {
        "clean labels"
    };
    let mut variants = Vec::new();
    if s.compare && noise.is_some() {
        variants.push(Variant {
            label: "clean labels".into(),
            dataset: clean.clone(),
            trust: false,
            out: out.join("clean-labels"),
            baseline: false,
        });
        if trust {
            variants.push(Variant {
                label: noisy_label.into(),
                dataset: noisy.clone(),
                trust: false,
                out: out.join("noisy-labels"),
                baseline: false,
            });
        }
    }
    variants.push(Variant {
        label: format!("{noisy_label}{}", if trust { " + TAD" } else { "" }),
        dataset: noisy.clone(),
        trust,
        out: out.clone(),
        baseline: s.baseline,
    });
    let outlier_source = (s.outliers != "none")
        .then(|| outliers::outlier_source(&s, &noisy, &device))
        .transpose()?;
    let eval = eval_config(
        parse_archs(&s.eval_archs, s.width, s.depth)?,
        s.eval_runs,
        s.eval_epochs,
        shape.channels,
    );
    // Fail before the long run if an output directory cannot be made.
    for v in &variants {
        created.create(&v.out)?;
    }
    let bars = Bars::new(quiet);
    let meta = SetMetadata {
        objective: s.objective.clone(),
        dataset: noisy.name().to_string(),
        class_names: noisy.class_names().to_vec(),
        shape,
        preprocess: noisy.preprocess().clone(),
        seed: s.seed,
        eval_lr: None,
    };
    let mut runs = Vec::new();
    for v in &variants {
        let outcome = distill_variant(&s, v, &test, &eval, &device, &bars)?;
        let meta = SetMetadata {
            objective: outcome.distill.objective.clone(),
            eval_lr: Some(outcome.distill.eval_lr).filter(|_| s.objective == "mtt"),
            ..meta.clone()
        };
        save_set(&v.out.join("synthetic.safetensors"), &outcome.syn, &meta)?;
        save_png_grid(&v.out.join("synthetic.png"), &outcome.syn, &meta.preprocess)?;
        runs.push(outcome);
    }
    bars.finish();
    let outliers = match (outlier_source, runs.last()) {
        (Some(source), Some(primary)) => {
            let meta = SetMetadata {
                objective: primary.distill.objective.clone(),
                eval_lr: Some(primary.distill.eval_lr).filter(|_| s.objective == "mtt"),
                ..meta.clone()
            };
            let o =
                outliers::run_outliers(&s, source, &primary.syn, &meta, &test, &eval, &out, &bars)?;
            bars.finish();
            Some(o)
        }
        _ => None,
    };
    let run_report = RunReport {
        settings: &s,
        noise,
        runs,
        outliers,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    write_atomic(
        &out.join("report.json"),
        &serde_json::to_vec_pretty(&run_report)?,
    )?;
    table::print_table(&run_report, &out)?;
    if let Some(o) = &run_report.outliers {
        outliers::print_outcome(&s, o)?;
    }
    Ok(())
}
