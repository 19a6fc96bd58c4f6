//! Saving and loading a synthetic set as safetensors with metadata (strict loading).

use crate::tensor_file::{encode, read, TensorFile};
use crate::Result;
use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use trustdd_core::{write_atomic, ImageShape, Preprocess, SyntheticLabels, SyntheticSet};

const FORMAT: &str = "trustdd synthetic set";
const FORMAT_TAG: &str = "trustdd-synthetic-set";

/// What a saved set says about itself, beyond its tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetMetadata {
    /// The objective that produced it (`"dm"`, `"dc"`, `"dsa"`, `"mtt"`, `"real"`, ...).
    pub objective: String,
    /// The real dataset's name.
    pub dataset: String,
    /// Class names, one per class.
    pub class_names: Vec<String>,
    /// Shape of one image.
    pub shape: ImageShape,
    /// How raw pixels became the network inputs the images live in (normalisation or ZCA).
    pub preprocess: Preprocess,
    /// The distillation seed.
    pub seed: u64,
    /// The learning rate evaluation should train with (MTT's learnt α), if any.
    pub eval_lr: Option<f64>,
}

/// Checks that `set` and `meta` describe the same thing: images `(classes·ipc)×C×H×W`, labels of
/// matching size, class names per class.
///
/// # Errors
/// A shape error naming the first disagreement.
pub fn check_consistent(set: &SyntheticSet, meta: &SetMetadata) -> Result<()> {
    // Both counts come from file metadata, so their product may overflow.
    let n = set.num_classes.checked_mul(set.ipc).ok_or_else(|| {
        let what = format!("{} classes × {} images per class", set.num_classes, set.ipc);
        trustdd_core::Error::shape(
            "synthetic images (classes·ipc)",
            "a count that fits in usize",
            what,
        )
    })?;
    let expected = meta.shape.batch_dims(n);
    if set.images.dims4()? != expected {
        return Err(trustdd_core::Error::shape(
            "synthetic images (classes·ipc × C×H×W)",
            format!("{expected:?}"),
            format!("{:?}", set.images.dims()),
        ));
    }
    if meta.class_names.len() != set.num_classes {
        return Err(trustdd_core::Error::shape(
            "synthetic set class names",
            set.num_classes,
            meta.class_names.len(),
        ));
    }
    match &set.labels {
        SyntheticLabels::Hard(l) if l.len() != n => Err(trustdd_core::Error::shape(
            "synthetic hard labels",
            n,
            l.len(),
        )),
        SyntheticLabels::Hard(l) => match l.iter().find(|&&y| y as usize >= set.num_classes) {
            Some(&y) => Err(trustdd_core::Error::LabelOutOfRange {
                context: "synthetic set".into(),
                label: y.into(),
                num_classes: set.num_classes,
            }),
            None => Ok(()),
        },
        SyntheticLabels::Soft(v) if v.dims() != [n, set.num_classes] => {
            Err(trustdd_core::Error::shape(
                "synthetic soft labels",
                format!("[{n}, {}]", set.num_classes),
                format!("{:?}", v.dims()),
            ))
        }
        SyntheticLabels::Soft(_) => Ok(()),
    }
}

/// The tensors of a set: `images` and `labels` (u32 classes, or logits when soft), in their own dtype.
pub(crate) fn set_tensors(set: &SyntheticSet) -> Result<Vec<(String, Tensor)>> {
    let labels = match &set.labels {
        SyntheticLabels::Hard(l) => Tensor::from_slice(l, l.len(), &Device::Cpu)?,
        SyntheticLabels::Soft(v) => v.as_tensor().clone(),
    };
    Ok(vec![
        ("images".into(), set.images.as_tensor().clone()),
        ("labels".into(), labels),
    ])
}

