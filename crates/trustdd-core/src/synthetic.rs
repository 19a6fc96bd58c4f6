//! The learnable synthetic set and the [`DistillObjective`] trait that updates it.

use crate::{Error, ImageShape, Progress, RealSampler, Result, TrustRng};
use candle_core::{Device, Tensor, Var};
use std::collections::HashMap;

/// Labels of the synthetic images.
#[derive(Debug, Clone)]
pub enum SyntheticLabels {
    /// Fixed class indices, one per image.
    Hard(Vec<u32>),
    /// Learnable logits `N×classes` (soft labels, as in DATM).
    Soft(Var),
}

/// A small learnable image set: `ipc` images for each of `num_classes` classes, class-major
/// (images `c·ipc .. (c+1)·ipc` belong to class `c`), in network-input space.
#[derive(Debug, Clone)]
pub struct SyntheticSet {
    /// Learnable pixels, `(classes·ipc)×C×H×W`.
    pub images: Var,
    /// Their labels.
    pub labels: SyntheticLabels,
    /// Images per class.
    pub ipc: usize,
    /// Number of classes.
    pub num_classes: usize,
}

impl SyntheticSet {
    /// Initialises each class with `ipc` distinct random real images of that class.
    ///
    /// # Errors
    /// [`Error::NotEnough`] when a class has fewer than `ipc` usable images;
    /// [`Error::InvalidParameter`] when `ipc` is 0.
    pub fn from_real(real: &dyn RealSampler, ipc: usize, rng: &mut TrustRng) -> Result<Self> {
        check_ipc(ipc)?;
        let mut parts = Vec::with_capacity(real.num_classes());
        for c in 0..real.num_classes() {
            let members = real.class_members(c);
            if members.len() < ipc {
                return Err(Error::NotEnough {
                    what: format!("images of class {c} for synthetic init (IPC)"),
                    requested: ipc,
                    available: members.len(),
                });
            }
            let ids: Vec<usize> = rng
                .choose_indices(members.len(), ipc)
                .into_iter()
                .map(|k| members[k])
                .collect();
            parts.push(real.images(&ids)?);
        }
        let images = Tensor::cat(&parts, 0)?;
        Self::with_hard_labels(images, real.num_classes(), ipc)
    }

    /// Initialises every pixel from N(0, 1).
    pub fn from_noise(
        shape: ImageShape,
        num_classes: usize,
        ipc: usize,
        device: &Device,
        rng: &mut TrustRng,
    ) -> Result<Self> {
        check_ipc(ipc)?;
        let n = num_classes * ipc;
        let data = rng.normal_vec(n * shape.numel(), 0.0, 1.0);
        let images = Tensor::from_vec(data, shape.batch_dims(n), device)?;
        Self::with_hard_labels(images, num_classes, ipc)
    }

    fn with_hard_labels(images: Tensor, num_classes: usize, ipc: usize) -> Result<Self> {
        let labels = (0..num_classes as u32)
            .flat_map(|c| std::iter::repeat_n(c, ipc))
            .collect();
        Ok(Self {
            images: Var::from_tensor(&images)?,
            labels: SyntheticLabels::Hard(labels),
            ipc,
            num_classes,
        })
    }

    /// The images of class `c` (a view on the learnable tensor, so gradients reach it).
    pub fn class_images(&self, c: usize) -> Result<Tensor> {
        Ok(self.images.as_tensor().narrow(0, c * self.ipc, self.ipc)?)
    }
}

fn check_ipc(ipc: usize) -> Result<()> {
    if ipc == 0 {
        return Err(Error::invalid("ipc", 0, "at least 1 image per class"));
    }
    Ok(())
}

/// What an objective may use during one distillation iteration.
pub struct DistillContext<'a> {
    /// The real data (already diverted to trusted samples when a partitioner is in use).
    pub real: &'a dyn RealSampler,
    /// Iterations completed before this one.
    pub iteration: usize,
    /// Where to report progress of long inner work.
    pub progress: &'a dyn Progress,
}

/// Figures from one distillation iteration.
#[derive(Debug, Clone, Default)]
pub struct StepReport {
    /// The objective's loss before the update.
    pub loss: f64,
    /// The learning rate networks trained on the set should use, when the objective learns one
    /// (MTT's α); evaluation then trains with it instead of the protocol's rate.
    pub eval_lr: Option<f64>,
}

/// A distillation objective (DM, DC, DSA, MTT, ...): one call updates the synthetic set once.
///
/// The objective owns its image optimiser and any networks it samples; it reads real data only
/// through [`DistillContext::real`]. Objectives with state beyond the set (momentum buffers,
/// learnt rates) override [`state`](Self::state) and [`load_state`](Self::load_state), so a
/// resumed run continues exactly where it stopped.
pub trait DistillObjective: Send {
    /// A short name, for example `"dm"`.
    fn name(&self) -> String;
    /// Runs one outer iteration, updating `syn` in place.
    fn step(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<StepReport>;

    /// Named state tensors for checkpoints (names unique within the objective). Default: none.
    fn state(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Restores state saved by [`state`](Self::state); `state` holds exactly those names.
    ///
    /// # Errors
    /// A format error when a tensor is missing, unknown or of the wrong shape. The default
    /// accepts only an empty state.
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        check_no_state(state, &self.name())
    }
}

/// Errors when `state` holds any tensor: `who` saves none.
pub fn check_no_state(state: &HashMap<String, Tensor>, who: &str) -> Result<()> {
    match state.keys().min() {
        Some(name) => Err(Error::invalid(
            format!("{who} state tensor"),
            name,
            "no tensor (this strategy saves no state)",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DatasetSampler, ImageDataset};
    use std::sync::Arc;

    #[test]
    fn init_from_real_is_class_major_and_checks_ipc() {
        let ds = ImageDataset::new(
            "t",
            ImageShape::new(1, 1, 2),
            vec![0, 0, 10, 10, 200, 200, 250, 250, 255, 255],
            vec![0, 0, 1, 1, 1],
            vec!["a".into(), "b".into()],
        )
        .unwrap();
        let s = DatasetSampler::new(Arc::new(ds), Device::Cpu);
        let mut rng = TrustRng::new(0);
        let syn = SyntheticSet::from_real(&s, 2, &mut rng).unwrap();
        let x: Vec<f32> = syn
            .class_images(0)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert!(
            x.iter().all(|&v| v < 0.05),
            "class 0 images are the dark ones: {x:?}"
        );
        match &syn.labels {
            SyntheticLabels::Hard(l) => assert_eq!(l, &vec![0, 0, 1, 1]),
            SyntheticLabels::Soft(_) => panic!("hard labels expected"),
        }
        assert!(matches!(
            SyntheticSet::from_real(&s, 3, &mut rng),
            Err(Error::NotEnough {
                requested: 3,
                available: 2,
                ..
            })
        ));
        assert!(SyntheticSet::from_real(&s, 0, &mut rng).is_err());
    }
}
