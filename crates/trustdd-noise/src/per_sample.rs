//! Per-sample randomness that does not depend on the thread count.

use rayon::prelude::*;
use trustdd_core::{check_labels, NoiseContext, Result, TrustRng};

/// Maps every `(index, clean label)` of the context to an observed label, drawing the randomness
/// of sample `i` from [`TrustRng::for_item`]`(seed, i)`.
///
/// Work runs on the current rayon pool; because each sample owns its generator the result is the
/// same for any number of threads.
///
/// # Errors
/// [`trustdd_core::Error::LabelOutOfRange`] for a clean label ≥ `C`, then those of `f`.
pub(crate) fn map_labels<F>(ctx: &NoiseContext<'_>, f: F) -> Result<Vec<u32>>
where
    F: Fn(usize, u32, &mut TrustRng) -> Result<u32> + Sync,
{
    check_labels(ctx.labels, ctx.num_classes, "noise model: clean labels")?;
    ctx.labels
        .par_iter()
        .enumerate()
        .map(|(i, &y)| f(i, y, &mut TrustRng::for_item(ctx.seed, i as u64)))
        .collect()
}
