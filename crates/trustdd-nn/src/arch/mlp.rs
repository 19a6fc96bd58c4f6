//! Multi-layer perceptron.

use super::layers;
use crate::ops::relu;
use crate::{Architecture, ParamCursor, ParamSpec, Result};
use candle_core::Tensor;
use trustdd_core::{Error, ImageShape};

/// Flatten → [linear → ReLU] per hidden width → linear. The embedding is the last hidden
/// activation (the flattened image when `hidden` is empty).
#[derive(Debug, Clone)]
pub struct Mlp {
    hidden: Vec<usize>,
    input: ImageShape,
    num_classes: usize,
}

impl Mlp {
    /// Plans the network.
    ///
    /// # Errors
    /// An invalid-parameter error for a zero hidden width or zero classes.
    pub fn new(hidden: Vec<usize>, input: ImageShape, num_classes: usize) -> Result<Self> {
        layers::check_io("mlp", input, num_classes)?;
        if let Some(i) = hidden.iter().position(|&h| h == 0) {
            return Err(Error::invalid(format!("mlp hidden[{i}]"), 0, "at least 1"));
        }
        Ok(Self {
            hidden,
            input,
            num_classes,
        })
    }
}

impl Architecture for Mlp {
    fn name(&self) -> String {
        let widths: Vec<String> = self.hidden.iter().map(|h| h.to_string()).collect();
        format!("mlp-{}", widths.join("-"))
    }
    fn input_shape(&self) -> ImageShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.num_classes
    }
    fn embed_dim(&self) -> usize {
        self.hidden.last().copied().unwrap_or(self.input.numel())
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let mut specs = Vec::new();
        let mut n_in = self.input.numel();
        for (i, &h) in self.hidden.iter().enumerate() {
            specs.extend(layers::linear_specs(&format!("hidden.{i}"), n_in, h));
            n_in = h;
        }
        specs.extend(layers::linear_specs("classifier", n_in, self.num_classes));
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
        let mut h = x.flatten_from(1)?;
        for _ in &self.hidden {
            h = relu(&layers::dense(params, &h)?)?;
        }
        Ok(h)
    }
    fn head(&self, params: &mut ParamCursor<'_>, embedding: &Tensor) -> Result<Tensor> {
        layers::dense(params, embedding)
    }
}
