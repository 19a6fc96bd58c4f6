//! Non-linearities.

use crate::{Activation, Result};
use candle_core::Tensor;

/// Slope of [`leaky_relu`] for negative inputs (PyTorch's default).
pub const LEAKY_RELU_SLOPE: f64 = 0.01;

/// `max(0, x)`, any shape.
///
/// On f32/f64 CPU tensors in [`super::OpsMode::Fast`] this is one custom op with a one-pass
/// backward (differentiable once); otherwise candle's `relu` (differentiable twice).
///
/// # Errors
/// Only candle errors.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    if super::fast::fast_path_for(&[x]) {
        return Ok(super::fast::relu(x)?);
    }
    Ok(x.relu()?)
}

/// `x` for `x ≥ 0`, `slope·x` otherwise, any shape.
///
/// # Errors
/// Only candle errors.
pub fn leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor> {
    // relu(x) − slope·relu(−x): two relus keep the backward a product with constant masks.
    Ok((x.relu()? - (x.neg()?.relu()? * slope)?)?)
}

/// `1 / (1 + e^−x)`, any shape.
///
/// Computed as `0.5·tanh(x/2) + 0.5`: the `1/(1+exp(−x))` form overflows for large negative `x`
/// and its backward then yields `0·∞ = NaN` (candle-nn's `sigmoid` is a custom op and is not
/// differentiable twice).
///
/// # Errors
/// Only candle errors.
pub fn sigmoid(x: &Tensor) -> Result<Tensor> {
    Ok((x * 0.5)?.tanh()?.affine(0.5, 0.5)?)
}

/// Applies the chosen [`Activation`] (leaky ReLU with [`LEAKY_RELU_SLOPE`]).
///
/// # Errors
/// Only candle errors.
pub fn activate(x: &Tensor, activation: Activation) -> Result<Tensor> {
    match activation {
        Activation::Relu => relu(x),
        Activation::LeakyRelu => leaky_relu(x, LEAKY_RELU_SLOPE),
        Activation::Sigmoid => sigmoid(x),
    }
}
