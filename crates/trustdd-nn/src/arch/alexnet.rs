//! AlexNet-like network (the dataset-distillation reference code's `AlexNet` for small images).

use super::layers;
use crate::ops::{max_pool2d_2x2, relu};
use crate::{Architecture, ParamCursor, ParamSpec, Result};
use candle_core::Tensor;
use trustdd_core::ImageShape;

/// (kernel, output channels, padding, max-pool after) per convolution; the first padding is
/// replaced for 28×28 inputs.
const LAYERS: [(usize, usize, usize, bool); 5] = [
    (5, 128, 2, true),
    (5, 192, 2, true),
    (3, 256, 1, false),
    (3, 192, 1, false),
    (3, 192, 1, true),
];

/// conv 5×5 (128) → ReLU → max-pool 2 → conv 5×5 (192, pad 2) → ReLU → max-pool 2 → conv 3×3 (256)
/// → ReLU → conv 3×3 (192) → ReLU → conv 3×3 (192) → ReLU → max-pool 2 → flatten → fc classes.
/// All convolutions have stride 1 and bias; 3×3 ones pad by 1. No dropout and no hidden fc layers,
/// as in the reference code. The embedding is the flattened last map: `192·(H'/8)·(W'/8)`
/// (3072 for both 1×28×28 and 3×32×32).
///
/// The first convolution pads by 4 for 28×28 inputs (map 32×32, as the reference code for MNIST)
/// and by 2 otherwise.
#[derive(Debug, Clone)]
pub struct AlexNet {
    input: ImageShape,
    num_classes: usize,
    first_padding: usize,
    embed_dim: usize,
}

impl AlexNet {
    /// Plans the network.
    ///
    /// # Errors
    /// An invalid-parameter error for zero classes or an image too small for three poolings.
    pub fn new(input: ImageShape, num_classes: usize) -> Result<Self> {
        layers::check_io("alexnet", input, num_classes)?;
        let first_padding = if layers::is_28x28(input) { 4 } else { 2 };
        let side = |mut s: usize| -> Result<usize> {
            for (i, &(k, _, pad, pool)) in LAYERS.iter().enumerate() {
                let pad = if i == 0 { first_padding } else { pad };
                s = layers::conv_out("alexnet", s, k, 1, pad)?;
                if pool {
                    s = layers::pool_out("alexnet", s)?;
                }
            }
            Ok(s)
        };
        let embed_dim = 192 * side(input.height)? * side(input.width)?;
        Ok(Self {
            input,
            num_classes,
            first_padding,
            embed_dim,
        })
    }
}

impl Architecture for AlexNet {
    fn name(&self) -> String {
        "alexnet".into()
    }
    fn input_shape(&self) -> ImageShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.num_classes
    }
    fn embed_dim(&self) -> usize {
        self.embed_dim
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let mut specs = Vec::new();
        let mut c_in = self.input.channels;
        for (i, &(k, c_out, _, _)) in LAYERS.iter().enumerate() {
            specs.extend(layers::conv_specs(
                &format!("features.{i}"),
                c_in,
                c_out,
                k,
                true,
            ));
            c_in = c_out;
        }
        specs.extend(layers::linear_specs("fc", self.embed_dim, self.num_classes));
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
        let mut h = x.clone();
        for (i, &(_, _, pad, pool)) in LAYERS.iter().enumerate() {
            let pad = if i == 0 { self.first_padding } else { pad };
            h = relu(&layers::conv(params, &h, true, 1, pad)?)?;
            if pool {
                h = max_pool2d_2x2(&h)?;
            }
        }
        Ok(h.flatten_from(1)?)
    }
    fn head(&self, params: &mut ParamCursor<'_>, embedding: &Tensor) -> Result<Tensor> {
        layers::dense(params, embedding)
    }
}
