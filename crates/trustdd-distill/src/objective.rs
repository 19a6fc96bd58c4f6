//! [`Objective`]: a [`DistillObjective`] whose optimiser state can be checkpointed.

use crate::{DistillError, Result};
use candle_core::Tensor;
use std::collections::HashMap;
use trustdd_core::DistillObjective;

/// A distillation objective whose state (momentum buffers, learnt rates) can be saved and
/// restored, so a resumed run continues exactly where it stopped.
pub trait Objective: DistillObjective {
    /// Named state tensors (names unique within the objective).
    fn state(&self) -> Vec<(String, Tensor)>;

    /// Restores state saved by [`Objective::state`]; `state` holds exactly those names.
    ///
    /// # Errors
    /// A format error when a tensor is missing, unknown or of the wrong shape.
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()>;

    /// The learning rate evaluation should train with, when the objective learns one (MTT).
    fn eval_lr(&self) -> Option<f64> {
        None
    }
}

/// Converts for [`DistillObjective::step`], whose error type is the core one: core and candle
/// errors pass through unchanged; anything else is wrapped in a candle error so its message is
/// kept (and can be downcast back to [`DistillError`]).
impl From<DistillError> for trustdd_core::Error {
    fn from(e: DistillError) -> Self {
        match e {
            DistillError::Core(e) => e,
            DistillError::Candle(e) => trustdd_core::Error::Candle(e),
            DistillError::Nn(trustdd_nn::NnError::Core(e)) => e,
            DistillError::Nn(trustdd_nn::NnError::Candle(e)) => trustdd_core::Error::Candle(e),
            other => trustdd_core::Error::Candle(candle_core::Error::wrap(other)),
        }
    }
}

/// Restores an optional momentum buffer named `name` from `state`, checking that no other name is
/// present beyond `known`.
pub(crate) fn take_buffer(
    state: &HashMap<String, Tensor>,
    name: &str,
    known: &[&str],
    objective: &str,
) -> Result<Option<Tensor>> {
    if let Some(unknown) = state.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(DistillError::format(
            objective,
            "objective state",
            format!("unknown tensor {unknown:?} (expected only {known:?})"),
        ));
    }
    Ok(state.get(name).cloned())
}
