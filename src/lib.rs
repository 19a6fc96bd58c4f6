//! trustdd: trustworthy dataset distillation on candle.
//!
//! This facade re-exports the workspace's library crates under short names:
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`core`] | `trustdd-core` | errors, seeded RNG, the dataset, the strategy traits |
//! | [`data`] | `trustdd-data` | loaders (IDX, CIFAR, folders, hub), normalisation, ZCA, embedded digits |
//! | [`nn`] | `trustdd-nn` | networks in functional form |
//! | [`train`] | `trustdd-train` | SGD, training, the evaluation protocol, DSA |
//! | [`noise`] | `trustdd-noise` | label-noise models by name, noise reports, CIFAR-N labels |
//! | [`distill`] | `trustdd-distill` | DM, DC, DSA and MTT objectives, synthetic-set files, the driver |
//! | [`trust`] | `trustdd-trust` | TAD: trust partitioning (a `TrustPartitioner`) |
//! | [`ood`] | `trustdd-ood` | TrustDD: pseudo-outliers, outlier exposure, OOD scores and metrics |
//! | [`pipeline`] | `trustdd-pipeline` | a run as data (`RunConfig`) and its composition (`Pipeline`) |
#![deny(missing_docs)]

pub use trustdd_core as core;
pub use trustdd_data as data;
pub use trustdd_distill as distill;
pub use trustdd_nn as nn;
pub use trustdd_noise as noise;
pub use trustdd_ood as ood;
pub use trustdd_pipeline as pipeline;
pub use trustdd_train as train;
pub use trustdd_trust as trust;
