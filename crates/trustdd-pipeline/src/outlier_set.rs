//! The outlier set S_o: its size, initialisation, distillation, and files.

use candle_core::Device;
use std::path::{Path, PathBuf};
use trustdd_core::{DistillObjective, Progress, RealSampler, Result, SyntheticSet, TrustRng};
use trustdd_distill::{
    load_set, save_set, DistillReport, Driver, DriverConfig, GradientMatchingConfig, SetMetadata,
};

/// File name of S_o, saved beside S.
pub const OUTLIER_FILE: &str = "outliers.safetensors";

/// Slots per generator group: `ceil(classes·ipc / groups)`, so S_o holds
/// `groups·ceil(classes·ipc / groups) ≥ classes·ipc` images (exactly as many as S when `groups`
/// divides `classes·ipc`, for example 10 classes × IPC 10 with 4 generators → 4 × 25 = 100).
pub fn outlier_ipc(num_classes: usize, ipc: usize, groups: usize) -> usize {
    (num_classes * ipc).div_ceil(groups.max(1))
}

/// S_o initialised from outliers: group `g` (a "class" of `sampler`: generator `g` of a
/// [`PseudoOutlierSampler`](trustdd_ood::PseudoOutlierSampler), or the single group of a real outlier dataset) holds
/// [`outlier_ipc`] images drawn from it.
///
/// # Errors
/// As [`SyntheticSet::from_real`] (fewer outlier images than slots per group, IPC 0).
pub fn init_outlier_set(
    sampler: &dyn RealSampler,
    num_classes: usize,
    ipc: usize,
    rng: &mut TrustRng,
) -> Result<SyntheticSet> {
    let slots = outlier_ipc(num_classes, ipc, sampler.num_classes());
    SyntheticSet::from_real(sampler, slots, rng)
}

/// A gradient-matching config for S_o: `base` with the outer/inner loops of the IN-DISTRIBUTION
/// `ipc` (S_o's slots per group are not an IPC of the reference table) unless `base` sets them.
/// The pipeline runs it with [`MatchTargets::Uniform`](trustdd_distill::MatchTargets) over the
/// `num_classes` in-distribution outputs: the outlier-exposure loss.
///
/// # Errors
/// An invalid-parameter error when `base` sets no loops and `ipc` is not in the table.
pub fn outlier_gradient_matching_config(
    base: &GradientMatchingConfig,
    ipc: usize,
) -> Result<GradientMatchingConfig> {
    let (outer, inner) = base.loops(ipc)?;
    let config = GradientMatchingConfig {
        outer_loop: Some(outer),
        inner_loop: Some(inner),
        ..base.clone()
    };
    config.validate()?;
    Ok(config)
}

/// Distils S_o: initialises it ([`init_outlier_set`]) and runs `objective` (DM, or gradient
/// matching with [`outlier_gradient_matching_config`] and uniform targets) on `sampler` for `iterations` through the
/// [`Driver`] (no evaluation, no checkpoint). Emits the driver's `"distill"` events.
///
/// # Errors
/// Initialisation, objective and driver errors.
pub fn distill_outliers(
    objective: &mut dyn DistillObjective,
    sampler: &dyn RealSampler,
    num_classes: usize,
    ipc: usize,
    iterations: usize,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<(SyntheticSet, DistillReport)> {
    let mut set = init_outlier_set(sampler, num_classes, ipc, rng)?;
    let config = DriverConfig {
        iterations,
        final_eval: false,
        ..DriverConfig::default()
    };
    let report =
        Driver::new(config, None)?.run(objective, &mut set, sampler, None, rng, progress)?;
    Ok((set, report))
}

/// Saves S_o as `dir/outliers.safetensors`, with `meta` (S's metadata) adapted: objective
/// `"<objective>-outliers"` and one "class name" per group (the generators' names, as
/// [`GeneratorList::names`](trustdd_ood::GeneratorList::names), or the outlier dataset's name).
///
/// # Errors
/// Consistency and I/O errors of [`save_set`].
pub fn save_outliers(
    dir: &Path,
    outliers: &SyntheticSet,
    meta: &SetMetadata,
    group_names: Vec<String>,
) -> Result<PathBuf> {
    let meta = SetMetadata {
        objective: format!("{}-outliers", meta.objective),
        class_names: group_names,
        ..meta.clone()
    };
    let path = dir.join(OUTLIER_FILE);
    save_set(&path, outliers, &meta)?;
    Ok(path)
}

/// Loads `dir/outliers.safetensors`.
///
/// # Errors
/// As [`load_set`] (missing or malformed file).
pub fn load_outliers(dir: &Path, device: &Device) -> Result<(SyntheticSet, SetMetadata)> {
    load_set(&dir.join(OUTLIER_FILE), device)
}
