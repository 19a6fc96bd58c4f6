//! Choosing a dataset on the command line.

use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};
use trustdd_core::ImageDataset;
use trustdd_data::{data_dir_from_env, embedded_mnist, DatasetName, Split};

/// Where the real data comes from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// `embedded` (10k MNIST digits compiled into the program), or mnist, fashion-mnist, kmnist,
    /// cifar10, cifar100, tiny-imagenet, folder:<path>.
    #[arg(long, default_value = "embedded")]
    pub dataset: String,
    /// Folder holding `<dataset>/` (default: $TRUSTDD_DATA).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Use only the first N training images (0: all).
    #[arg(long, default_value_t = 0)]
    pub train_limit: usize,
}

impl DataArgs {
    /// Loads the training and test splits.
    pub fn load(&self) -> Result<(ImageDataset, ImageDataset)> {
        let (train, test) = if self.dataset == "embedded" {
            embedded_mnist()?
        } else {
            let name = DatasetName::parse(&self.dataset)?;
            let dir = data_dir(self.data_dir.as_deref());
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

/// The data folder: `explicit` (`--data-dir`), else `$TRUSTDD_DATA`.
pub fn data_dir(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(data_dir_from_env)
}

/// Loads `split` of the dataset `name`, the `role` it plays named in errors ("dataset",
/// "outlier dataset", "OOD set"). Only datasets that live in the data folder need one
/// (`folder:<path>` does not).
pub fn load_dataset(
    name: &DatasetName,
    data_dir: Option<&Path>,
    split: Split,
    role: &str,
) -> Result<ImageDataset> {
    let dir = match (name, data_dir) {
        (DatasetName::Folder(_), _) => PathBuf::new(),
        (_, Some(dir)) => dir.to_path_buf(),
        (_, None) => anyhow::bail!(
            "{role} {name} needs a data folder holding {name}/: pass --data-dir or set TRUSTDD_DATA"
        ),
    };
    Ok(name.load(&dir, split)?)
}
