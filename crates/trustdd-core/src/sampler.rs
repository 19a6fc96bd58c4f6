//! [`RealSampler`]: the only way a distillation objective reads real data.

use crate::dataset::sample_members;
use crate::{Error, ImageDataset, ImageShape, Result, TrustPartition, TrustRng};
use candle_core::{Device, Tensor};
use std::sync::Arc;

/// "A batch of n images of class c", and nothing more.
///
/// Objectives see real data only through this trait. A [`TrustPartitioner`](crate::TrustPartitioner)
/// changes what a sampler returns (only trusted samples, grouped by their working labels), so an
/// objective distils from clean-looking data without knowing that noise or partitioning exist.
pub trait RealSampler: Send + Sync {
    /// Number of classes.
    fn num_classes(&self) -> usize;
    /// Shape of one image.
    fn image_shape(&self) -> ImageShape;
    /// Where returned tensors live.
    fn device(&self) -> &Device;
    /// Sample ids currently usable as members of `class`.
    fn class_members(&self, class: usize) -> &[usize];
    /// Network inputs (`N×C×H×W`, preprocessed) for the given sample ids.
    fn images(&self, ids: &[usize]) -> Result<Tensor>;

    /// `min(n, class size)` distinct random images of `class`, as network inputs.
    ///
    /// Taking the whole class when it is smaller than `n` follows the reference implementations
    /// of DM and DC, which sample `permutation(class)[:n]`.
    ///
    /// # Errors
    /// [`Error::EmptyClass`] when the class has no usable sample.
    fn sample(&self, class: usize, n: usize, rng: &mut TrustRng) -> Result<Tensor> {
        let members = self.class_members(class);
        if members.is_empty() {
            return Err(Error::EmptyClass {
                context: "real sampler".into(),
                class,
            });
        }
        let ids = sample_members(members, n.min(members.len()), rng, "real sampler", class)?;
        self.images(&ids)
    }
}

/// A [`RealSampler`] over an [`ImageDataset`], grouping samples by observed labels or by the
/// working labels of a [`TrustPartition`].
#[derive(Debug, Clone)]
pub struct DatasetSampler {
    dataset: Arc<ImageDataset>,
    members: Vec<Vec<usize>>,
    device: Device,
}

impl DatasetSampler {
    /// Every sample, grouped by its observed label.
    pub fn new(dataset: Arc<ImageDataset>, device: Device) -> Self {
        let members = (0..dataset.num_classes())
            .map(|c| dataset.class_members(c).to_vec())
            .collect();
        Self {
            dataset,
            members,
            device,
        }
    }

    /// Only trusted samples, grouped by their working labels.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the partition was made for a dataset of another size.
    pub fn from_partition(
        dataset: Arc<ImageDataset>,
        partition: &TrustPartition,
        device: Device,
    ) -> Result<Self> {
        let members = partition.members_by_class(dataset.len(), dataset.num_classes())?;
        Ok(Self {
            dataset,
            members,
            device,
        })
    }

    /// The dataset behind the sampler.
    pub fn dataset(&self) -> &Arc<ImageDataset> {
        &self.dataset
    }
}

impl RealSampler for DatasetSampler {
    fn num_classes(&self) -> usize {
        self.members.len()
    }
    fn image_shape(&self) -> ImageShape {
        self.dataset.shape()
    }
    fn device(&self) -> &Device {
        &self.device
    }
    fn class_members(&self, class: usize) -> &[usize] {
        self.members.get(class).map_or(&[], |v| v.as_slice())
    }
    fn images(&self, ids: &[usize]) -> Result<Tensor> {
        self.dataset.batch(ids, &self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_changes_what_the_sampler_returns() {
        let ds = ImageDataset::new(
            "t",
            ImageShape::new(1, 1, 1),
            vec![0, 50, 100, 150],
            vec![0, 0, 1, 1],
            vec!["a".into(), "b".into()],
        )
        .unwrap();
        let ds = Arc::new(ds);
        let plain = DatasetSampler::new(ds.clone(), Device::Cpu);
        assert_eq!(plain.class_members(0), &[0, 1]);
        // Sample 1 untrusted; sample 2 recalled into class 0.
        let part = TrustPartition {
            trusted: vec![true, false, true, true],
            working_labels: vec![0, 0, 0, 1],
        };
        let s = DatasetSampler::from_partition(ds, &part, Device::Cpu).unwrap();
        assert_eq!(s.class_members(0), &[0, 2]);
        assert_eq!(s.class_members(1), &[3]);
        let mut rng = TrustRng::new(1);
        // Asking for more than the class holds returns the whole class.
        let x = s.sample(1, 5, &mut rng).unwrap();
        assert_eq!(x.dims4().unwrap(), (1, 1, 1, 1));
        let empty = TrustPartition {
            trusted: vec![true, true, false, false],
            working_labels: vec![0, 0, 1, 1],
        };
        let s = DatasetSampler::from_partition(s.dataset().clone(), &empty, Device::Cpu).unwrap();
        assert!(matches!(
            s.sample(1, 1, &mut rng),
            Err(Error::EmptyClass { class: 1, .. })
        ));
    }
}
