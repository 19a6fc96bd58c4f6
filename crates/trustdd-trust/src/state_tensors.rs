//! Checkpoint tensors the partitioners share: flags as u8, counts as one u32, JSON records as
//! bytes.

use crate::error::Result;
use candle_core::{DType, Device, Tensor};

/// Flags as a u8 tensor.
pub(crate) fn flags_tensor(flags: &[bool]) -> Result<Tensor> {
    let bytes: Vec<u8> = flags.iter().map(|&r| u8::from(r)).collect();
    Ok(Tensor::from_vec(bytes, flags.len(), &Device::Cpu)?)
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

/// A count as a one-element u32 tensor.
pub(crate) fn count_tensor(count: usize) -> Result<Tensor> {
    Ok(Tensor::from_vec(vec![count as u32], 1, &Device::Cpu)?)
}

/// Reads a count saved by [`count_tensor`] (0 for an empty tensor).
pub(crate) fn count_from(t: &Tensor) -> Result<usize> {
    Ok(t.to_dtype(DType::U32)?
        .flatten_all()?
        .to_vec1::<u32>()?
        .first()
        .copied()
        .unwrap_or(0) as usize)
}

/// A serialisable record as a u8 tensor of its JSON.
pub(crate) fn json_tensor<T: serde::Serialize>(what: &str, value: &T) -> Result<Tensor> {
    let json = serde_json::to_vec(value)
        .map_err(|e| trustdd_core::Error::invalid(what, e, "serialisable"))?;
    let len = json.len();
    Ok(Tensor::from_vec(json, len, &Device::Cpu)?)
}

/// Reads a record saved by [`json_tensor`].
pub(crate) fn json_from<T: serde::de::DeserializeOwned>(what: &str, t: &Tensor) -> Result<T> {
    serde_json::from_slice(&t.to_vec1::<u8>()?)
        .map_err(|e| trustdd_core::Error::invalid(what, e, "the JSON this partitioner writes"))
}
