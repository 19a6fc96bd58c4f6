//! Networks for trustdd in functional form.
//!
//! Every architecture is a pure function of explicit parameter tensors ([`Architecture::embed`]
//! then [`Architecture::head`]), so the same code serves ordinary training (parameters are
//! `Var`s), gradient matching (gradients with respect to parameters, differentiated again) and
//! trajectory matching (parameters produced by unrolled SGD steps, as one flat vector).
//! [`Network`] pairs an architecture with owned parameters and batch-norm statistics.
//!
//! Architectures ([`ArchConfig::build`]): [`ConvNet`] (ConvNet-D, ALGORITHMS.md §1), [`Mlp`],
//! [`LeNet`], [`AlexNet`], [`Vgg11`], [`ResNet18`], all initialised like PyTorch's defaults
//! (conv/linear weights and biases U(±1/sqrt(fan_in)), norm γ = 1, β = 0, running mean 0, var 1).
//!
//! Every layer in [`ops`] is built from candle ops whose backward is itself differentiable, so
//! second-order gradients work, but only when candle does not detach intermediate gradients:
//! `CANDLE_GRAD_DO_NOT_DETACH=1` must be in the environment before a thread first runs backward
//! (see `tests/second_order.rs`, which checks ∇x‖∇θL‖² against finite differences).
#![deny(missing_docs)]

mod arch;
mod config;
mod network;
pub mod ops;
mod params;

pub use arch::{AlexNet, Architecture, ConvNet, LeNet, Mlp, ResNet18, Vgg11};
pub use config::{Activation, ArchConfig, ConvNetConfig, NormKind, PoolKind};
// Every error here is a core one (candle, invalid parameter, shape, no gradient).
pub use network::Network;
pub use params::{Init, ParamCursor, ParamSpec};
pub use trustdd_core::{Error, Result};
