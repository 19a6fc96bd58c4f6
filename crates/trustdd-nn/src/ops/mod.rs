//! Functional layers, each differentiable twice with candle autodiff in
//! [`OpsMode::Differentiable`] and [`OpsMode::Stock`]; in the default [`OpsMode::Fast`],
//! convolution, instance norm and average pooling run as fast CPU kernels that are
//! differentiable once (see [`fast`]).
//!
//! Parameters are plain `&Tensor`s, so the same layer serves ordinary training (the tensors are
//! `Var`s), gradient matching (the loss contains ∇θ and is differentiated again) and trajectory
//! matching (parameters are outputs of unrolled SGD steps). Outside the fast mode every layer is
//! composed only of ops whose backward is itself made of differentiable ops: the fast
//! convolution family, whose backward is made of its own members, and stock candle ops — no
//! `max_pool2d` (its backward scales the gradient by 1/k² in candle 0.11.1), no `upsample_*`
//! (its backward overwrites instead of accumulating), no `conv_transpose2d`.

mod activation;
mod batch_norm;
mod check;
mod conv;
pub mod fast;
mod linear;
mod norm;
mod pool;

pub use activation::{activate, leaky_relu, relu, sigmoid, LEAKY_RELU_SLOPE};
pub use batch_norm::{batch_norm_eval, batch_norm_train, BatchStats, BN_MOMENTUM};
pub use conv::conv2d;
#[doc(hidden)]
pub use fast::{avx512_gemm_calls, fast_kernel_calls, FastKernelCalls, OpCalls};
pub use fast::{
    differentiable_scope, fast_scope, ops_mode, second_order_requested, set_ops_mode, stock_scope,
    DifferentiableGuard, OpsMode,
};
pub use linear::linear;
pub use norm::{instance_norm, instance_norm_relu_avg_pool, layer_norm, NORM_EPS};
pub use pool::{avg_pool2d_2x2, global_avg_pool, max_pool2d_2x2};
