//! The trustdd pipeline: a run as typed data and its composition.
//!
//! - [`RunConfig`] (serde, unknown fields rejected) nests the libraries' own configs: the data,
//!   a [`trustdd_noise::NoiseConfig`], a tagged [`ObjectiveConfig`] (`dm`, `dc`, `dsa`, `mtt`), a
//!   tagged [`PartitionerConfig`] (`none`, `tad`, `cross_fit`), the [`OutlierConfig`], the evaluation
//!   protocol, and the named random [`Streams`]. A TOML file is a serialised `RunConfig`.
//! - [`RunConfig::build`] gives a [`Pipeline`]; [`Pipeline::run`] returns a [`RunReport`] (and
//!   writes the run's files when `out` is set); [`Pipeline::partition`] runs only its trust
//!   partitioning, on the same code path, and returns a [`PartitionReport`]. A downstream crate replaces any part with its
//!   own implementation of a core trait ([`Pipeline::with_objective`],
//!   [`Pipeline::with_partitioner`], [`Pipeline::with_noise`],
//!   [`Pipeline::with_outlier_generators`]).
//! - The composition the strategy crates leave to their user lives here: [`TrustAware`] (any
//!   objective diverted to the trusted data), [`train_trusted_experts`] (MTT experts on the
//!   trusted data), TrustDD's outlier set S_o distilled jointly with S ([`JointOutliers`]; alone,
//!   [`distill_outliers`], for MTT runs), `ood.png`, the comparison runs, and DD-Ranking's
//!   metrics of a run's set ([`RankingConfig`], the full-data accuracy cached).
//!
//! The strategy crates (noise, trust, distill, ood) depend on core and on the compute crates
//! (nn, train), never on each other; this crate is the only one that knows them all.
#![deny(missing_docs)]

mod config;
mod created_dirs;
mod data;
mod joint;
mod objectives;
mod ood_sets;
mod outlier_set;
mod partition_run;
mod pictures;
mod pipeline;
mod ranking;
mod report;
mod round_seeds;
mod soft_diversion;
mod trust_aware;
mod trusted_experts;

pub use config::{
    dataset_dsa, main_job_convnet, Augmentation, EvalProtocol, Init, MttRunConfig, ObjectiveConfig,
    OutlierConfig, OutlierSource, PartitionerConfig, RunConfig, Streams, TrustSchedule,
};
pub use created_dirs::CreatedDirs;
pub use data::{load_dataset, DataConfig};
pub use joint::{JointInner, JointOutliers};
pub use objectives::{build_objective, build_outlier_objective, ObjectiveInputs};
pub use ood_sets::{build_ood_sets, check_ood_sets, default_ood_sets};
pub use outlier_set::{
    distill_outliers, init_outlier_set, load_outliers, outlier_gradient_matching_config,
    outlier_ipc, save_outliers, OUTLIER_FILE,
};
pub use pictures::{ood_picture, partition_picture};
pub use pipeline::{ObjectiveFactory, PartitionerFactory, Pipeline, PARTITION_PICTURE};
pub use ranking::{RankingConfig, RankingReport, ReferenceLabels};
pub use report::{OutlierReport, PartitionReport, RunReport, VariantReport};
pub use round_seeds::RoundSeeds;
pub use soft_diversion::{diverted_sampler, soft_members, Diversion};
pub use trust_aware::TrustAware;
pub use trusted_experts::train_trusted_experts;
