//! Observed labels read from a file: safetensors (one integer tensor), `.npy` (a 1-D integer
//! array) or text (one per line).

use safetensors::{Dtype, SafeTensors};
use std::path::{Path, PathBuf};
use trustdd_core::{check_labels, Error, NoiseContext, NoiseModel, Result};

/// Reads labels from `path`: a `.safetensors` file (tensor `tensor`, or its only tensor when
/// `None`; any integer dtype, rank 1), a `.npy` file (numpy's `np.save` of a 1-D array of any
/// integer dtype; `tensor` unused) or a text file with one non-negative integer per line (blank
/// lines skipped).
///
/// # Errors
/// [`Error::Io`] when unreadable; [`Error::Format`] naming the file for a missing tensor, a
/// non-integer dtype, a rank other than 1, a negative value, an unparsable line, or a malformed
/// or truncated `.npy` file.
pub fn read_labels(path: &Path, tensor: Option<&str>) -> Result<Vec<u32>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if path.extension().is_some_and(|e| e == "safetensors") {
        safetensors_labels(path, &bytes, tensor)
    } else if path.extension().is_some_and(|e| e == "npy") {
        crate::npy_labels::npy_labels(path, &bytes)
    } else {
        text_labels(path, &bytes)
    }
}

fn safetensors_labels(path: &Path, bytes: &[u8], tensor: Option<&str>) -> Result<Vec<u32>> {
    const FORMAT: &str = "safetensors labels";
    let st =
        SafeTensors::deserialize(bytes).map_err(|e| Error::format(path, FORMAT, e.to_string()))?;
    let mut names: Vec<String> = st.names().into_iter().map(String::from).collect();
    names.sort();
    let name = match tensor {
        Some(t) => t.to_string(),
        None if names.len() == 1 => names[0].clone(),
        None => {
            return Err(Error::format(
                path,
                FORMAT,
                format!(
                    "holds {} tensors ({}); name one",
                    names.len(),
                    names.join(", ")
                ),
            ))
        }
    };
    let view = st.tensor(&name).map_err(|_| {
        Error::format(
            path,
            FORMAT,
            format!("no tensor {name:?} (has: {})", names.join(", ")),
        )
    })?;
    if view.shape().len() != 1 {
        return Err(Error::format(
            path,
            FORMAT,
            format!(
                "tensor {name:?} has shape {:?}, expected one dimension",
                view.shape()
            ),
        ));
    }
    let data = view.data();
    let values: Vec<i128> = match view.dtype() {
        Dtype::U8 => data.iter().map(|&b| b as i128).collect(),
        Dtype::I8 => data.iter().map(|&b| b as i8 as i128).collect(),
        Dtype::U16 => le(data, 2, |b| u16::from_le_bytes([b[0], b[1]]) as i128),
        Dtype::I16 => le(data, 2, |b| i16::from_le_bytes([b[0], b[1]]) as i128),
        Dtype::U32 => le(data, 4, |b| {
            u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as i128
        }),
        Dtype::I32 => le(data, 4, |b| {
            i32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as i128
        }),
        Dtype::U64 => le(data, 8, |b| {
            u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as i128
        }),
        Dtype::I64 => le(data, 8, |b| {
            i64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as i128
        }),
        other => {
            return Err(Error::format(
                path,
                FORMAT,
                format!("tensor {name:?} has dtype {other:?}, expected an integer dtype"),
            ))
        }
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            u32::try_from(v).map_err(|_| {
                Error::format(
                    path,
                    FORMAT,
                    format!("tensor {name:?} entry {i} = {v} is not a label (0..2^32)"),
                )
            })
        })
        .collect()
}

/// Decodes `data` as consecutive `size`-byte integers (safetensors has checked the length).
fn le(data: &[u8], size: usize, f: impl Fn(&[u8]) -> i128) -> Vec<i128> {
    data.chunks_exact(size).map(f).collect()
}

fn text_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u32>> {
    const FORMAT: &str = "text labels (one per line)";
    let text =
        std::str::from_utf8(bytes).map_err(|e| Error::format(path, FORMAT, e.to_string()))?;
    let mut labels = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let label = line.parse::<u32>().map_err(|_| {
            Error::format(
                path,
                FORMAT,
                format!(
                    "line {}: {line:?} is not a non-negative integer",
                    line_no + 1
                ),
            )
        })?;
        labels.push(label);
    }
    Ok(labels)
}

/// The observed labels are given: read once from a file, checked against each context.
#[derive(Debug, Clone, PartialEq)]
pub struct FileLabels {
    name: String,
    path: PathBuf,
    labels: Vec<u32>,
}

impl FileLabels {
    /// Loads the labels of `path` (see [`read_labels`]).
    ///
    /// # Errors
    /// Those of [`read_labels`].
    pub fn load(path: &Path, tensor: Option<&str>) -> Result<Self> {
        let labels = read_labels(path, tensor)?;
        let name = match tensor {
            Some(t) => format!("file({}:{t})", path.display()),
            None => format!("file({})", path.display()),
        };
        Ok(Self {
            name,
            path: path.to_path_buf(),
            labels,
        })
    }

    /// Renames the model (the CIFAR-N sets call themselves `cifar10n(worse)` and so on).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The labels as read.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }
}

impl NoiseModel for FileLabels {
    fn name(&self) -> String {
        self.name.clone()
    }

    /// # Errors
    /// [`Error::ShapeMismatch`] naming the file when its length differs from the clean labels',
    /// [`Error::LabelOutOfRange`] naming the file for a label ≥ `C`.
    fn corrupt(&self, ctx: &NoiseContext<'_>) -> Result<Vec<u32>> {
        if self.labels.len() != ctx.labels.len() {
            return Err(Error::shape(
                format!("label file {}", self.path.display()),
                format!("{} labels (one per sample)", ctx.labels.len()),
                format!("{} labels", self.labels.len()),
            ));
        }
        check_labels(
            &self.labels,
            ctx.num_classes,
            &format!("label file {}", self.path.display()),
        )?;
        Ok(self.labels.clone())
    }
}
