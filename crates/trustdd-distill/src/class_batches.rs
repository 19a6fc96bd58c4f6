//! Helpers shared by the matching objectives: hard labels, per-class Siamese augmentation.

use crate::Result;
use candle_core::{Device, Tensor};
use trustdd_core::{SyntheticLabels, SyntheticSet, TrustRng};
use trustdd_train::dsa::Dsa;

/// The class labels of `syn`, or an error naming `objective` when they are soft.
pub(crate) fn hard_labels<'a>(syn: &'a SyntheticSet, objective: &str) -> Result<&'a [u32]> {
    match &syn.labels {
        SyntheticLabels::Hard(l) => Ok(l),
        SyntheticLabels::Soft(_) => Err(trustdd_core::Error::invalid(
            format!("{objective} synthetic labels"),
            "soft",
            "hard class labels (soft labels are learnt by MTT only)",
        )),
    }
}

/// Applies ONE transform drawn from `dsa` to both batches (Siamese mode), or returns them as they
/// are when augmentation is off.
pub(crate) fn siamese(
    real: &Tensor,
    syn: &Tensor,
    dsa: Option<&Dsa>,
    rng: &mut TrustRng,
) -> Result<(Tensor, Tensor)> {
    match dsa {
        Some(dsa) => {
            let t = dsa.sample_siamese(rng);
            Ok((t.apply(real)?, t.apply(syn)?))
        }
        None => Ok((real.clone(), syn.clone())),
    }
}

/// `n` copies of `class` as a `u32` label tensor.
pub(crate) fn class_labels(class: usize, n: usize, device: &Device) -> Result<Tensor> {
    Ok(Tensor::from_vec(vec![class as u32; n], n, device)?)
}

/// The gradient of `loss` with respect to the synthetic images, detached.
pub(crate) fn image_gradient(loss: &Tensor, syn: &SyntheticSet, objective: &str) -> Result<Tensor> {
    let grads = loss.backward()?;
    grads
        .get(syn.images.as_tensor())
        .map(Tensor::detach)
        .ok_or_else(|| trustdd_core::Error::NoGradient {
            context: objective.into(),
            what: "the synthetic images".into(),
        })
}

/// Errors unless `loss` is finite.
pub(crate) fn check_finite(loss: f64, objective: &str, iteration: usize) -> Result<()> {
    if loss.is_finite() {
        Ok(())
    } else {
        Err(trustdd_core::Error::NonFinite {
            what: format!("{objective} loss"),
            value: loss,
            at: format!("iteration {iteration}; lower the learning rate"),
        })
    }
}
