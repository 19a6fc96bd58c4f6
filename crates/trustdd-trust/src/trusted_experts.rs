//! MTT diversion (ALGORITHMS.md §6): expert trajectories trained on the trusted set, with the
//! partition refreshed during expert training.

use crate::error::{Result, TrustError};
use crate::state::StatefulPartitioner;
use candle_core::{DType, Device};
use std::sync::Arc;
use trustdd_core::{
    DatasetSampler, ImageDataset, PartitionContext, Progress, RealSampler, TrustRng,
};
use trustdd_distill::{train_experts_with, ExpertConfig, Trajectories};

/// Trains MTT experts ([`trustdd_distill::train_experts_with`]) on the trusted samples of
/// `partitioner` with their working labels. Epochs are counted across experts (`g = expert ·
/// epochs + epoch`); before every epoch with `g % refresh_every_epochs == 0` the partitioner
/// refits (round `g / refresh_every_epochs`, drawing from `TrustRng::for_item(seed, round)`).
///
/// # Errors
/// An invalid-parameter error for `refresh_every_epochs = 0`; partitioner and training errors.
#[allow(clippy::too_many_arguments)]
pub fn train_trusted_experts(
    config: &ExpertConfig,
    partitioner: &mut dyn StatefulPartitioner,
    dataset: Arc<ImageDataset>,
    device: &Device,
    refresh_every_epochs: usize,
    seed: u64,
    dtype: DType,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<Trajectories> {
    if refresh_every_epochs == 0 {
        return Err(TrustError::invalid(
            "refresh_every_epochs",
            0,
            "at least 1 epoch",
        ));
    }
    let mut current: Option<Arc<dyn RealSampler>> = None;
    let mut sampler_for =
        |expert: usize, epoch: usize| -> trustdd_distill::Result<Arc<dyn RealSampler>> {
            let g = expert * config.epochs + epoch;
            if let (Some(s), false) = (&current, g % refresh_every_epochs == 0) {
                return Ok(s.clone());
            }
            let round = g / refresh_every_epochs;
            let ctx = PartitionContext {
                dataset: &dataset,
                device,
                round,
                progress,
            };
            partitioner.observe(&ctx, &mut TrustRng::for_item(seed, round as u64))?;
            let partition = partitioner.partition().ok_or_else(|| {
                trustdd_distill::DistillError::invalid(
                    "partitioner",
                    partitioner.name(),
                    "a partition after observe",
                )
            })?;
            let s: Arc<dyn RealSampler> = Arc::new(DatasetSampler::from_partition(
                dataset.clone(),
                partition,
                device.clone(),
            )?);
            current = Some(s.clone());
            Ok(s)
        };
    Ok(train_experts_with(
        config,
        dtype,
        rng,
        progress,
        &mut sampler_for,
    )?)
}
