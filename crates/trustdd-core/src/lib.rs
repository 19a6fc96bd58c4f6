//! Core of trustdd: errors, the seeded RNG, devices, the labelled image dataset, and the four
//! strategy traits through which every part composes.
//!
//! # How the parts compose
//!
//! ```text
//!  ImageDataset --NoiseModel--> noisy ImageDataset --TrustPartitioner--> TrustPartition
//!        \                                                                  |
//!         `----------------------> DatasetSampler (a RealSampler) <---------'
//!                                          |
//!                       DistillObjective::step(SyntheticSet, RealSampler)
//!                                          |
//!                   OutlierGenerator feeds a second SyntheticSet (TrustDD)
//! ```
//!
//! An objective never sees labels directly: it asks a [`RealSampler`] for "n images of class c".
//! Noise changes the labels inside the dataset; a partitioner changes which samples the sampler
//! returns and under which (working) label. Each strategy is an object-safe trait with a `name`,
//! so a front end can hold `Box<dyn NoiseModel>` and friends chosen by name, and a downstream crate
//! can add its own implementation and run it through the same pipeline.
#![deny(missing_docs)]

mod arrays;
mod atomic_write;
mod cifar100;
mod dataset;
mod device;
mod error;
mod noise;
mod outlier;
mod progress;
mod rng;
mod sampler;
mod synthetic;
mod trust;
mod weighted_sampler;

pub use arrays::SyntheticLabelsArray;
pub use atomic_write::write_atomic;
pub use cifar100::CIFAR100_FINE_TO_COARSE;
pub use dataset::{
    check_labels, index_by_class, ImageDataset, ImageShape, Normalization, Preprocess, Zca,
};
pub use device::select_device;
pub use error::{Error, Result};
pub use noise::{apply_noise, NoNoise, NoiseContext, NoiseModel};
pub use outlier::OutlierGenerator;
pub use progress::{Progress, ProgressEvent, Silent};
pub use rng::TrustRng;
pub use sampler::{DatasetSampler, RealSampler};
pub use synthetic::{
    check_no_state, DistillContext, DistillObjective, StepReport, SyntheticLabels, SyntheticSet,
};
pub use trust::{
    current_partition, observe_round, partition_from, partition_tensors, ClassSplitView, Figure,
    PartitionContext, PartitionRound, SplitView, TrustAll, TrustPartition, TrustPartitioner,
};
pub use weighted_sampler::WeightedSampler;

pub use candle_core;
pub use ndarray;
