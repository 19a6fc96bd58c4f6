//! [`Diversion`]: how a partition reaches the objective. Hard diversion (ALGORITHMS.md §6) hands
//! the objective the trusted samples only; soft diversion also keeps each untrusted sample in
//! its observed class at the partitioner's estimate that its label is correct, so that the hard
//! but clean samples a split leaves out still pull on the class statistics, at a discount.

use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trustdd_core::{
    DatasetSampler, Error, ImageDataset, RealSampler, Result, TrustPartition, TrustPartitioner,
    WeightedSampler,
};

/// How a partition reaches the objective's real sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Diversion {
    /// Trusted samples only, each with its working label (TAD as published).
    #[default]
    Hard,
    /// Trusted samples at weight 1 with their working labels, and every other sample in its
    /// observed class at the partitioner's [clean weight](TrustPartitioner::clean_weights);
    /// batches are drawn by weight ([`WeightedSampler`]).
    Soft,
}

/// The sampler `diversion` makes of the partitioner's current partition over `dataset`.
///
/// # Errors
/// A missing partition; for [`Diversion::Soft`], a partitioner without clean weights or with
/// weights of the wrong length or outside `[0, 1]`; the samplers' shape errors.
pub fn diverted_sampler(
    diversion: Diversion,
    partitioner: &dyn TrustPartitioner,
    dataset: Arc<ImageDataset>,
    device: Device,
) -> Result<Box<dyn RealSampler>> {
    let partition = trustdd_core::current_partition(partitioner)?;
    Ok(match diversion {
        Diversion::Hard => Box::new(DatasetSampler::from_partition(dataset, partition, device)?),
        Diversion::Soft => {
            let weights = partitioner.clean_weights(&dataset)?.ok_or_else(|| {
                Error::invalid(
                    "trust.diversion",
                    "soft",
                    format!(
                        "a partitioner that estimates clean weights (`{}` does not)",
                        partitioner.name()
                    ),
                )
            })?;
            let members = soft_members(partition, &weights, &dataset)?;
            Box::new(WeightedSampler::new(dataset, members, device)?)
        }
    })
}

/// Class `c`'s `(id, weight)` pairs: the trusted samples with working label `c` at 1, and the
/// untrusted samples observed as `c` at their clean weight (those at 0 left out).
///
/// # Errors
/// A shape error when the partition or `weights` do not cover `dataset`; an invalid-parameter
/// error for a weight outside `[0, 1]`.
pub fn soft_members(
    partition: &TrustPartition,
    weights: &[f64],
    dataset: &ImageDataset,
) -> Result<Vec<Vec<(usize, f64)>>> {
    let n = dataset.len();
    if weights.len() != n {
        return Err(Error::shape("clean weights", n, weights.len()));
    }
    if let Some(bad) = weights.iter().find(|w| !(0.0..=1.0).contains(*w)) {
        return Err(Error::invalid(
            "clean weight",
            bad,
            "a probability in [0, 1]",
        ));
    }
    let mut members: Vec<Vec<(usize, f64)>> = partition
        .members_by_class(n, dataset.num_classes())?
        .into_iter()
        .map(|ids| ids.into_iter().map(|i| (i, 1.0)).collect())
        .collect();
    let labels = dataset.labels();
    for (i, (&trusted, &w)) in partition.trusted.iter().zip(weights).enumerate() {
        if !trusted && w > 0.0 {
            members[labels[i] as usize].push((i, w));
        }
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustdd_core::{ImageShape, TrustAll};

    fn four() -> ImageDataset {
        ImageDataset::new(
            "t",
            ImageShape::new(1, 1, 1),
            vec![0, 50, 100, 150],
            vec![0, 0, 1, 1],
            vec!["a".into(), "b".into()],
        )
        .unwrap()
    }

    #[test]
    fn untrusted_samples_stay_in_their_observed_class_at_their_weight() {
        // 0 trusted; 1 untrusted (w 0.3); 2 recalled into class 0; 3 untrusted at weight 0.
        let part = TrustPartition {
            trusted: vec![true, false, true, false],
            working_labels: vec![0, 0, 0, 1],
        };
        let m = soft_members(&part, &[0.9, 0.3, 0.1, 0.0], &four()).unwrap();
        assert_eq!(m, vec![vec![(0, 1.0), (2, 1.0), (1, 0.3)], vec![]]);
    }

    #[test]
    fn bad_weights_and_partitioners_without_them_are_typed_errors() {
        let part = TrustPartition::all_trusted(&[0, 0, 1, 1]);
        let ds = four();
        assert!(soft_members(&part, &[0.5; 3], &ds)
            .unwrap_err()
            .to_string()
            .contains("clean weights"));
        assert!(soft_members(&part, &[0.5, 0.5, 1.5, 0.5], &ds)
            .unwrap_err()
            .to_string()
            .contains("clean weight"));
        let mut all = TrustAll::default();
        let ctx = trustdd_core::PartitionContext {
            dataset: &ds,
            device: &Device::Cpu,
            round: 0,
            progress: &trustdd_core::Silent,
        };
        all.observe(&ctx, &mut trustdd_core::TrustRng::new(0))
            .unwrap();
        let e = diverted_sampler(Diversion::Soft, &all, Arc::new(ds), Device::Cpu)
            .err()
            .unwrap();
        assert!(e.to_string().contains("trust.diversion"), "{e}");
    }
}
