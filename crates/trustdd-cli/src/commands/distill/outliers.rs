//! `--outliers`: distil an outlier set S_o beside S (TrustDD) and compare OOD detection of
//! networks trained on S alone and on S with outlier exposure.

use super::build::{dm_config, gradient_matching_config};
use super::settings::DistillSettings;
use crate::data_args::{data_dir, load_dataset};
use crate::ood_table::{
    build_ood_sets, check_ood_sets, default_ood_sets, parse_score, print_ood_table,
};
use crate::progress_bar::Bars;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use trustdd_core::{DatasetSampler, ImageDataset, RealSampler, SyntheticSet, TrustRng};
use trustdd_data::{embedded_mnist, DatasetName, Split};
use trustdd_distill::{DistillReport, Dm, GradientMatching, Objective, SetMetadata};
use trustdd_ood::{
    distill_outliers, evaluate_ood, outlier_gradient_matching_config, save_outliers, GeneratorList,
    OodEvalConfig, OodReport, PseudoOutlierSampler, ScoreKind,
};
use trustdd_train::EvalConfig;

/// What `report.json` holds about the outliers.
#[derive(Debug, Serialize)]
pub(crate) struct OutlierOutcome {
    /// `poe`, a generator list, or an outlier dataset.
    pub source: String,
    /// The groups of S_o (generators, or the dataset).
    pub groups: Vec<String>,
    /// Distillation of S_o.
    pub distill: DistillReport,
    /// OOD evaluation of networks trained on S alone.
    pub plain: OodReport,
    /// OOD evaluation of networks trained on S and S_o (CE + λ·OE).
    pub exposed: OodReport,
}

/// Where S_o comes from, built before the long run so a bad `--outliers` fails at once.
pub(crate) struct OutlierSource {
    sampler: Box<dyn RealSampler>,
    groups: Vec<String>,
}

/// The sampler S_o is distilled from: pseudo-outliers made from `dataset` by a generator list,
/// or a real outlier dataset (one group). Also checks the OOD settings.
pub(crate) fn outlier_source(
    s: &DistillSettings,
    dataset: &Arc<ImageDataset>,
    device: &candle_core::Device,
) -> Result<OutlierSource> {
    parse_score(&s.ood_score)?;
    if !(s.ood_lambda.is_finite() && s.ood_lambda >= 0.0) {
        bail!(
            "invalid ood_lambda = {}: expected a finite number ≥ 0",
            s.ood_lambda
        );
    }
    if !s.ood_sets.is_empty() {
        check_ood_sets(&s.ood_sets)?;
    }
    let (sampler, groups) = outlier_sampler(s, dataset, device)?;
    Ok(OutlierSource { sampler, groups })
}

fn outlier_sampler(
    s: &DistillSettings,
    dataset: &Arc<ImageDataset>,
    device: &candle_core::Device,
) -> Result<(Box<dyn RealSampler>, Vec<String>)> {
    let spec = if s.outliers == "poe" {
        trustdd_ood::POE_SPEC
    } else {
        s.outliers.as_str()
    };
    if let Ok(list) = GeneratorList::parse(spec) {
        let names = list.names();
        let inner = Arc::new(DatasetSampler::new(dataset.clone(), device.clone()));
        let sampler = PseudoOutlierSampler::new(inner, list, dataset.preprocess().clone(), s.seed)?;
        return Ok((Box::new(sampler), names));
    }
    let other = match spec {
        "digits" => embedded_mnist()?.0.with_name("digits"),
        name => {
            let name = DatasetName::parse(name).with_context(|| {
                format!("invalid outliers {name:?}: expected none, poe, a generator list (jigsaw,invert,pixelate,speckle,mix), digits or a dataset name")
            })?;
            let dir = data_dir(s.data_dir.as_deref());
            load_dataset(&name, dir.as_deref(), Split::Train, "outlier dataset")?
        }
    };
    if other.shape() != dataset.shape() {
        bail!(
            "outlier dataset {} has images of {} but {} has {}: expected the same shape",
            other.name(),
            other.shape(),
            dataset.name(),
            dataset.shape()
        );
    }
    // One group: the outliers carry no class, so every image is labelled 0.
    let one_group = ImageDataset::new(
        other.name(),
        other.shape(),
        other.pixels().to_vec(),
        vec![0; other.len()],
        vec![other.name().to_string()],
    )?
    .with_preprocess(dataset.preprocess().clone())?;
    let names = vec![other.name().to_string()];
    let sampler = DatasetSampler::new(Arc::new(one_group), device.clone());
    Ok((Box::new(sampler), names))
}

/// Distils S_o with the objective of the settings (DM for MTT, whose experts have no outlier
/// counterpart), saves it beside S, and evaluates OOD detection with and without it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_outliers(
    s: &DistillSettings,
    source: OutlierSource,
    syn: &SyntheticSet,
    meta: &SetMetadata,
    test: &ImageDataset,
    eval: &EvalConfig,
    out: &Path,
    bars: &Bars,
) -> Result<OutlierOutcome> {
    let device = syn.images.device().clone();
    let OutlierSource { sampler, groups } = source;
    let channels = test.shape().channels;
    let classes = syn.num_classes;
    let mut objective: Box<dyn Objective> = match s.objective.as_str() {
        "dc" | "dsa" => Box::new(GradientMatching::new(outlier_gradient_matching_config(
            &gradient_matching_config(s, channels),
            classes,
            s.ipc,
        )?)?),
        _ => Box::new(Dm::new(dm_config(s, channels))?),
    };
    let mut rng = TrustRng::for_item(s.seed, 2);
    let iterations = s.outlier_iterations.unwrap_or(s.iterations);
    let (set, distill) = distill_outliers(
        objective.as_mut(),
        sampler.as_ref(),
        classes,
        s.ipc,
        iterations,
        &mut rng,
        bars,
    )?;
    save_outliers(out, &set, meta, groups.clone())?;
    let names = if s.ood_sets.is_empty() {
        default_ood_sets(&s.dataset)
    } else {
        s.ood_sets.clone()
    };
    let ood_sets = build_ood_sets(
        &names,
        test,
        data_dir(s.data_dir.as_deref()).as_deref(),
        s.seed,
        &device,
    )?;
    let mut config = OodEvalConfig {
        eval: eval.clone(),
        lambda: s.ood_lambda,
        ..OodEvalConfig::default()
    };
    if let Some(lr) = meta.eval_lr {
        config.eval.train.lr = lr;
    }
    let plain = evaluate_ood(syn, None, test, &ood_sets, &config, s.seed, &device, bars)?;
    let exposed = evaluate_ood(
        syn,
        Some(&set),
        test,
        &ood_sets,
        &config,
        s.seed,
        &device,
        bars,
    )?;
    Ok(OutlierOutcome {
        source: s.outliers.clone(),
        groups,
        distill,
        plain,
        exposed,
    })
}

/// Prints the OOD table of a run with outliers.
pub(crate) fn print_outcome(s: &DistillSettings, o: &OutlierOutcome) -> Result<()> {
    let score: ScoreKind = parse_score(&s.ood_score)?;
    print_ood_table(
        &[
            ("distilled", &o.plain),
            ("distilled + outliers", &o.exposed),
        ],
        score,
    )
}
