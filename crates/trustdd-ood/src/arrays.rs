//! `ndarray` at the boundary: OOD scores of host logits and metrics of host score arrays.
//!
//! Thin wrappers over [`scores()`] and [`ood_metrics`]; arrays of any memory layout (transposed,
//! sliced with steps) are read in logical order.

use crate::{ood_metrics, scores, OodMetrics, Result, ScoreKind};
use candle_core::{Device, Tensor, WithDType};
use ndarray::{Array1, ArrayView1, ArrayView2};
use std::borrow::Cow;

/// One score per row of host logits `N×K` (see [`scores()`]; computed in f64).
///
/// # Errors
/// Those of [`scores()`]: a bad temperature (with Energy), `K = 0`, or `N = 0`.
pub fn scores_array<T: WithDType>(
    logits: ArrayView2<'_, T>,
    kind: ScoreKind,
    temperature: f64,
) -> Result<Array1<f64>> {
    let logits = Tensor::from_iter(logits.iter().copied(), &Device::Cpu)?.reshape(logits.dim())?;
    Ok(Array1::from(scores(&logits, kind, temperature)?))
}

/// [`ood_metrics`] of in-distribution scores `id` against out-of-distribution scores `ood`.
///
/// # Errors
/// Those of [`ood_metrics`]: an empty set or a NaN score.
pub fn ood_metrics_arrays(id: ArrayView1<'_, f64>, ood: ArrayView1<'_, f64>) -> Result<OodMetrics> {
    ood_metrics(&slice(&id), &slice(&ood))
}

/// The values in logical order, borrowed when the view is contiguous.
fn slice<'a>(v: &'a ArrayView1<'_, f64>) -> Cow<'a, [f64]> {
    match v.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(v.to_vec()),
    }
}
