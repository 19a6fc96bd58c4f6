//! Dataset distillation for trustdd (ALGORITHMS.md §3).
//!
//! - Objectives, each a [`trustdd_core::DistillObjective`] with checkpointable state: [`Dm`] (distribution matching, first-order), [`GradientMatching`]
//!   (DC, and DSA with Siamese augmentation; second-order), [`Mtt`] (trajectory matching over
//!   [`train_experts`] trajectories, learnable α and optional soft labels; second-order).
//! - [`second_order::run`]: correct second-order gradients on candle 0.11.1 with no environment
//!   variable for the user to set.
//! - [`save_set`] / [`load_set`] (safetensors with metadata, strict) and [`save_png_grid`].
//! - [`Driver`]: iterations, periodic evaluation, checkpoints and bit-exact resume.
//!
//! Objectives read real data only through [`trustdd_core::RealSampler`] and draw every random
//! choice from the [`trustdd_core::TrustRng`] they are given: same seed, same bytes.
#![deny(missing_docs)]

mod checkpoint;
mod class_batches;
mod companion;
mod distance;
mod dm;
mod driver;
mod error;
mod experts;
mod gradient_matching;
mod momentum;
mod mtt;
mod objective_state;
mod png;
pub mod second_order;
mod set_file;
mod tensor_file;
mod trajectory_gradients;

pub use checkpoint::{bytes_hash, config_hash, CheckpointSpec};
pub use companion::Companion;
pub use distance::{gradient_distance, COSINE_EPS};
pub use dm::{dm_loss, Dm, DmConfig};
pub use driver::{evaluate_set, DistillReport, Driver, DriverConfig, EvalPoint};
pub use error::{DistillError, Result};
pub use experts::{
    load_trajectories, save_trajectories, train_experts, train_experts_with, ExpertConfig,
    Trajectories,
};
pub use gradient_matching::{
    matching_loss, uniform_matching_loss, GradientMatching, GradientMatchingConfig, MatchTargets,
    BN_IMAGES_PER_CLASS, LOOPS_BY_IPC,
};
pub use momentum::MomentumSgd;
pub use mtt::{trajectory_loss, Mtt, MttConfig, StudentLabels, StudentStep};
pub use objective_state::take_buffer;
pub use png::save_png_grid;
pub use set_file::{check_consistent, load_set, save_set, SetMetadata};
pub use trajectory_gradients::{trajectory_gradients, TrajectoryGradients};
