//! Restoring an objective's optional momentum buffers from checkpoint state.

use crate::Result;
use candle_core::Tensor;
use std::collections::HashMap;

/// The optional state tensor `name` in `state`, after checking that `state` holds no name
/// outside `known` (for [`trustdd_core::DistillObjective::load_state`]).
///
/// # Errors
/// A format error naming `objective` and the unknown tensor.
pub fn take_buffer(
    state: &HashMap<String, Tensor>,
    name: &str,
    known: &[&str],
    objective: &str,
) -> Result<Option<Tensor>> {
    if let Some(unknown) = state.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(trustdd_core::Error::format(
            objective,
            "objective state",
            format!("unknown tensor {unknown:?} (expected only {known:?})"),
        ));
    }
    Ok(state.get(name).cloned())
}
