//! The [`Architecture`] trait: a network as a pure function of its parameters, and the
//! architectures of this crate (one file each).

mod alexnet;
mod convnet;
mod layers;
mod lenet;
mod mlp;
mod resnet;
mod vgg;

pub use alexnet::AlexNet;
pub use convnet::ConvNet;
pub use lenet::LeNet;
pub use mlp::Mlp;
pub use resnet::ResNet18;
pub use vgg::Vgg11;

use crate::{ArchConfig, ParamCursor, ParamSpec, Result};
use candle_core::Tensor;
use std::sync::Arc;
use trustdd_core::ImageShape;

impl ArchConfig {
    /// The architecture this configuration describes, for `input` images and `num_classes`.
    ///
    /// # Errors
    /// An invalid-parameter error when the configuration cannot work for this input (zero sizes,
    /// an image too small for the poolings).
    pub fn build(&self, input: ImageShape, num_classes: usize) -> Result<Arc<dyn Architecture>> {
        Ok(match self {
            ArchConfig::ConvNet(c) => Arc::new(ConvNet::new(*c, input, num_classes)?),
            ArchConfig::Mlp { hidden } => Arc::new(Mlp::new(hidden.clone(), input, num_classes)?),
            ArchConfig::LeNet => Arc::new(LeNet::new(input, num_classes)?),
            ArchConfig::AlexNet => Arc::new(AlexNet::new(input, num_classes)?),
            ArchConfig::Vgg11 { norm } => Arc::new(Vgg11::new(*norm, input, num_classes)?),
            ArchConfig::ResNet18 { norm } => Arc::new(ResNet18::new(*norm, input, num_classes)?),
        })
    }
}

/// A network architecture in functional form.
///
/// `param_specs` lists the learnable tensors in the order `forward` takes them from the cursor;
/// `buffer_specs` the non-learnable state (batch-norm running mean and variance).
pub trait Architecture: Send + Sync + std::fmt::Debug {
    /// A short name, for example `"convnet-d3-w128-instance-avg"`.
    fn name(&self) -> String;
    /// The input image shape it was built for.
    fn input_shape(&self) -> ImageShape;
    /// Number of output classes.
    fn num_classes(&self) -> usize;
    /// Length of the embedding `h(x)`.
    fn embed_dim(&self) -> usize;
    /// Learnable parameters, in forward order.
    fn param_specs(&self) -> Vec<ParamSpec>;
    /// Non-learnable state, in forward order (empty without batch norm).
    fn buffer_specs(&self) -> Vec<ParamSpec>;
    /// The embedding `h(x)` of a batch `N×C×H×W`, shape `N×embed_dim`.
    ///
    /// In training mode batch norm uses batch statistics and, when `buffers` is given, updates
    /// them in place (momentum 0.1, unbiased variance, as PyTorch); in evaluation mode it reads them.
    fn embed(
        &self,
        params: &mut ParamCursor<'_>,
        buffers: Option<&mut [Tensor]>,
        x: &Tensor,
        train: bool,
    ) -> Result<Tensor>;
    /// The logits `g(h)`, shape `N×classes`, from an embedding (takes the head's parameters,
    /// which come last in `param_specs`).
    fn head(&self, params: &mut ParamCursor<'_>, embedding: &Tensor) -> Result<Tensor>;
}
