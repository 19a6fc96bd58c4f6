//! The noise model as configuration data: serde, a one-line spec (see [`crate::grammar`]) and
//! `build()`.

use crate::asymmetric::{AsymMap, Asymmetric};
use crate::cifar_n::{CifarN, CIFAR_N_DIR};
use crate::class_map::{ClassMap, KnownMap};
use crate::instance::InstanceDependent;
use crate::label_file::FileLabels;
use crate::rate::check_rate;
use crate::symmetric::Symmetric;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use trustdd_core::{Error, NoNoise, NoiseModel, Result};

/// Where an asymmetric model's class map comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapChoice {
    /// From the dataset's name at corruption time ([`KnownMap::for_dataset`]).
    Auto,
    /// A standard map.
    Known(KnownMap),
    /// User pairs (`"0:6,6:0"`).
    Pairs(ClassMap),
    /// A file of user pairs, read by `build()`.
    File(PathBuf),
}

/// A noise model as data. JSON form: `{"model": "symmetric", "rate": 0.4}`; the one-line form is
/// its [`fmt::Display`] and [`NoiseConfig::parse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
pub enum NoiseConfig {
    /// Labels unchanged (`none`).
    None,
    /// [`Symmetric`] (`sym:<rate>`).
    Symmetric {
        /// Flip probability in [0, 1).
        rate: f64,
    },
    /// [`Asymmetric`] (`asym:<rate>[:<map>]`, `map:<rate>:<pairs>|@<file>`).
    Asymmetric {
        /// Flip probability in [0, 1) for samples of mapped classes.
        rate: f64,
        /// The class map.
        map: MapChoice,
    },
    /// Pair flip, `c → c+1 mod C` (`pair:<rate>`).
    PairFlip {
        /// Flip probability in [0, 1).
        rate: f64,
    },
    /// [`InstanceDependent`] on raw pixels (`idn:<rate>`).
    InstanceDependent {
        /// Nominal (mean) flip probability in [0, 1).
        rate: f64,
    },
    /// CIFAR-10N / CIFAR-100N human labels (`cifar10n:worse`, `cifar100n:noisy`).
    CifarN {
        /// Which label set.
        labels: CifarN,
        /// The folder holding the CIFAR-N files; `None`: `$TRUSTDD_DATA/cifar-n`.
        #[serde(default)]
        dir: Option<PathBuf>,
    },
    /// Labels from a file (`file:<path>[:<tensor>]`), see [`crate::read_labels`].
    File {
        /// The label file.
        path: PathBuf,
        /// The safetensors tensor (`None`: the file's only tensor, or a `.npy` or text file).
        #[serde(default)]
        tensor: Option<String>,
    },
}

impl NoiseConfig {
    /// Points CIFAR-N models without a folder at `<data_dir>/cifar-n`; other models unchanged.
    pub fn with_data_dir(self, data_dir: &Path) -> Self {
        match self {
            Self::CifarN { labels, dir: None } => Self::CifarN {
                labels,
                dir: Some(data_dir.join(CIFAR_N_DIR)),
            },
            other => other,
        }
    }

    /// Replaces an automatic asymmetric map by the standard map of dataset `name`
    /// ([`KnownMap::for_dataset`]), so the model's name and report say which map ran.
    pub fn with_dataset_name(self, name: &str) -> Self {
        match self {
            Self::Asymmetric {
                rate,
                map: MapChoice::Auto,
            } => Self::Asymmetric {
                rate,
                map: MapChoice::Known(KnownMap::for_dataset(name)),
            },
            other => other,
        }
    }

    /// Validates the configuration and makes the model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a rate outside [0, 1) or a CIFAR-N model with neither a
    /// folder nor `TRUSTDD_DATA`; [`Error::Io`] / [`Error::Format`] naming an unreadable or
    /// malformed map or label file.
    pub fn build(&self) -> Result<Box<dyn NoiseModel>> {
        Ok(match self {
            Self::None => Box::new(NoNoise),
            Self::Symmetric { rate } => Box::new(Symmetric::new(*rate)?),
            Self::Asymmetric { rate, map } => {
                check_rate("asym", *rate)?;
                let map = match map {
                    MapChoice::Auto => AsymMap::Auto,
                    MapChoice::Known(k) => AsymMap::Known(*k),
                    MapChoice::Pairs(p) => AsymMap::Pairs(p.clone()),
                    MapChoice::File(path) => AsymMap::Pairs(ClassMap::from_file(path)?),
                };
                Box::new(Asymmetric::new(*rate, map)?)
            }
            Self::PairFlip { rate } => Box::new(Asymmetric::pair_flip(*rate)?),
            Self::InstanceDependent { rate } => Box::new(InstanceDependent::new(*rate)?),
            Self::CifarN { labels, dir } => {
                let dir = match dir {
                    Some(d) => d.clone(),
                    None => {
                        return Err(Error::invalid(
                            format!("{labels} label folder"),
                            "unset",
                            "a data folder holding cifar-n/ (NoiseConfig::with_data_dir; the \
                             CLI passes --data-dir or $TRUSTDD_DATA)",
                        ))
                    }
                };
                Box::new(labels.model(&dir)?)
            }
            Self::File { path, tensor } => Box::new(FileLabels::load(path, tensor.as_deref())?),
        })
    }
}

impl fmt::Display for NoiseConfig {
    /// The one-line spec; it parses back to the same configuration, except that a CIFAR-N
    /// folder is not written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("none"),
            Self::Symmetric { rate } => write!(f, "sym:{rate}"),
            Self::Asymmetric { rate, map } => match map {
                MapChoice::Auto => write!(f, "asym:{rate}"),
                MapChoice::Known(k) => write!(f, "asym:{rate}:{}", k.as_str()),
                MapChoice::Pairs(p) => write!(f, "map:{rate}:{p}"),
                MapChoice::File(path) => write!(f, "map:{rate}:@{}", path.display()),
            },
            Self::PairFlip { rate } => write!(f, "pair:{rate}"),
            Self::InstanceDependent { rate } => write!(f, "idn:{rate}"),
            Self::CifarN { labels, .. } => write!(f, "{labels}"),
            Self::File { path, tensor } => match tensor {
                Some(t) => write!(f, "file:{}:{t}", path.display()),
                None => write!(f, "file:{}", path.display()),
            },
        }
    }
}
