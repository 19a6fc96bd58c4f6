//! The in-memory labelled image dataset every stage reads.

use crate::{Error, Result, TrustRng};
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Channels, height and width of one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageShape {
    /// Colour channels (1 for grey, 3 for RGB).
    pub channels: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl ImageShape {
    /// A shape from its three sizes.
    pub const fn new(channels: usize, height: usize, width: usize) -> Self {
        Self {
            channels,
            height,
            width,
        }
    }

    /// Values per image, `C·H·W`.
    pub const fn numel(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The 4-D tensor shape of a batch of `n` images.
    pub const fn batch_dims(&self, n: usize) -> (usize, usize, usize, usize) {
        (n, self.channels, self.height, self.width)
    }
}

impl std::fmt::Display for ImageShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.channels, self.height, self.width)
    }
}

/// Per-channel mean and standard deviation in pixel units of [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// Standard deviation per channel.
    pub std: Vec<f32>,
}

impl Normalization {
    /// Mean 0, std 1 for `channels` channels: pixels stay in [0, 1].
    pub fn identity(channels: usize) -> Self {
        Self {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        }
    }

    /// Checks the statistics fit `channels` and every std is positive and finite.
    pub fn validate(&self, channels: usize) -> Result<()> {
        if self.mean.len() != channels || self.std.len() != channels {
            return Err(Error::shape(
                "normalization statistics",
                format!("{channels} channels"),
                format!("{} means, {} stds", self.mean.len(), self.std.len()),
            ));
        }
        if let Some(s) = self.std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(Error::invalid(
                "normalization std",
                s,
                "a positive finite number",
            ));
        }
        if let Some(m) = self.mean.iter().find(|m| !m.is_finite()) {
            return Err(Error::invalid("normalization mean", m, "a finite number"));
        }
        Ok(())
    }
}

/// ZCA whitening applied after per-channel normalisation: `z = (x − μ) W` on flattened images.
///
/// The matrices are computed by `trustdd-data`; this type only applies them, so every crate can
/// materialise whitened batches without a linear-algebra dependency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zca {
    /// Per-feature mean of the normalised training images (length `C·H·W`).
    pub mean: Vec<f32>,
    /// Whitening matrix, row-major `d×d` (symmetric).
    pub whiten: Vec<f32>,
    /// Its inverse, row-major `d×d`, for visualisation.
    pub unwhiten: Vec<f32>,
    /// The ε added to the eigenvalues.
    pub epsilon: f64,
}

/// How raw pixels become network inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Preprocess {
    /// `(x − mean_c) / std_c` per channel.
    Normalize(Normalization),
    /// Per-channel normalisation followed by ZCA whitening.
    Zca(Normalization, Zca),
}

impl Preprocess {
    /// The per-channel statistics used first in either mode.
    pub fn normalization(&self) -> &Normalization {
        match self {
            Preprocess::Normalize(n) | Preprocess::Zca(n, _) => n,
        }
    }

    /// Maps a batch `N×C×H×W` of pixels in [0, 1] to network inputs.
    pub fn apply(&self, raw: &Tensor) -> Result<Tensor> {
        let norm = self.normalization();
        let c = norm.mean.len();
        let dev = raw.device();
        let mean = Tensor::from_slice(&norm.mean, (1, c, 1, 1), dev)?;
        let std = Tensor::from_slice(&norm.std, (1, c, 1, 1), dev)?;
        let x = raw.broadcast_sub(&mean)?.broadcast_div(&std)?;
        match self {
            Preprocess::Normalize(_) => Ok(x),
            Preprocess::Zca(_, zca) => zca_matmul(&x, &zca.mean, &zca.whiten, true),
        }
    }

    /// Maps network inputs back to pixels in [0, 1] (not clamped), for pictures.
    pub fn invert(&self, x: &Tensor) -> Result<Tensor> {
        let norm = self.normalization();
        let x = match self {
            Preprocess::Normalize(_) => x.clone(),
            Preprocess::Zca(_, zca) => zca_matmul(x, &zca.mean, &zca.unwhiten, false)?,
        };
        let c = norm.mean.len();
        let dev = x.device();
        let mean = Tensor::from_slice(&norm.mean, (1, c, 1, 1), dev)?;
        let std = Tensor::from_slice(&norm.std, (1, c, 1, 1), dev)?;
        Ok(x.broadcast_mul(&std)?.broadcast_add(&mean)?)
    }
}

