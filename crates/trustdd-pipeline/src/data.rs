//! [`DataConfig`]: which real data a run distils, loaded by name.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use trustdd_core::{Error, ImageDataset, Result};
use trustdd_data::{data_dir_from_env, embedded_mnist, DatasetName, Split};

/// Where the real data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// `embedded` (10k MNIST digits compiled into the program), or mnist, fashion-mnist, kmnist,
    /// cifar10, cifar100, tiny-imagenet, `folder:<path>`.
    pub dataset: String,
    /// Folder holding `<dataset>/` (default: `$TRUSTDD_DATA`).
    pub data_dir: Option<PathBuf>,
    /// Use only the first N training images (0: all).
    pub train_limit: usize,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dataset: "embedded".into(),
            data_dir: None,
            train_limit: 0,
        }
    }
}

impl DataConfig {
    /// The data folder: [`DataConfig::data_dir`], else `$TRUSTDD_DATA`.
    pub fn folder(&self) -> Option<PathBuf> {
        self.data_dir.clone().or_else(data_dir_from_env)
    }

    /// Loads the training and test splits (the training split cut to `train_limit`).
    ///
    /// # Errors
    /// An unknown dataset name, a missing data folder, loader errors.
    pub fn load(&self) -> Result<(ImageDataset, ImageDataset)> {
        let (train, test) = if self.dataset == "embedded" {
            embedded_mnist()?
        } else {
            let name = DatasetName::parse(&self.dataset)?;
            let dir = self.folder();
            (
                load_dataset(&name, dir.as_deref(), Split::Train, "dataset")?,
                load_dataset(&name, dir.as_deref(), Split::Test, "dataset")?,
            )
        };
        let train = if self.train_limit > 0 && self.train_limit < train.len() {
            let ids: Vec<usize> = (0..self.train_limit).collect();
            train.subset(&ids)?
        } else {
            train
        };
        Ok((train, test))
    }
}

/// Loads `split` of the dataset `name`; `role` ("dataset", "outlier dataset", "OOD set") is
/// named in errors. Only datasets that live in the data folder need one (`folder:<path>` does
/// not).
///
/// # Errors
/// An invalid-parameter error when a data folder is needed and unset; loader errors.
pub fn load_dataset(
    name: &DatasetName,
    data_dir: Option<&Path>,
    split: Split,
    role: &str,
) -> Result<ImageDataset> {
    let dir = match (name, data_dir) {
        (DatasetName::Folder(_), _) => PathBuf::new(),
        (_, Some(dir)) => dir.to_path_buf(),
        (_, None) => {
            return Err(Error::invalid(
                format!("{role} {name} data folder"),
                "unset",
                format!("a folder holding {name}/: set data_dir (--data-dir) or TRUSTDD_DATA"),
            ))
        }
    };
    name.load(&dir, split)
}
