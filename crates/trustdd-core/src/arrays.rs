//! `ndarray` at the boundary: datasets and synthetic sets to and from host arrays.
//!
//! Images are `N×C×H×W` in every direction. Arrays of any memory layout (transposed, sliced with
//! steps) are accepted and copied in logical (row-major) order; every bad input is a typed
//! [`Error`] naming the parameter, never a panic.

use crate::{Error, ImageDataset, ImageShape, Result, SyntheticLabels, SyntheticSet};
use candle_core::{DType, Device, Tensor, Var};
use ndarray::{Array1, Array2, Array4, ArrayView1, ArrayView4};

impl ImageDataset {
    /// Builds a dataset from `N×C×H×W` pixels and `N` observed labels.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `labels` does not hold one label per image; those of
    /// [`ImageDataset::new`] (a zero image size, no class, a label ≥ `class_names.len()`).
    pub fn from_arrays(
        name: impl Into<String>,
        images: ArrayView4<'_, u8>,
        labels: ArrayView1<'_, u32>,
        class_names: Vec<String>,
    ) -> Result<Self> {
        let name = name.into();
        let (n, c, h, w) = images.dim();
        if labels.len() != n {
            return Err(Error::shape(
                format!("{name} labels (one per image)"),
                n,
                labels.len(),
            ));
        }
        let pixels = images.iter().copied().collect();
        Self::new(
            name,
            ImageShape::new(c, h, w),
            pixels,
            labels.to_vec(),
            class_names,
        )
    }

    /// The pixels as an `N×C×H×W` array.
    pub fn images_array(&self) -> Array4<u8> {
        Array4::from_shape_vec(self.shape().batch_dims(self.len()), self.pixels().to_vec())
            .expect("ImageDataset::new checked that pixels hold N·C·H·W values")
    }

    /// The observed labels as an array of length `N`.
    pub fn labels_array(&self) -> Array1<u32> {
        Array1::from(self.labels().to_vec())
    }

    /// The ground-truth labels as an array of length `N`, when known.
    pub fn clean_labels_array(&self) -> Option<Array1<u32>> {
        self.clean_labels().map(|l| Array1::from(l.to_vec()))
    }
}

/// The labels of a synthetic set as host arrays.
#[derive(Debug, Clone, PartialEq)]
pub enum SyntheticLabelsArray {
    /// Class indices, one per image, class-major (image `i` is class `i / ipc`).
    Hard(Array1<u32>),
    /// Learnable logits `N×classes` (soft labels).
    Soft(Array2<f32>),
}

impl SyntheticSet {
    /// The images as an `N×C×H×W` f32 array (sets of other float dtypes are converted).
    ///
    /// # Errors
    /// Candle errors, for example when the images are not 4-D.
    pub fn images_array(&self) -> Result<Array4<f32>> {
        let images = self.images.as_tensor();
        let dims = images.dims4()?;
        let data = images.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
        Array4::from_shape_vec(dims, data)
            .map_err(|e| Error::shape("synthetic images", format!("{dims:?}"), e))
    }

    /// The labels as host arrays (soft logits converted to f32).
    ///
    /// # Errors
    /// Candle errors, for example when the soft labels are not 2-D.
    pub fn labels_array(&self) -> Result<SyntheticLabelsArray> {
        Ok(match &self.labels {
            SyntheticLabels::Hard(l) => SyntheticLabelsArray::Hard(Array1::from(l.clone())),
            SyntheticLabels::Soft(logits) => {
                let logits = logits.as_tensor();
                let dims = logits.dims2()?;
                let data = logits.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
                SyntheticLabelsArray::Soft(
                    Array2::from_shape_vec(dims, data).map_err(|e| {
                        Error::shape("synthetic soft labels", format!("{dims:?}"), e)
                    })?,
                )
            }
        })
    }

    /// Builds a learnable f32 set on `device` from `N×C×H×W` images and their labels, `ipc`
    /// images per class, class-major: `N / ipc` classes, images `c·ipc .. (c+1)·ipc` of class
    /// `c`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `ipc` = 0, a zero image size, a NaN or infinite value,
    /// or a hard label other than its image's class; [`Error::ShapeMismatch`] when there is no
    /// image, `N` is not a multiple of `ipc`, or the labels are not `N` long (soft:
    /// `N × N/ipc`); [`Error::LabelOutOfRange`] for a hard label ≥ `N / ipc`.
    pub fn from_arrays(
        images: ArrayView4<'_, f32>,
        labels: &SyntheticLabelsArray,
        ipc: usize,
        device: &Device,
    ) -> Result<Self> {
        if ipc == 0 {
            return Err(Error::invalid("ipc", 0, "at least 1 image per class"));
        }
        let (n, c, h, w) = images.dim();
        if n == 0 || n % ipc != 0 {
            return Err(Error::shape(
                format!("synthetic images (classes·ipc, ipc = {ipc})"),
                format!("a positive multiple of {ipc}"),
                format!("{n} images"),
            ));
        }
        if c * h * w == 0 {
            let shape = ImageShape::new(c, h, w);
            return Err(Error::invalid(
                "synthetic image shape",
                shape,
                "non-zero sizes",
            ));
        }
        let num_classes = n / ipc;
        check_finite(images.iter(), "synthetic images")?;
        let labels = match labels {
            SyntheticLabelsArray::Hard(l) => {
                SyntheticLabels::Hard(class_major_labels(l, ipc, num_classes)?)
            }
            SyntheticLabelsArray::Soft(logits) => {
                if logits.dim() != (n, num_classes) {
                    return Err(Error::shape(
                        "synthetic soft labels (images × classes)",
                        format!("{n}×{num_classes}"),
                        format!("{}×{}", logits.nrows(), logits.ncols()),
                    ));
                }
                check_finite(logits.iter(), "synthetic soft labels")?;
                let data = logits.iter().copied().collect();
                SyntheticLabels::Soft(Var::from_tensor(&Tensor::from_vec(
                    data,
                    (n, num_classes),
                    device,
                )?)?)
            }
        };
        let data = images.iter().copied().collect();
        let images = Tensor::from_vec(data, (n, c, h, w), device)?;
        Ok(Self {
            images: Var::from_tensor(&images)?,
            labels,
            ipc,
            num_classes,
        })
    }
}

/// Checks hard labels are `i / ipc` for image `i` and returns them.
fn class_major_labels(labels: &Array1<u32>, ipc: usize, num_classes: usize) -> Result<Vec<u32>> {
    let n = num_classes * ipc;
    if labels.len() != n {
        return Err(Error::shape(
            "synthetic hard labels (one per image)",
            n,
            labels.len(),
        ));
    }
    for (i, &label) in labels.iter().enumerate() {
        if label as usize >= num_classes {
            return Err(Error::LabelOutOfRange {
                context: format!("synthetic hard label {i}"),
                label: label.into(),
                num_classes,
            });
        }
        if label as usize != i / ipc {
            return Err(Error::invalid(
                format!("synthetic hard label {i}"),
                label,
                format!(
                    "{} (class-major: images c·ipc..(c+1)·ipc are class c)",
                    i / ipc
                ),
            ));
        }
    }
    Ok(labels.to_vec())
}

/// Errors with [`Error::InvalidParameter`] at the first NaN or infinite value.
fn check_finite<'a>(values: impl Iterator<Item = &'a f32>, what: &str) -> Result<()> {
    match values.enumerate().find(|(_, v)| !v.is_finite()) {
        Some((i, v)) => Err(Error::invalid(
            format!("{what} (value {i} in logical order)"),
            v,
            "a finite number",
        )),
        None => Ok(()),
    }
}
