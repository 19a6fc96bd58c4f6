//! Fast CPU kernels, and the switch that chooses them.
//!
//! Convolution (im2col + GEMM with the `gemm` crate, parallel over the batch), instance norm
//! (fused statistics and affine), 2×2 average pooling, ReLU, and the fused instance norm → ReLU →
//! average pooling block of ConvNet are candle custom ops with a hand-written backward that is
//! not differentiable again; the layers in [`crate::ops`] use them only when [`OpsMode::Fast`]
//! is set on the thread (the default), no second-order request is in the environment
//! ([`second_order_requested`]), and every tensor is an f32 or f64 CPU tensor.
//!
//! For second order ([`OpsMode::Differentiable`], or a second-order request in the environment)
//! convolution runs as a family of three custom ops whose backward passes are made of the same
//! ops (`conv_twice.rs`), so it is differentiable any number of times at GEMM speed, and
//! ConvNet's instance norm → ReLU → pooling block as a custom op whose backward is made of two
//! custom ops with hand-written backward passes (`norm_relu_pool_twice.rs`: differentiable
//! twice); the other layers use stock candle ops. [`OpsMode::Stock`] (and CUDA, other dtypes) uses stock candle
//! ops everywhere.
//!
//! The backward passes compute gradients only for operands that track gradients (`Var`s and
//! results of tracked ops): unlike candle's own ops, asking the gradient store for a plain,
//! untracked input tensor returns `None`.

mod avg_pool;
#[cfg(trustdd_avx512)]
mod avx512;
mod calls;
mod channel_bias;
mod conv;
mod conv_twice;
mod elem;
mod im2col;
mod instance_norm;
mod matmul;
mod mode;
mod norm_relu_pool;
mod norm_relu_pool_twice;
mod relu;

pub(crate) use avg_pool::avg_pool2d_2x2;
#[doc(hidden)]
pub use calls::{avx512_gemm_calls, fast_kernel_calls, FastKernelCalls, OpCalls};
pub(crate) use channel_bias::add_channel_bias;
pub(crate) use conv::conv2d_bias;
pub(crate) use conv_twice::conv2d_twice;
pub(crate) use instance_norm::instance_norm;
pub use mode::{
    differentiable_scope, fast_scope, ops_mode, second_order_requested, set_ops_mode, stock_scope,
    DifferentiableGuard, OpsMode,
};
pub(crate) use mode::{fast_path_for, twice_path_for};
pub(crate) use norm_relu_pool::instance_norm_relu_avg_pool;
pub(crate) use norm_relu_pool_twice::instance_norm_relu_avg_pool_twice;
pub(crate) use relu::relu;
