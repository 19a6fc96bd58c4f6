//! LeNet-like network (the dataset-distillation reference code's `LeNet`).

use super::layers;
use crate::ops::{max_pool2d_2x2, relu};
use crate::{Architecture, ParamCursor, ParamSpec, Result};
use candle_core::Tensor;
use trustdd_core::ImageShape;

/// conv 5×5 (6) → ReLU → max-pool 2 → conv 5×5 (16) → ReLU → max-pool 2 → flatten → fc 120 →
/// ReLU → fc 84 → ReLU → fc classes. The embedding is the 84-d activation.
///
/// The first convolution is padded by 2 for 28×28 single-channel images (as the reference code
/// for MNIST) and by 0 otherwise, so both 1×28×28 and 3×32×32 give a 16×5×5 map.
#[derive(Debug, Clone)]
pub struct LeNet {
    input: ImageShape,
    num_classes: usize,
    first_padding: usize,
    flat: usize,
}

impl LeNet {
    /// Plans the network.
    ///
    /// # Errors
    /// An invalid-parameter error for zero classes or an image too small for two conv+pool stages.
    pub fn new(input: ImageShape, num_classes: usize) -> Result<Self> {
        layers::check_io("lenet", input, num_classes)?;
        let first_padding = if input.channels == 1 && layers::is_28x28(input) {
            2
        } else {
            0
        };
        let side = |s: usize| -> Result<usize> {
            let s = layers::pool_out("lenet", layers::conv_out("lenet", s, 5, 1, first_padding)?)?;
            layers::pool_out("lenet", layers::conv_out("lenet", s, 5, 1, 0)?)
        };
        let flat = 16 * side(input.height)? * side(input.width)?;
        Ok(Self {
            input,
            num_classes,
            first_padding,
            flat,
        })
    }
}

impl Architecture for LeNet {
    fn name(&self) -> String {
        "lenet".into()
    }
    fn input_shape(&self) -> ImageShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.num_classes
    }
    fn embed_dim(&self) -> usize {
        84
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let mut specs = layers::conv_specs("features.0", self.input.channels, 6, 5, true);
        specs.extend(layers::conv_specs("features.3", 6, 16, 5, true));
        specs.extend(layers::linear_specs("fc_1", self.flat, 120));
        specs.extend(layers::linear_specs("fc_2", 120, 84));
        specs.extend(layers::linear_specs("fc_3", 84, self.num_classes));
        specs
    }
    fn buffer_specs(&self) -> Vec<ParamSpec> {
        vec![]
    }
    fn embed(
        &self,
        params: &mut ParamCursor<'_>,
        _buffers: Option<&mut [Tensor]>,
        x: &Tensor,
        _train: bool,
    ) -> Result<Tensor> {
        let h = max_pool2d_2x2(&relu(&layers::conv(
            params,
            x,
            true,
            1,
            self.first_padding,
        )?)?)?;
        let h = max_pool2d_2x2(&relu(&layers::conv(params, &h, true, 1, 0)?)?)?;
        let h = relu(&layers::dense(params, &h.flatten_from(1)?)?)?;
        relu(&layers::dense(params, &h)?)
    }
    fn head(&self, params: &mut ParamCursor<'_>, embedding: &Tensor) -> Result<Tensor> {
        layers::dense(params, embedding)
    }
}
