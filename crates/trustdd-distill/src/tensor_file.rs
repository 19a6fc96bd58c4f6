//! Safetensors bytes with string metadata: the one container of every file this crate writes.

use crate::Result;
use candle_core::safetensors::Load;
use candle_core::{Device, Tensor};
use safetensors::SafeTensors;
use std::collections::HashMap;
use std::path::Path;

/// Tensors by name plus string metadata, as read from a file.
pub(crate) struct TensorFile {
    pub tensors: HashMap<String, Tensor>,
    pub metadata: HashMap<String, String>,
}

/// Serialises `tensors` with `metadata` (tensors are made contiguous on the host first).
pub(crate) fn encode(
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let host = tensors
        .iter()
        .map(|(n, t)| Ok((n.clone(), t.to_device(&Device::Cpu)?.contiguous()?)))
        .collect::<Result<Vec<_>>>()?;
    let bytes = safetensors::serialize(host, Some(metadata)).map_err(|e| {
        trustdd_core::Error::invalid("safetensors encoding", e, "serialisable tensors")
    })?;
    canonical_header(bytes)
}

/// The same file with its JSON header's keys (tensor names, `__metadata__` keys) in sorted
/// order: `safetensors::serialize` takes the metadata as a `HashMap` and writes it in that map's
/// iteration order, which is randomised per map, so two identical runs wrote different bytes.
/// Reordering keys keeps the header's length (compact JSON, same members), so the padding and
/// every data offset stay as they are.
fn canonical_header(mut bytes: Vec<u8>) -> Result<Vec<u8>> {
    use std::collections::BTreeMap;
    let bad =
        |why: String| trustdd_core::Error::invalid("safetensors header", why, "a header it wrote");
    let len = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
        .ok_or_else(|| bad("shorter than 8 bytes".into()))?;
    let header = bytes
        .get(8..8 + len)
        .ok_or_else(|| bad(format!("header length {len} beyond the file")))?;
    let text = std::str::from_utf8(header).map_err(|e| bad(e.to_string()))?;
    let trimmed = text.trim_end_matches(' ');
    // BTreeMaps at both levels sort the keys whatever serde_json's `preserve_order` feature is.
    let mut top: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(trimmed).map_err(|e| bad(e.to_string()))?;
    if let Some(meta) = top.remove("__metadata__") {
        let sorted: BTreeMap<String, String> =
            serde_json::from_value(meta).map_err(|e| bad(e.to_string()))?;
        let sorted = serde_json::to_value(sorted).map_err(|e| bad(e.to_string()))?;
        top.insert("__metadata__".into(), sorted);
    }
    let canonical = serde_json::to_string(&top).map_err(|e| bad(e.to_string()))?;
    if canonical.len() != trimmed.len() {
        return Err(bad(format!(
            "canonical header of {} bytes for {}",
            canonical.len(),
            trimmed.len()
        )));
    }
    bytes[8..8 + canonical.len()].copy_from_slice(canonical.as_bytes());
    Ok(bytes)
}

/// Reads the file at `path` (`format` names it in errors) onto `device`.
pub(crate) fn read(path: &Path, format: &'static str, device: &Device) -> Result<TensorFile> {
    let bytes = std::fs::read(path).map_err(|e| trustdd_core::Error::io(path, e))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| trustdd_core::Error::format(path, format, e.to_string()))?;
    let (_, header) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| trustdd_core::Error::format(path, format, e.to_string()))?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let mut tensors = HashMap::new();
    for (name, view) in st.tensors() {
        let t = view.load(device).map_err(|e| {
            trustdd_core::Error::format(path, format, format!("tensor {name:?}: {e}"))
        })?;
        tensors.insert(name, t);
    }
    Ok(TensorFile { tensors, metadata })
}

impl TensorFile {
    /// The metadata value `key`, or a format error naming it.
    pub fn meta(&self, path: &Path, format: &'static str, key: &str) -> Result<&str> {
        self.metadata.get(key).map(String::as_str).ok_or_else(|| {
            trustdd_core::Error::format(path, format, format!("missing metadata {key:?}"))
        })
    }

    /// Errors unless metadata `"format"` equals `tag` (a checkpoint is not a synthetic set, and
    /// the reverse).
    pub fn expect_format_tag(&self, path: &Path, format: &'static str, tag: &str) -> Result<()> {
        if self.meta(path, format, "format")? != tag {
            return Err(trustdd_core::Error::format(
                path,
                format,
                format!("format tag is not {tag:?}"),
            ));
        }
        Ok(())
    }

    /// Parses metadata `key` from JSON.
    pub fn meta_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &Path,
        format: &'static str,
        key: &str,
    ) -> Result<T> {
        serde_json::from_str(self.meta(path, format, key)?).map_err(|e| {
            trustdd_core::Error::format(path, format, format!("metadata {key:?}: {e}"))
        })
    }

    /// Removes and returns tensor `name`, or a format error naming it.
    pub fn take(&mut self, path: &Path, format: &'static str, name: &str) -> Result<Tensor> {
        self.tensors.remove(name).ok_or_else(|| {
            trustdd_core::Error::format(path, format, format!("missing tensor {name:?}"))
        })
    }

    /// [`take`](Self::take), then a format error if any value is NaN or infinite: a set or
    /// trajectory from a diverged run would otherwise surface as NaN losses far from the file
    /// that caused them.
    pub fn take_finite(&mut self, path: &Path, format: &'static str, name: &str) -> Result<Tensor> {
        let t = self.take(path, format, name)?;
        // x·0 is 0 for every finite x and NaN for NaN and ±∞, so one on-device sum tells whether
        // anything is wrong without copying a large trajectory to the host (or overflowing).
        let probe = (&t * 0.0)?.sum_all()?.to_dtype(candle_core::DType::F64)?;
        if probe.to_scalar::<f64>()?.is_finite() {
            return Ok(t);
        }
        let values = t
            .flatten_all()?
            .to_dtype(candle_core::DType::F64)?
            .to_vec1::<f64>()?;
        let mut bad = values.iter().enumerate().filter(|(_, v)| !v.is_finite());
        let (first, v) = bad.next().map_or((0, f64::NAN), |(i, v)| (i, *v));
        Err(trustdd_core::Error::format(
            path,
            format,
            format!(
                "tensor {name:?} holds {} non-finite values (first: {v} at flat index {first}); \
                 expected finite numbers",
                1 + bad.count()
            ),
        ))
    }

    /// Errors if any tensor is left that the reader did not take (strict loading).
    pub fn finish(&self, path: &Path, format: &'static str) -> Result<()> {
        match self.tensors.keys().next() {
            Some(name) => Err(trustdd_core::Error::format(
                path,
                format,
                format!("unknown tensor {name:?}"),
            )),
            None => Ok(()),
        }
    }
}
