//! Applying a model and measuring it in one call.

use crate::report::NoiseReport;
use trustdd_core::{apply_noise, ImageDataset, NoiseContext, NoiseModel, Result};

/// Applies `model` to the dataset (its clean labels, when recorded, else its labels) and reports
/// what changed. The returned dataset keeps the clean labels beside the noisy ones.
///
/// # Errors
/// Those of the model and of [`ImageDataset::relabel`].
pub fn apply_with_report(
    dataset: ImageDataset,
    model: &dyn NoiseModel,
    seed: u64,
) -> Result<(ImageDataset, NoiseReport)> {
    let noisy = apply_noise(dataset, model, seed)?;
    let clean = noisy.clean_labels().unwrap_or(noisy.labels());
    let report = NoiseReport::measure(
        model.name(),
        seed,
        clean,
        noisy.labels(),
        noisy.num_classes(),
    )?
    .with_class_names(noisy.class_names())
    .with_dataset(noisy.name());
    Ok((noisy, report))
}

/// Applies `model` to bare labels (the context's) and reports what changed.
///
/// # Errors
/// Those of the model and of [`NoiseReport::measure`].
pub fn corrupt_with_report(
    model: &dyn NoiseModel,
    ctx: &NoiseContext<'_>,
) -> Result<(Vec<u32>, NoiseReport)> {
    let noisy = model.corrupt(ctx)?;
    let report = NoiseReport::measure(model.name(), ctx.seed, ctx.labels, &noisy, ctx.num_classes)?;
    Ok((noisy, report))
}