/// Rebuilds a set from the tensors of [`set_tensors`] (taken from `file`).
pub(crate) fn set_from_file(
    file: &mut TensorFile,
    path: &Path,
    format: &'static str,
    ipc: usize,
    num_classes: usize,
    soft: bool,
) -> Result<SyntheticSet> {
    let images = file.take_finite(path, format, "images")?;
    let labels = if soft {
        let logits = file.take_finite(path, format, "labels")?;
        SyntheticLabels::Soft(Var::from_tensor(&logits.to_dtype(images.dtype())?)?)
    } else {
        let labels = file.take(path, format, "labels")?;
        if labels.dtype() != DType::U32 || labels.rank() != 1 {
            return Err(trustdd_core::Error::format(
                path,
                format,
                "hard labels must be a u32 vector",
            ));
        }
        SyntheticLabels::Hard(labels.to_vec1::<u32>()?)
    };
    Ok(SyntheticSet {
        images: Var::from_tensor(&images)?,
        labels,
        ipc,
        num_classes,
    })
}

/// Writes `set` and `meta` to `path` atomically.
///
/// # Errors
/// Inconsistent set/metadata ([`check_consistent`]); I/O errors naming the file.
pub fn save_set(path: &Path, set: &SyntheticSet, meta: &SetMetadata) -> Result<()> {
    check_consistent(set, meta)?;
    let mut m = HashMap::new();
    m.insert("format".into(), FORMAT_TAG.into());
    m.insert("trustdd_version".into(), env!("CARGO_PKG_VERSION").into());
    m.insert("objective".into(), meta.objective.clone());
    m.insert("dataset".into(), meta.dataset.clone());
    m.insert("ipc".into(), set.ipc.to_string());
    m.insert("num_classes".into(), set.num_classes.to_string());
    m.insert("label_kind".into(), label_kind(set).into());
    m.insert("seed".into(), meta.seed.to_string());
    m.insert("image_shape".into(), json(&meta.shape)?);
    m.insert("preprocess".into(), json(&meta.preprocess)?);
    m.insert("class_names".into(), json(&meta.class_names)?);
    m.insert("eval_lr".into(), json(&meta.eval_lr)?);
    write_atomic(path, &encode(&set_tensors(set)?, m)?)?;
    Ok(())
}

/// `"hard"` or `"soft"`.
pub(crate) fn label_kind(set: &SyntheticSet) -> &'static str {
    match set.labels {
        SyntheticLabels::Hard(_) => "hard",
        SyntheticLabels::Soft(_) => "soft",
    }
}

/// Reads a set written by [`save_set`] onto `device`, strictly: every metadata key must be
/// present and parse, the tensors must be exactly `images` and `labels`, and shapes must agree
/// with the metadata.
///
/// # Errors
/// I/O errors; format errors naming the missing or unknown key or tensor; shape errors.
pub fn load_set(path: &Path, device: &Device) -> Result<(SyntheticSet, SetMetadata)> {
    let mut file = read(path, FORMAT, device)?;
    file.expect_format_tag(path, FORMAT, FORMAT_TAG)?;
    let ipc: usize = file.meta_json(path, FORMAT, "ipc")?;
    let num_classes: usize = file.meta_json(path, FORMAT, "num_classes")?;
    let soft = match file.meta(path, FORMAT, "label_kind")? {
        "hard" => false,
        "soft" => true,
        other => {
            return Err(trustdd_core::Error::format(
                path,
                FORMAT,
                format!("label_kind {other:?} is not hard or soft"),
            ))
        }
    };
    let meta = SetMetadata {
        objective: file.meta(path, FORMAT, "objective")?.to_string(),
        dataset: file.meta(path, FORMAT, "dataset")?.to_string(),
        class_names: file.meta_json(path, FORMAT, "class_names")?,
        shape: file.meta_json(path, FORMAT, "image_shape")?,
        preprocess: file.meta_json(path, FORMAT, "preprocess")?,
        seed: file.meta_json(path, FORMAT, "seed")?,
        eval_lr: file.meta_json(path, FORMAT, "eval_lr")?,
    };
    let set = set_from_file(&mut file, path, FORMAT, ipc, num_classes, soft)?;
    file.finish(path, FORMAT)?;
    check_consistent(&set, &meta)?;
    Ok((set, meta))
}

/// JSON rendering of a metadata value.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| trustdd_core::Error::invalid("file metadata", e, "JSON-serialisable values"))
}
