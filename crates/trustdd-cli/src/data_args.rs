//! Choosing a dataset on the command line.

use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
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
            let dir = self
                .data_dir
                .clone()
                .or_else(data_dir_from_env)
                .context("no data folder: pass --data-dir or set TRUSTDD_DATA")?;
            (
                name.load(&dir, Split::Train)?,
                name.load(&dir, Split::Test)?,
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
