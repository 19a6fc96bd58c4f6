//! VGG11 (the dataset-distillation reference code's `VGG11` / `VGG11BN`).

use super::layers::{self, Buffers};
use crate::ops::{max_pool2d_2x2, relu};
use crate::{Architecture, NormKind, ParamCursor, ParamSpec, Result};
use candle_core::Tensor;
use trustdd_core::ImageShape;

/// Output channels of each 3×3 convolution; `0` marks a 2×2 max-pool.
const CFG: [usize; 13] = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0];

/// VGG11: convolutions 3×3 (stride 1, pad 1, bias) → norm → ReLU, with max-pool 2×2 where the
/// configuration `64,M,128,M,256,256,M,512,512,M,512,512,M` says, then flatten and one linear layer
/// `512·(H'/32)·(W'/32) → classes` (512 at 32×32). The first convolution pads by 3 for 28×28 inputs
/// (map 32×32, as the reference code). The embedding is the flattened last map.
#[derive(Debug, Clone)]
pub struct Vgg11 {
    norm: NormKind,
    input: ImageShape,
    num_classes: usize,
    first_padding: usize,
    embed_dim: usize,
}

impl Vgg11 {
    /// Plans the network.
    ///
    /// # Errors
    /// An invalid-parameter error for zero classes or an image too small for five poolings.
    pub fn new(norm: NormKind, input: ImageShape, num_classes: usize) -> Result<Self> {
        layers::check_io("vgg11", input, num_classes)?;
        let first_padding = if layers::is_28x28(input) { 3 } else { 1 };
        let side = |s: usize| -> Result<usize> {
            let mut s = layers::conv_out("vgg11", s, 3, 1, first_padding)?;
            for _ in 0..5 {
                s = layers::pool_out("vgg11", s)?;
            }
            Ok(s)
        };
        let embed_dim = 512 * side(input.height)? * side(input.width)?;
        Ok(Self {
            norm,
            input,
            num_classes,
            first_padding,
            embed_dim,
        })
    }
}

impl Architecture for Vgg11 {
    fn name(&self) -> String {
        format!("vgg11-{}", format!("{:?}", self.norm).to_lowercase())
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
        for (i, &c_out) in CFG.iter().enumerate().filter(|(_, c)| **c != 0) {
            specs.extend(layers::conv_specs(
                &format!("features.{i}.conv"),
                c_in,
                c_out,
                3,
                true,
            ));
            specs.extend(layers::norm_specs(
                &format!("features.{i}.norm"),
                self.norm,
                c_out,
            ));
            c_in = c_out;
        }
        specs.extend(layers::linear_specs(
            "classifier",
            self.embed_dim,
            self.num_classes,
        ));
        specs
    }
    fn buffer_specs(&self) -> Vec<ParamSpec> {
        CFG.iter()
            .enumerate()
            .filter(|(_, c)| **c != 0)
            .flat_map(|(i, &c)| {
                layers::norm_buffer_specs(&format!("features.{i}.norm"), self.norm, c)
            })
            .collect()
    }
    fn embed(
        &self,
        params: &mut ParamCursor<'_>,
        buffers: Option<&mut [Tensor]>,
        x: &Tensor,
        train: bool,
    ) -> Result<Tensor> {
        let mut buffers = Buffers::new(buffers);
        let mut h = x.clone();
        for (i, &c_out) in CFG.iter().enumerate() {
            if c_out == 0 {
                h = max_pool2d_2x2(&h)?;
                continue;
            }
            let pad = if i == 0 { self.first_padding } else { 1 };
            h = layers::conv(params, &h, true, 1, pad)?;
            h = relu(&layers::norm(self.norm, &h, params, &mut buffers, train)?)?;
        }
        buffers.finish()?;
        Ok(h.flatten_from(1)?)
    }
    fn head(&self, params: &mut ParamCursor<'_>, embedding: &Tensor) -> Result<Tensor> {
        layers::dense(params, embedding)
    }
}
