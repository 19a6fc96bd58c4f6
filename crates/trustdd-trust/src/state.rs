//! [`StatefulPartitioner`]: a partitioner whose state goes into checkpoints, for bit-exact resume.

use crate::error::{Result, TrustError};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use trustdd_core::{TrustAll, TrustPartition, TrustPartitioner};

/// A [`TrustPartitioner`] whose whole state (current partition, proxy weights, loss history, ...)
/// can be saved and restored, so that a resumed run refits exactly as an uninterrupted one.
/// Implementations must draw randomness only from the `rng` given to `observe`.
pub trait StatefulPartitioner: TrustPartitioner {
    /// Named state tensors (names unique within the partitioner).
    ///
    /// # Errors
    /// Candle errors while building the tensors.
    fn state(&self) -> Result<Vec<(String, Tensor)>>;

    /// Restores state saved by [`StatefulPartitioner::state`]; unknown names are errors.
    ///
    /// # Errors
    /// Shape or format errors for missing, unknown or malformed tensors.
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()>;

    /// A serialisable report of what the partitioner did (for example TAD's per-round
    /// diagnostics); `Null` when there is nothing to say.
    fn report(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// `trusted` as u8 flags and working labels as u32, on the CPU.
pub(crate) fn partition_tensors(p: &TrustPartition) -> Result<Vec<(String, Tensor)>> {
    let n = p.trusted.len();
    let flags: Vec<u8> = p.trusted.iter().map(|&t| u8::from(t)).collect();
    Ok(vec![
        ("trusted".into(), Tensor::from_vec(flags, n, &Device::Cpu)?),
        (
            "working_labels".into(),
            Tensor::from_vec(p.working_labels.clone(), n, &Device::Cpu)?,
        ),
    ])
}

/// Reads flags saved as u8 (any non-zero is true).
pub(crate) fn flags_from(t: &Tensor) -> Result<Vec<bool>> {
    Ok(t.to_dtype(DType::U8)?
        .flatten_all()?
        .to_vec1::<u8>()?
        .into_iter()
        .map(|v| v != 0)
        .collect())
}

/// The partition in `state`, if both of its tensors are present (one without the other is an
/// error).
pub(crate) fn partition_from(state: &HashMap<String, Tensor>) -> Result<Option<TrustPartition>> {
    match (state.get("trusted"), state.get("working_labels")) {
        (None, None) => Ok(None),
        (Some(t), Some(w)) => {
            let trusted = flags_from(t)?;
            let working_labels = w.to_dtype(DType::U32)?.flatten_all()?.to_vec1::<u32>()?;
            if trusted.len() != working_labels.len() {
                return Err(TrustError::shape(
                    "saved partition",
                    format!("{} working labels", trusted.len()),
                    working_labels.len(),
                ));
            }
            Ok(Some(TrustPartition {
                trusted,
                working_labels,
            }))
        }
        _ => Err(TrustError::invalid(
            "partitioner state",
            "one of trusted / working_labels",
            "both tensors or neither",
        )),
    }
}

/// Errors on a name outside `known`.
pub(crate) fn check_names(
    state: &HashMap<String, Tensor>,
    known: &dyn Fn(&str) -> bool,
    who: &str,
) -> Result<()> {
    match state.keys().find(|k| !known(k)) {
        Some(unknown) => Err(TrustError::invalid(
            format!("{who} state tensor"),
            unknown,
            "a name this partitioner saves",
        )),
        None => Ok(()),
    }
}

impl StatefulPartitioner for TrustAll {
    fn state(&self) -> Result<Vec<(String, Tensor)>> {
        match self.partition() {
            Some(p) => partition_tensors(p),
            None => Ok(Vec::new()),
        }
    }

    /// `TrustAll` re-derives its partition on the next `observe`; a saved one is only checked.
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        check_names(state, &|k| k == "trusted" || k == "working_labels", "all")?;
        partition_from(state)?;
        Ok(())
    }
}
