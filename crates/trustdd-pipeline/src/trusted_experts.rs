//! MTT diversion (ALGORITHMS.md §6): expert trajectories trained on the trusted set, with the
//! partition refreshed during expert training.

use crate::trust_aware::fit_round;
use crate::RoundSeeds;
use candle_core::{DType, Device};
use std::sync::Arc;
use trustdd_core::{
    current_partition, DatasetSampler, Error, ImageDataset, PartitionRound, Progress, RealSampler,
    Result, TrustPartitioner, TrustRng,
};
use trustdd_distill::{train_experts_with, ExpertConfig, Trajectories};

/// Trains MTT experts ([`trustdd_distill::train_experts_with`]) on the trusted samples of
/// `partitioner` with their working labels. Epochs are counted across experts (`g = expert ·
/// epochs + epoch`); before every epoch with `g % refresh_every_epochs == 0` the partitioner
/// refits (round `g / refresh_every_epochs`, drawing from `seeds.rng(round)`, so the rounds are
/// those of [`crate::Pipeline::partition`] on the same data and seeds).
/// Returns the trajectories and every refit's report.
///
/// # Errors
/// An invalid-parameter error for `refresh_every_epochs = 0`; partitioner and training errors.
#[allow(clippy::too_many_arguments)]
pub fn train_trusted_experts(
    config: &ExpertConfig,
    partitioner: &mut dyn TrustPartitioner,
    dataset: Arc<ImageDataset>,
    device: &Device,
    refresh_every_epochs: usize,
    seeds: &RoundSeeds,
    dtype: DType,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<(Trajectories, Vec<PartitionRound>)> {
    if refresh_every_epochs == 0 {
        return Err(Error::invalid(
            "refresh_every_epochs",
            0,
            "at least 1 epoch",
        ));
    }
    let mut current: Option<Arc<dyn RealSampler>> = None;
    let mut rounds = Vec::new();
    let mut sampler_for = |expert: usize, epoch: usize| -> Result<Arc<dyn RealSampler>> {
        let g = expert * config.epochs + epoch;
        if let (Some(s), false) = (&current, g % refresh_every_epochs == 0) {
            return Ok(s.clone());
        }
        let round = g / refresh_every_epochs;
        rounds.push(fit_round(
            partitioner,
            &dataset,
            device,
            round,
            &mut seeds.rng(round),
            progress,
        )?);
        let partition = current_partition(partitioner)?;
        let s: Arc<dyn RealSampler> = Arc::new(DatasetSampler::from_partition(
            dataset.clone(),
            partition,
            device.clone(),
        )?);
        current = Some(s.clone());
        Ok(s)
    };
    let trajectories = train_experts_with(config, dtype, rng, progress, &mut sampler_for)?;
    Ok((trajectories, rounds))
}
