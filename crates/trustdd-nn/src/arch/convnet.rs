//! ConvNet-D, the dataset-distillation standard network (ALGORITHMS.md §1).

use super::layers::{self, Buffers};
use crate::ops::{activate, avg_pool2d_2x2, instance_norm_relu_avg_pool, max_pool2d_2x2};
use crate::{
    Activation, Architecture, ConvNetConfig, NormKind, ParamCursor, ParamSpec, PoolKind, Result,
};
use candle_core::Tensor;
use trustdd_core::{Error, ImageShape};

/// ConvNet-D: `depth` blocks of conv 3×3 (stride 1, bias) → norm → activation → pool, then flatten
/// (C, H, W order) and a linear head.
///
/// The first convolution is padded by 3 for 28×28 inputs, as the reference code does for the
/// MNIST family, so the map becomes 32×32 (embedding 2048 at width 128, depth 3); every other
/// convolution, and the first one for any other size, is padded by 1. Embedding dimension:
/// `width·(H'/2^d)·(W'/2^d)` with pooling (floor at each halving), `width·H'·W'` without, where
/// `H'×W'` is the map after the first convolution.
#[derive(Debug, Clone)]
pub struct ConvNet {
    config: ConvNetConfig,
    input: ImageShape,
    num_classes: usize,
    first_padding: usize,
    embed_dim: usize,
}

impl ConvNet {
    /// Plans the network for `input` images and `num_classes`.
    ///
    /// # Errors
    /// An invalid-parameter error for zero width, depth or classes, or an image too small to pool
    /// `depth` times.
    pub fn new(config: ConvNetConfig, input: ImageShape, num_classes: usize) -> Result<Self> {
        layers::check_io("convnet", input, num_classes)?;
        if config.width == 0 || config.depth == 0 {
            return Err(Error::invalid(
                "convnet width/depth",
                format!("{}/{}", config.width, config.depth),
                "both at least 1",
            ));
        }
        let first_padding = if layers::is_28x28(input) { 3 } else { 1 };
        let mut h = layers::conv_out("convnet", input.height, 3, 1, first_padding)?;
        let mut w = layers::conv_out("convnet", input.width, 3, 1, first_padding)?;
        if config.pool != PoolKind::None {
            for _ in 0..config.depth {
                h = layers::pool_out("convnet", h)?;
                w = layers::pool_out("convnet", w)?;
            }
        }
        Ok(Self {
            config,
            input,
            num_classes,
            first_padding,
            embed_dim: config.width * h * w,
        })
    }
}

fn lower(s: impl std::fmt::Debug) -> String {
    format!("{s:?}").to_lowercase()
}

impl Architecture for ConvNet {
    fn name(&self) -> String {
        let c = &self.config;
        let mut name = format!(
            "convnet-d{}-w{}-{}-{}",
            c.depth,
            c.width,
            lower(c.norm),
            lower(c.pool)
        );
        if c.activation != crate::Activation::Relu {
            name = format!("{name}-{}", lower(c.activation));
        }
        name
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
        let c = &self.config;
        let mut specs = Vec::new();
        for i in 0..c.depth {
            let c_in = if i == 0 { self.input.channels } else { c.width };
            specs.extend(layers::conv_specs(
                &format!("features.{i}.conv"),
                c_in,
                c.width,
                3,
                true,
            ));
            specs.extend(layers::norm_specs(
                &format!("features.{i}.norm"),
                c.norm,
                c.width,
            ));
        }
        specs.extend(layers::linear_specs(
            "classifier",
            self.embed_dim,
            self.num_classes,
        ));
        specs
    }
    fn buffer_specs(&self) -> Vec<ParamSpec> {
        (0..self.config.depth)
            .flat_map(|i| {
                layers::norm_buffer_specs(
                    &format!("features.{i}.norm"),
                    self.config.norm,
                    self.config.width,
                )
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
        let c = &self.config;
        let mut buffers = Buffers::new(buffers);
        let mut h = x.clone();
        for i in 0..c.depth {
            let padding = if i == 0 { self.first_padding } else { 1 };
            h = layers::conv(params, &h, true, 1, padding)?;
            if (c.norm, c.activation, c.pool)
                == (NormKind::Instance, Activation::Relu, PoolKind::Avg)
            {
                // The default block as one op: fused on the fast path (docs/performance.md).
                h = instance_norm_relu_avg_pool(&h, params.take()?, params.take()?)?;
                continue;
            }
            h = layers::norm(c.norm, &h, params, &mut buffers, train)?;
            h = activate(&h, c.activation)?;
            h = match c.pool {
                PoolKind::Avg => avg_pool2d_2x2(&h)?,
                PoolKind::Max => max_pool2d_2x2(&h)?,
                PoolKind::None => h,
            };
        }
        buffers.finish()?;
        Ok(h.flatten_from(1)?)
    }
    fn head(&self, params: &mut ParamCursor<'_>, embedding: &Tensor) -> Result<Tensor> {
        layers::dense(params, embedding)
    }
}