/// `(x − μ) M` when `center_first`, else `x M + μ`, on flattened images.
fn zca_matmul(x: &Tensor, mean: &[f32], m: &[f32], center_first: bool) -> Result<Tensor> {
    let dims = x.dims4()?;
    let d = dims.1 * dims.2 * dims.3;
    if mean.len() != d || m.len() != d * d {
        return Err(Error::shape(
            "ZCA matrix",
            format!("{d} features"),
            format!("mean {} / matrix {}", mean.len(), m.len()),
        ));
    }
    let dev = x.device();
    let mu = Tensor::from_slice(mean, (1, d), dev)?;
    let mat = Tensor::from_slice(m, (d, d), dev)?;
    let flat = x.reshape((dims.0, d))?;
    let out = if center_first {
        flat.broadcast_sub(&mu)?.matmul(&mat)?
    } else {
        flat.matmul(&mat)?.broadcast_add(&mu)?
    };
    Ok(out.reshape(dims)?)
}

/// A labelled image set held in memory as 8-bit pixels (`N×C×H×W`, row-major).
///
/// Pixels stay `u8` (a quarter of the f32 size) and become normalised f32 tensors only when a
/// batch is materialised. `labels` are the observed (possibly noisy) labels; `clean_labels`, when
/// known, let later stages measure themselves.
#[derive(Debug, Clone)]
pub struct ImageDataset {
    name: String,
    shape: ImageShape,
    pixels: Vec<u8>,
    labels: Vec<u32>,
    clean_labels: Option<Vec<u32>>,
    class_names: Vec<String>,
    preprocess: Preprocess,
    by_class: Vec<Vec<usize>>,
}

impl ImageDataset {
    /// Builds a dataset, checking that sizes agree and every label is a valid class.
    ///
    /// Preprocessing defaults to identity normalisation; see [`Self::with_preprocess`].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `pixels` is not `labels.len()·C·H·W` long,
    /// [`Error::LabelOutOfRange`] for a label ≥ `class_names.len()`.
    pub fn new(
        name: impl Into<String>,
        shape: ImageShape,
        pixels: Vec<u8>,
        labels: Vec<u32>,
        class_names: Vec<String>,
    ) -> Result<Self> {
        let name = name.into();
        if shape.numel() == 0 {
            return Err(Error::invalid(
                format!("{name} image shape"),
                shape,
                "non-zero sizes",
            ));
        }
        if class_names.is_empty() {
            return Err(Error::invalid(
                format!("{name} classes"),
                0,
                "at least one class",
            ));
        }
        if pixels.len() != labels.len() * shape.numel() {
            return Err(Error::shape(
                format!("{name} pixels"),
                format!("{} images of {shape}", labels.len()),
                format!("{} bytes", pixels.len()),
            ));
        }
        check_labels(&labels, class_names.len(), &format!("{name} labels"))?;
        let by_class = index_by_class(&labels, class_names.len());
        Ok(Self {
            name,
            preprocess: Preprocess::Normalize(Normalization::identity(shape.channels)),
            shape,
            pixels,
            labels,
            clean_labels: None,
            class_names,
            by_class,
        })
    }

    /// Records the ground-truth labels (same length and range as `labels`).
    pub fn with_clean_labels(mut self, clean: Vec<u32>) -> Result<Self> {
        if clean.len() != self.labels.len() {
            return Err(Error::shape(
                format!("{} clean labels", self.name),
                self.labels.len(),
                clean.len(),
            ));
        }
        check_labels(
            &clean,
            self.num_classes(),
            &format!("{} clean labels", self.name),
        )?;
        self.clean_labels = Some(clean);
        Ok(self)
    }

    /// Replaces the observed labels with `noisy`; the previous labels become the clean labels
    /// unless clean labels were already recorded.
    pub fn relabel(mut self, noisy: Vec<u32>) -> Result<Self> {
        if noisy.len() != self.labels.len() {
            return Err(Error::shape(
                format!("{} noisy labels", self.name),
                self.labels.len(),
                noisy.len(),
            ));
        }
        check_labels(
            &noisy,
            self.num_classes(),
            &format!("{} noisy labels", self.name),
        )?;
        if self.clean_labels.is_none() {
            self.clean_labels = Some(std::mem::take(&mut self.labels));
        }
        self.by_class = index_by_class(&noisy, self.num_classes());
        self.labels = noisy;
        Ok(self)
    }

    /// Sets how pixels become network inputs.
    pub fn with_preprocess(mut self, preprocess: Preprocess) -> Result<Self> {
        preprocess.normalization().validate(self.shape.channels)?;
        self.preprocess = preprocess;
        Ok(self)
    }

