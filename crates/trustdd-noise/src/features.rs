//! Per-sample features for instance-dependent noise.

use candle_core::{DType, Device, Tensor};
use trustdd_core::{Error, ImageDataset, Result};

/// Maps a dataset to a feature matrix, one row per image (`N × d` tensor, any float dtype).
///
/// Closures `Fn(&ImageDataset) -> Result<Tensor>` implement it (named `"custom"`), so a trained
/// network's embedding can drive [`crate::InstanceDependent`].
pub trait FeatureExtractor: Send + Sync {
    /// A short name for reports.
    fn name(&self) -> String;
    /// The `N × d` feature matrix of `dataset`.
    fn features(&self, dataset: &ImageDataset) -> Result<Tensor>;
}

impl<F> FeatureExtractor for F
where
    F: Fn(&ImageDataset) -> Result<Tensor> + Send + Sync,
{
    fn name(&self) -> String {
        "custom".into()
    }
    fn features(&self, dataset: &ImageDataset) -> Result<Tensor> {
        self(dataset)
    }
}

/// The raw pixels in [0, 1], flattened (`N × C·H·W`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RawPixels;

impl FeatureExtractor for RawPixels {
    fn name(&self) -> String {
        "pixels".into()
    }
    fn features(&self, dataset: &ImageDataset) -> Result<Tensor> {
        let values: Vec<f32> = dataset.pixels().iter().map(|&p| p as f32 / 255.0).collect();
        Ok(Tensor::from_vec(
            values,
            (dataset.len(), dataset.shape().numel()),
            &Device::Cpu,
        )?)
    }
}

/// A row-major host matrix whose rows have unit Euclidean norm (zero rows stay zero).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFeatures {
    /// Row-major values, `rows × dim`.
    pub values: Vec<f32>,
    /// Columns.
    pub dim: usize,
}

impl UnitFeatures {
    /// Number of values (rows × dim).
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// `true` when there is no value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }
}

/// The extractor's features copied to the host and scaled to unit norm per row, so the logits
/// `x · W` have unit variance whatever the feature scale.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the features are not a 2-D matrix with at least one column.
pub fn unit_features(
    extractor: &dyn FeatureExtractor,
    dataset: &ImageDataset,
) -> Result<UnitFeatures> {
    let t = extractor.features(dataset)?;
    let (rows, dim) = match t.dims() {
        &[r, d] if d > 0 => (r, d),
        dims => {
            return Err(Error::shape(
                format!("{} features", extractor.name()),
                "an N×d matrix with d ≥ 1",
                format!("{dims:?}"),
            ))
        }
    };
    let mut values = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    for row in values.chunks_exact_mut(dim) {
        let norm = row.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v = (*v as f64 / norm) as f32);
        }
    }
    debug_assert_eq!(values.len(), rows * dim);
    Ok(UnitFeatures { values, dim })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustdd_core::ImageShape;

    #[test]
    fn raw_pixels_are_scaled_to_unit_rows() {
        // Image 0 = (255, 0, 0, 0) → (1, 0, 0, 0); image 1 = (3, 4, 0, 0)/255 → (0.6, 0.8, 0, 0);
        // image 2 is all zero and stays zero.
        let pixels = vec![255, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0];
        let ds = ImageDataset::new(
            "t",
            ImageShape::new(1, 2, 2),
            pixels,
            vec![0, 1, 0],
            vec!["a".into(), "b".into()],
        )
        .unwrap();
        let f = unit_features(&RawPixels, &ds).unwrap();
        assert_eq!(f.dim, 4);
        assert_eq!(f.row(0), &[1.0, 0.0, 0.0, 0.0]);
        assert!((f.row(1)[0] - 0.6).abs() < 1e-6 && (f.row(1)[1] - 0.8).abs() < 1e-6);
        assert_eq!(f.row(2), &[0.0; 4]);
        let bad = |_: &ImageDataset| Ok(Tensor::zeros(3, DType::F32, &Device::Cpu)?);
        assert!(matches!(
            unit_features(&bad, &ds),
            Err(Error::ShapeMismatch { .. })
        ));
    }
}
