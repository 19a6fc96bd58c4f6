//! Choosing a dataset on the command line: the flags of a [`DataConfig`].

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use trustdd_core::ImageDataset;
use trustdd_pipeline::DataConfig;

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
    /// The flags as the pipeline's data config.
    pub fn config(&self) -> DataConfig {
        DataConfig {
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            train_limit: self.train_limit,
        }
    }

    /// Loads the training and test splits.
    pub fn load(&self) -> Result<(ImageDataset, ImageDataset)> {
        Ok(self.config().load()?)
    }

    /// The data folder: `--data-dir`, else `$TRUSTDD_DATA`.
    pub fn folder(&self) -> Option<PathBuf> {
        self.config().folder()
    }
}