    /// Renames the dataset (used in messages and reports).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The dataset's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Shape of one image.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// `true` when the dataset holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }
    /// Class names, indexed by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }
    /// Observed labels.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }
    /// Ground-truth labels when known.
    pub fn clean_labels(&self) -> Option<&[u32]> {
        self.clean_labels.as_deref()
    }
    /// How pixels become network inputs.
    pub fn preprocess(&self) -> &Preprocess {
        &self.preprocess
    }
    /// All pixels, `N×C×H×W` row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }
    /// The pixels of image `i`. Panics if `i >= len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        let d = self.shape.numel();
        &self.pixels[i * d..(i + 1) * d]
    }
    /// Indices of the images whose observed label is `class` (empty for an unknown class).
    pub fn class_members(&self, class: usize) -> &[usize] {
        self.by_class.get(class).map_or(&[], |v| v.as_slice())
    }

    /// Images `ids` as an `N×C×H×W` f32 tensor of pixels in [0, 1].
    ///
    /// # Errors
    /// [`Error::NotEnough`] for an index past the end.
    pub fn raw_batch(&self, ids: &[usize], device: &Device) -> Result<Tensor> {
        let d = self.shape.numel();
        let mut buf = Vec::with_capacity(ids.len() * d);
        self.check_indices(ids)?;
        for &i in ids {
            buf.extend(self.image(i).iter().map(|&p| p as f32 / 255.0));
        }
        Ok(Tensor::from_vec(
            buf,
            self.shape.batch_dims(ids.len()),
            device,
        )?)
    }

    /// Images `ids` preprocessed into network inputs (`N×C×H×W`, f32).
    pub fn batch(&self, ids: &[usize], device: &Device) -> Result<Tensor> {
        self.preprocess.apply(&self.raw_batch(ids, device)?)
    }

    /// Observed labels of `ids` as a u32 tensor of length N.
    pub fn label_batch(&self, ids: &[usize], device: &Device) -> Result<Tensor> {
        self.check_indices(ids)?;
        let labels: Vec<u32> = ids.iter().map(|&i| self.labels[i]).collect();
        Ok(Tensor::from_vec(labels, ids.len(), device)?)
    }

    /// `n` distinct random images of `class` (by observed label), without replacement.
    ///
    /// # Errors
    /// [`Error::NotEnough`] when the class holds fewer than `n` images.
    pub fn sample_class(&self, class: usize, n: usize, rng: &mut TrustRng) -> Result<Vec<usize>> {
        sample_members(self.class_members(class), n, rng, &self.name, class)
    }

    /// A random permutation of all indices cut into batches of `batch_size` (the last may be
    /// shorter).
    pub fn shuffled_batches(&self, batch_size: usize, rng: &mut TrustRng) -> Vec<Vec<usize>> {
        let mut ids: Vec<usize> = (0..self.len()).collect();
        rng.shuffle(&mut ids);
        ids.chunks(batch_size.max(1)).map(|c| c.to_vec()).collect()
    }

    /// A new dataset holding images `ids` in that order (labels, clean labels and preprocessing
    /// carried over).
    pub fn subset(&self, ids: &[usize]) -> Result<Self> {
        let d = self.shape.numel();
        let mut pixels = Vec::with_capacity(ids.len() * d);
        let mut labels = Vec::with_capacity(ids.len());
        self.check_indices(ids)?;
        for &i in ids {
            pixels.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        let clean = self
            .clean_labels
            .as_ref()
            .map(|c| ids.iter().map(|&i| c[i]).collect());
        let mut out = Self::new(
            self.name.clone(),
            self.shape,
            pixels,
            labels,
            self.class_names.clone(),
        )?;
        out.clean_labels = clean;
        out.preprocess = self.preprocess.clone();
        Ok(out)
    }

    /// Per-channel mean and (population) standard deviation of the pixels in [0, 1].
    pub fn channel_stats(&self) -> Normalization {
        let c = self.shape.channels;
        let hw = self.shape.height * self.shape.width;
        let mut sum = vec![0f64; c];
        let mut sq = vec![0f64; c];
        for img in self.pixels.chunks_exact(self.shape.numel()) {
            for ch in 0..c {
                for &p in &img[ch * hw..(ch + 1) * hw] {
                    let v = p as f64 / 255.0;
                    sum[ch] += v;
                    sq[ch] += v * v;
                }
            }
        }
        let n = (self.len() * hw).max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| ((s / n - m * m).max(0.0).sqrt()).max(1e-6) as f32)
            .collect();
        Self::stats_from(mean, std)
    }

    /// Errors with [`Error::NotEnough`] at the first index past the end.
    fn check_indices(&self, ids: &[usize]) -> Result<()> {
        match ids.iter().find(|&&i| i >= self.len()) {
            Some(&i) => Err(Error::NotEnough {
                what: format!("{} image index", self.name),
                requested: i + 1,
                available: self.len(),
            }),
            None => Ok(()),
        }
    }

    fn stats_from(mean: Vec<f64>, std: Vec<f32>) -> Normalization {
        Normalization {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            std,
        }
    }
}

