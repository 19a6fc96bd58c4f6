//! Label-noise models for trustdd (ALGORITHMS.md §5), each a [`trustdd_core::NoiseModel`].
//!
//! | spec | model |
//! |---|---|
//! | `none` | [`trustdd_core::NoNoise`] |
//! | `sym:0.4` | [`Symmetric`]: a flip goes to a uniformly chosen other class |
//! | `asym:0.4[:<map>]` | [`Asymmetric`] with the dataset's standard map ([`KnownMap`]) |
//! | `map:0.4:0:6,6:0` / `map:0.4:@file` | [`Asymmetric`] with a user [`ClassMap`] |
//! | `pair:0.2` | [`Asymmetric::pair_flip`]: `c → c+1 mod C` |
//! | `idn:0.4` | [`InstanceDependent`] (Xia et al. 2020) on pixels or a [`FeatureExtractor`] |
//! | `cifar10n:worse`, `cifar100n:noisy` | [`CifarN`] human labels |
//! | `file:<path>[:<tensor>]` | [`FileLabels`]: safetensors, `.npy` or one label per line |
//!
//! [`NoiseConfig::parse`] reads a spec, [`NoiseConfig::build`] validates it and returns the
//! `Box<dyn NoiseModel>`; [`apply_with_report`] applies it and returns a [`NoiseReport`] (JSON via
//! serde, a table via `Display`). Every model draws sample `i`'s randomness from
//! `TrustRng::for_item(seed, i)`, so the noisy labels are a pure function of (clean labels, model,
//! seed) whatever the thread count. Errors are [`trustdd_core::Error`] values naming the
//! parameter or file at fault.
#![deny(missing_docs)]

mod apply;
mod asymmetric;
mod cifar_n;
mod class_map;
mod config;
mod features;
mod grammar;
mod instance;
mod label_file;
mod npy_labels;
mod per_sample;
mod rate;
mod report;
mod symmetric;

pub use apply::{apply_with_report, corrupt_with_report};
pub use asymmetric::{AsymMap, Asymmetric};
pub use cifar_n::{CifarN, CIFAR_N_DIR};
pub use class_map::{ClassMap, KnownMap};
pub use config::{MapChoice, NoiseConfig};
pub use features::{unit_features, FeatureExtractor, RawPixels, UnitFeatures};
pub use grammar::SPEC_FORMS;
pub use instance::{InstanceDependent, FLIP_RATE_STD};
pub use label_file::{read_labels, FileLabels};
pub use rate::check_rate;
pub use report::{ClassNoise, NoiseReport, FULL_MATRIX_MAX_CLASSES};
pub use symmetric::Symmetric;
