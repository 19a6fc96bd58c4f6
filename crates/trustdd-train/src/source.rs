//! Where training batches come from: a (large) image dataset or tensors already in memory.

use crate::{Result, Targets};
use candle_core::{Device, Tensor};
use trustdd_core::{ImageDataset, ImageShape, TrustRng};

/// A finite set of training examples the training loop draws mini-batches from.
pub trait TrainSource {
    /// Number of examples.
    fn len(&self) -> usize;
    /// `true` when there is no example.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Shape of one image.
    fn image_shape(&self) -> ImageShape;
    /// Examples `ids` as network inputs `n×C×H×W` (no graph attached) and their targets, on
    /// `device`.
    fn batch(&self, ids: &[usize], device: &Device) -> Result<(Tensor, Targets)>;

    /// One epoch's mini-batches (example ids). Default: every example once, shuffled, in
    /// chunks of `batch_size`; a source made of parts overrides it (outlier exposure zips one
    /// batch of each part).
    fn epoch_batches(&self, batch_size: usize, rng: &mut TrustRng) -> Vec<Vec<usize>> {
        let mut ids: Vec<usize> = (0..self.len()).collect();
        rng.shuffle(&mut ids);
        ids.chunks(batch_size).map(<[usize]>::to_vec).collect()
    }
}

/// Batches are materialised on the fly from the `u8` pixels, preprocessed, with hard
/// (observed) labels.
impl TrainSource for ImageDataset {
    fn len(&self) -> usize {
        ImageDataset::len(self)
    }
    fn image_shape(&self) -> ImageShape {
        self.shape()
    }
    fn batch(&self, ids: &[usize], device: &Device) -> Result<(Tensor, Targets)> {
        let x = ImageDataset::batch(self, ids, device)?;
        let y = Targets::Hard(self.label_batch(ids, device)?);
        Ok((x, y))
    }
}

/// Images and targets held as tensors (a synthetic set). Images are detached on construction:
/// training a network on them never sends gradients back to them.
#[derive(Debug, Clone)]
pub struct TensorSource {
    images: Tensor,
    targets: Targets,
}

impl TensorSource {
    /// Pairs `images` (`N×C×H×W`) with `N` targets.
    ///
    /// # Errors
    /// A shape error when `images` is not 4-D or the counts differ.
    pub fn new(images: &Tensor, targets: Targets) -> Result<Self> {
        let n = images.dims4()?.0;
        if targets.len() != n {
            return Err(trustdd_core::Error::shape(
                "targets for the images",
                n,
                targets.len(),
            ));
        }
        Ok(Self {
            images: images.detach(),
            targets,
        })
    }

    /// The images.
    pub fn images(&self) -> &Tensor {
        &self.images
    }

    /// The targets.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }
}

/// The shape of one image of an `N×C×H×W` tensor.
pub(crate) fn image_shape_of(images: &Tensor) -> ImageShape {
    let d = images.dims();
    ImageShape::new(d[1], d[2], d[3])
}

/// Rows `ids` of `images` on `device`, after checking every id is below `n`.
///
/// # Errors
/// [`trustdd_core::Error::NotEnough`] naming `what` for an id out of range.
pub(crate) fn select_rows(
    images: &Tensor,
    ids: &[usize],
    n: usize,
    what: &str,
    device: &Device,
) -> Result<(Tensor, Tensor)> {
    if let Some(&bad) = ids.iter().find(|&&i| i >= n) {
        return Err(trustdd_core::Error::NotEnough {
            what: format!("{what} example index"),
            requested: bad + 1,
            available: n,
        });
    }
    let host: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
    let index = Tensor::from_vec(host, ids.len(), images.device())?;
    let x = images.index_select(&index, 0)?.to_device(device)?;
    Ok((x, index))
}

impl TrainSource for TensorSource {
    fn len(&self) -> usize {
        self.targets.len()
    }
    fn image_shape(&self) -> ImageShape {
        image_shape_of(&self.images)
    }
    fn batch(&self, ids: &[usize], device: &Device) -> Result<(Tensor, Targets)> {
        let (x, index) = select_rows(&self.images, ids, self.len(), "tensor source", device)?;
        let y = self.targets.select(&index)?.to_device(device)?;
        Ok((x, y))
    }
}
