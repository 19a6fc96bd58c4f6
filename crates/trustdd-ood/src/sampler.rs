//! [`PseudoOutlierSampler`]: real images turned into pseudo-outliers, served as "classes".

use crate::{GeneratorList, Result};
use candle_core::{Device, Tensor};
use std::sync::Arc;
use trustdd_core::{Error, ImageShape, Preprocess, RealSampler, TrustRng};

/// A [`RealSampler`] whose "class" `g` is random real images of ANY class, corrupted by generator
/// `g` of a [`GeneratorList`]: the data an outlier set S_o is distilled from, by any existing
/// objective (DM matches embedding means per generator group; gradient matching with uniform
/// targets matches ∇θ L_OE).
///
/// Real images come as network inputs from the inner sampler, are mapped back to pixels with the
/// dataset's [`Preprocess::invert`] (clamped to [0, 1]), corrupted, and preprocessed again.
///
/// Randomness: [`RealSampler::sample`] draws the images and the corruption from the caller's
/// [`TrustRng`]. [`RealSampler::images`] has no generator argument, so its corruption draws from
/// `TrustRng::for_item(seed, hash of the ids)`: deterministic, and independent of call order.
///
/// Sample ids of group `g` are `g·stride + id` with `stride` = 1 + the largest inner id.
pub struct PseudoOutlierSampler {
    inner: Arc<dyn RealSampler>,
    generators: GeneratorList,
    preprocess: Preprocess,
    pool: Vec<usize>,
    members: Vec<Vec<usize>>,
    stride: usize,
    seed: u64,
}

impl std::fmt::Debug for PseudoOutlierSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PseudoOutlierSampler")
            .field("generators", &self.generators)
            .field("pool", &self.pool.len())
            .finish()
    }
}

impl PseudoOutlierSampler {
    /// Pseudo-outliers from every sample `inner` serves (any class), one group per generator.
    /// `preprocess` must be the one that made `inner`'s network inputs (the dataset's).
    ///
    /// # Errors
    /// [`trustdd_core::Error::Empty`] when `inner` serves no sample.
    pub fn new(
        inner: Arc<dyn RealSampler>,
        generators: GeneratorList,
        preprocess: Preprocess,
        seed: u64,
    ) -> Result<Self> {
        let mut pool: Vec<usize> = (0..inner.num_classes())
            .flat_map(|c| inner.class_members(c).iter().copied())
            .collect();
        pool.sort_unstable();
        pool.dedup();
        let stride = match pool.last() {
            Some(&max) => max + 1,
            None => {
                return Err(trustdd_core::Error::empty(
                    "real sampler for pseudo-outliers",
                ))
            }
        };
        let members = (0..generators.len())
            .map(|g| pool.iter().map(|&i| g * stride + i).collect())
            .collect();
        Ok(Self {
            inner,
            generators,
            preprocess,
            pool,
            members,
            stride,
            seed,
        })
    }

    /// The generators, one per group.
    pub fn generators(&self) -> &GeneratorList {
        &self.generators
    }

    /// Real images `ids` (inner ids) corrupted by generator `group`, as network inputs.
    ///
    /// Image `id` of group `g` is corrupted with `TrustRng::for_item(seed, g·stride + id)`, so it
    /// is the same outlier every time it is drawn: a pool corrupted once, as the official code
    /// builds its outlier pool once (speckle's noise is not redrawn per draw).
    fn corrupt(&self, group: usize, ids: &[usize]) -> trustdd_core::Result<Tensor> {
        let x = self.inner.images(ids)?;
        let pixels = self.preprocess.invert(&x)?.clamp(0f32, 1f32)?;
        let generator = self.generators.get(group);
        let corrupted = ids
            .iter()
            .enumerate()
            .map(|(k, &id)| {
                let mut rng = TrustRng::for_item(self.seed, (group * self.stride + id) as u64);
                generator.generate(&pixels.narrow(0, k, 1)?, &mut rng)
            })
            .collect::<trustdd_core::Result<Vec<_>>>()?;
        self.preprocess
            .apply(&Tensor::cat(&corrupted, 0)?.to_dtype(x.dtype())?)
    }

    fn check_group(&self, group: usize) -> trustdd_core::Result<()> {
        if group >= self.generators.len() {
            return Err(Error::EmptyClass {
                context: format!("pseudo-outlier sampler ({} groups)", self.generators.len()),
                class: group,
            });
        }
        Ok(())
    }
}

impl RealSampler for PseudoOutlierSampler {
    fn num_classes(&self) -> usize {
        self.generators.len()
    }
    fn image_shape(&self) -> ImageShape {
        self.inner.image_shape()
    }
    fn device(&self) -> &Device {
        self.inner.device()
    }
    fn class_members(&self, class: usize) -> &[usize] {
        self.members.get(class).map_or(&[], |v| v.as_slice())
    }

    /// Decodes `g·stride + id`; consecutive ids of one group are corrupted as one batch.
    fn images(&self, ids: &[usize]) -> trustdd_core::Result<Tensor> {
        let mut parts = Vec::new();
        let mut start = 0;
        while start < ids.len() {
            let group = ids[start] / self.stride;
            self.check_group(group)?;
            let end = ids[start..]
                .iter()
                .position(|&i| i / self.stride != group)
                .map_or(ids.len(), |p| start + p);
            let inner: Vec<usize> = ids[start..end].iter().map(|&i| i % self.stride).collect();
            parts.push(self.corrupt(group, &inner)?);
            start = end;
        }
        if parts.is_empty() {
            return self.inner.images(ids);
        }
        Ok(Tensor::cat(&parts, 0)?)
    }

    /// `min(n, pool size)` distinct random real images of any class, corrupted by generator
    /// `class`.
    fn sample(&self, class: usize, n: usize, rng: &mut TrustRng) -> trustdd_core::Result<Tensor> {
        self.check_group(class)?;
        let ids: Vec<usize> = rng
            .choose_indices(self.pool.len(), n.min(self.pool.len()))
            .into_iter()
            .map(|k| self.pool[k])
            .collect();
        self.corrupt(class, &ids)
    }
}