/// Draws `n` distinct members at random; shared by the dataset and the samplers.
pub(crate) fn sample_members(
    members: &[usize],
    n: usize,
    rng: &mut TrustRng,
    what: &str,
    class: usize,
) -> Result<Vec<usize>> {
    if n > members.len() {
        return Err(Error::NotEnough {
            what: format!("{what} class {class}"),
            requested: n,
            available: members.len(),
        });
    }
    Ok(rng
        .choose_indices(members.len(), n)
        .into_iter()
        .map(|k| members[k])
        .collect())
}

/// Errors with [`Error::LabelOutOfRange`] at the first label ≥ `num_classes`.
pub fn check_labels(labels: &[u32], num_classes: usize, context: &str) -> Result<()> {
    match labels.iter().find(|&&l| l as usize >= num_classes) {
        Some(&l) => Err(Error::LabelOutOfRange {
            context: context.to_string(),
            label: l as u64,
            num_classes,
        }),
        None => Ok(()),
    }
}

/// Indices of each class, in dataset order.
pub fn index_by_class(labels: &[u32], num_classes: usize) -> Vec<Vec<usize>> {
    let mut by_class = vec![Vec::new(); num_classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l as usize].push(i);
    }
    by_class
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> ImageDataset {
        // 4 images of 1x2x2: pixel values 0..16, labels 0,1,0,1.
        let pixels: Vec<u8> = (0..16).map(|v| v * 17).collect();
        ImageDataset::new(
            "toy",
            ImageShape::new(1, 2, 2),
            pixels,
            vec![0, 1, 0, 1],
            vec!["a".into(), "b".into()],
        )
        .unwrap()
    }

    #[test]
    fn rejects_bad_sizes_and_labels() {
        let e = ImageDataset::new(
            "x",
            ImageShape::new(1, 2, 2),
            vec![0; 7],
            vec![0, 0],
            vec!["a".into()],
        );
        assert!(matches!(e, Err(Error::ShapeMismatch { .. })));
        let e = ImageDataset::new(
            "x",
            ImageShape::new(1, 1, 1),
            vec![0; 2],
            vec![0, 3],
            vec!["a".into(), "b".into()],
        );
        assert!(
            matches!(
                e,
                Err(Error::LabelOutOfRange {
                    label: 3,
                    num_classes: 2,
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn batches_normalise_and_index_by_class() {
        let ds = toy();
        assert_eq!(ds.class_members(1), &[1, 3]);
        let norm = Normalization {
            mean: vec![0.5],
            std: vec![0.25],
        };
        let ds = ds.with_preprocess(Preprocess::Normalize(norm)).unwrap();
        let x = ds.batch(&[1], &Device::Cpu).unwrap();
        let got: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        // image 1 holds 4*17..=7*17 = 68, 85, 102, 119; (v/255 - 0.5) / 0.25.
        for (g, v) in got.iter().zip([68f32, 85., 102., 119.]) {
            assert!((g - (v / 255.0 - 0.5) / 0.25).abs() < 1e-6);
        }
        let back = ds.preprocess().invert(&x).unwrap();
        let raw = ds.raw_batch(&[1], &Device::Cpu).unwrap();
        let diff = (back - raw).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-6);
    }

    #[test]
    fn relabel_keeps_clean_and_sampling_is_without_replacement() {
        let ds = toy().relabel(vec![1, 1, 0, 1]).unwrap();
        assert_eq!(ds.clean_labels().unwrap(), &[0, 1, 0, 1]);
        assert_eq!(ds.class_members(1), &[0, 1, 3]);
        let mut rng = TrustRng::new(0);
        let mut ids = ds.sample_class(1, 3, &mut rng).unwrap();
        ids.sort();
        assert_eq!(ids, vec![0, 1, 3]);
        assert!(matches!(
            ds.sample_class(0, 2, &mut rng),
            Err(Error::NotEnough {
                requested: 2,
                available: 1,
                ..
            })
        ));
        assert!(ds.relabel(vec![0, 2, 0, 0]).is_err());
    }

    #[test]
    fn channel_stats_match_closed_form() {
        let ds = toy();
        let s = ds.channel_stats();
        let vals: Vec<f64> = (0..16).map(|v| (v * 17) as f64 / 255.0).collect();
        let m = vals.iter().sum::<f64>() / 16.0;
        let sd = (vals.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 16.0).sqrt();
        assert!((s.mean[0] as f64 - m).abs() < 1e-6);
        assert!((s.std[0] as f64 - sd).abs() < 1e-6);
    }

    #[test]
    fn subset_carries_everything() {
        let ds = toy().relabel(vec![1, 1, 0, 1]).unwrap();
        let sub = ds.subset(&[3, 0]).unwrap();
        assert_eq!(sub.labels(), &[1, 1]);
        assert_eq!(sub.clean_labels().unwrap(), &[1, 0]);
        assert_eq!(sub.image(1), ds.image(0));
        assert!(ds.subset(&[4]).is_err());
    }
}
