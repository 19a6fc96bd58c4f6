//! [`MixedSource`]: two sets trained on together, the second with a weight, in zipped batches.

use crate::source::{image_shape_of, select_rows};
use crate::{Result, Targets, TrainSource};
use candle_core::{DType, Device, Tensor};
use trustdd_core::{ImageShape, TrustRng};

/// A [`TrainSource`] over a first part `A` and a second part `B` (same image shape, target
/// distributions over the same `K` classes) whose soft targets make every batch's loss
/// `mean_{A rows} CE(·, p_A) + λ·mean_{B rows} CE(·, p_B)` EXACTLY.
///
/// The training loop's loss on soft targets `q` is `(1/R) Σ_rows −Σ_k q_k log softmax(z)_k` over
/// the `R` rows of a batch; an `A` row gets `p_A · R/n_A` and a `B` row `p_B · λR/n_B`, with
/// `n_A`, `n_B` the rows of each part in that batch. Epochs shuffle the parts apart and zip
/// them (batch `k` is the `k`-th batch of `A` joined with the `k`-th of `B`), as two loaders
/// zipped; an epoch has as many batches as the shorter part.
///
/// Outlier exposure is `A` = the synthetic set with its labels and `B` = the outlier set with
/// uniform targets (CE to the uniform distribution is L_OE).
#[derive(Debug, Clone)]
pub struct MixedSource {
    images: Tensor,
    probs: Vec<f32>,
    n_first: usize,
    num_classes: usize,
    weight: f64,
}

impl MixedSource {
    /// `first` and `second` as `(images N×C×H×W, target distributions N×K row-major)`, the
    /// second part weighted by `weight`. Images are detached.
    ///
    /// # Errors
    /// An invalid-parameter error for a negative or non-finite `weight`; shape errors when
    /// images or targets disagree; [`trustdd_core::Error::Empty`] when a part is empty.
    pub fn new(
        first: (&Tensor, Vec<f32>),
        second: (&Tensor, Vec<f32>),
        num_classes: usize,
        weight: f64,
    ) -> Result<Self> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "weight of the second training set",
                weight,
                "a finite number ≥ 0",
            ));
        }
        let (a, b) = (first.0.detach(), second.0.detach());
        let (n_a, n_b) = (a.dim(0)?, b.dim(0)?);
        if n_a == 0 || n_b == 0 || num_classes == 0 {
            return Err(trustdd_core::Error::empty(
                "a part of a mixed training source",
            ));
        }
        if a.dims()[1..] != b.dims()[1..] {
            return Err(trustdd_core::Error::shape(
                "second training set's image shape",
                format!("{:?}", &a.dims()[1..]),
                format!("{:?}", &b.dims()[1..]),
            ));
        }
        for (what, probs, n) in [("first", &first.1, n_a), ("second", &second.1, n_b)] {
            if probs.len() != n * num_classes {
                return Err(trustdd_core::Error::shape(
                    format!("target distributions of the {what} training set"),
                    n * num_classes,
                    probs.len(),
                ));
            }
        }
        let mut probs = first.1;
        probs.extend(second.1);
        Ok(Self {
            images: Tensor::cat(&[&a, &b.to_dtype(a.dtype())?], 0)?,
            probs,
            n_first: n_a,
            num_classes,
            weight,
        })
    }

    /// The rows of hard labels as one-hot distributions over `k` classes.
    pub fn one_hot(labels: &[u32], k: usize) -> Vec<f32> {
        let mut p = vec![0f32; labels.len() * k];
        for (i, &l) in labels.iter().enumerate() {
            p[i * k + l as usize] = 1.0;
        }
        p
    }

    /// `Targets` as host distributions (hard labels one-hot, soft ones as they are).
    ///
    /// # Errors
    /// Candle errors reading soft targets.
    pub fn distributions(targets: &Targets, k: usize) -> Result<Vec<f32>> {
        Ok(match targets {
            Targets::Hard(l) => Self::one_hot(&l.to_vec1::<u32>()?, k),
            Targets::Soft(p) => p.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?,
        })
    }
}

impl TrainSource for MixedSource {
    fn len(&self) -> usize {
        self.images.dims()[0]
    }
    fn image_shape(&self) -> ImageShape {
        image_shape_of(&self.images)
    }
    fn batch(&self, ids: &[usize], device: &Device) -> Result<(Tensor, Targets)> {
        let (x, _) = select_rows(&self.images, ids, self.len(), "mixed training", device)?;
        let k = self.num_classes;
        let rows = ids.len() as f64;
        let n_a = ids.iter().filter(|&&i| i < self.n_first).count();
        let (w_a, w_b) = (
            rows / n_a.max(1) as f64,
            self.weight * rows / (ids.len() - n_a).max(1) as f64,
        );
        let mut targets = Vec::with_capacity(ids.len() * k);
        for &i in ids {
            let w = if i < self.n_first { w_a } else { w_b };
            targets.extend(
                self.probs[i * k..(i + 1) * k]
                    .iter()
                    .map(|&p| (p as f64 * w) as f32),
            );
        }
        let y = Tensor::from_vec(targets, (ids.len(), k), device)?;
        Ok((x, Targets::Soft(y)))
    }

    fn epoch_batches(&self, batch_size: usize, rng: &mut TrustRng) -> Vec<Vec<usize>> {
        let mut first: Vec<usize> = (0..self.n_first).collect();
        let mut second: Vec<usize> = (self.n_first..self.len()).collect();
        rng.shuffle(&mut first);
        rng.shuffle(&mut second);
        first
            .chunks(batch_size)
            .zip(second.chunks(batch_size))
            .map(|(a, b)| a.iter().chain(b).copied().collect())
            .collect()
    }
}
