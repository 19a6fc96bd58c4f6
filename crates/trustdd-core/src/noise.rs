//! [`NoiseModel`]: how observed labels are made from clean ones.

use crate::{ImageDataset, Result};

/// What a noise model may look at.
#[derive(Debug, Clone, Copy)]
pub struct NoiseContext<'a> {
    /// The clean labels, one per sample.
    pub labels: &'a [u32],
    /// Number of classes.
    pub num_classes: usize,
    /// The images, for instance-dependent models (absent when only labels are known).
    pub dataset: Option<&'a ImageDataset>,
    /// The seed: the noisy labels must be a pure function of the labels, the model and this seed,
    /// whatever the thread count (draw per-sample randomness from
    /// [`TrustRng::for_item`](crate::TrustRng::for_item)).
    pub seed: u64,
}

/// A label-noise model: maps clean labels to observed labels.
///
/// Implement it outside trustdd to add a noise model; the pipeline takes `Box<dyn NoiseModel>`.
pub trait NoiseModel: Send + Sync {
    /// A short name with parameters, for example `"sym(0.4)"`.
    fn name(&self) -> String;
    /// The observed labels, one per clean label, each `< num_classes`.
    fn corrupt(&self, ctx: &NoiseContext<'_>) -> Result<Vec<u32>>;
}

/// The identity model: observed labels equal the clean ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNoise;

impl NoiseModel for NoNoise {
    fn name(&self) -> String {
        "none".into()
    }
    fn corrupt(&self, ctx: &NoiseContext<'_>) -> Result<Vec<u32>> {
        Ok(ctx.labels.to_vec())
    }
}

/// Applies `model` to the dataset's labels; the previous labels become its clean labels.
pub fn apply_noise(
    dataset: ImageDataset,
    model: &dyn NoiseModel,
    seed: u64,
) -> Result<ImageDataset> {
    let noisy = {
        let clean = dataset.clean_labels().unwrap_or(dataset.labels());
        model.corrupt(&NoiseContext {
            labels: clean,
            num_classes: dataset.num_classes(),
            dataset: Some(&dataset),
            seed,
        })?
    };
    dataset.relabel(noisy)
}
