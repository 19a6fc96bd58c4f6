//! Host round trip of an `N×C×H×W` batch, shared by the generators that move pixels around.

use candle_core::{DType, Tensor};
use trustdd_core::Result;

/// A batch copied to the host as f32, with its dimensions.
pub(crate) struct HostBatch {
    /// Pixels, row-major `N×C×H×W`.
    pub data: Vec<f32>,
    /// `(N, C, H, W)`.
    pub dims: (usize, usize, usize, usize),
}

impl HostBatch {
    /// Copies `images` (any float dtype) to the host.
    pub fn from_tensor(images: &Tensor) -> Result<Self> {
        let dims = images.dims4()?;
        let data = images
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        Ok(Self { data, dims })
    }

    /// Values per image.
    pub fn image_len(&self) -> usize {
        self.dims.1 * self.dims.2 * self.dims.3
    }

    /// Back to a tensor with the dtype and device of `like`.
    pub fn into_tensor(self, like: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = self.dims;
        Ok(Tensor::from_vec(self.data, (n, c, h, w), like.device())?.to_dtype(like.dtype())?)
    }
}
