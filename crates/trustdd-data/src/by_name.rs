//! Loading a dataset from its name, as configurations and the command line write it.

use crate::cifar::{load_cifar10, load_cifar100, Cifar100Labels};
use crate::folder::load_image_folder;
use crate::idx::{load_fashion_mnist, load_kmnist, load_mnist};
use crate::split::Split;
use crate::tiny_imagenet::load_tiny_imagenet;
use std::fmt;
use std::path::{Path, PathBuf};
use trustdd_core::{Error, ImageDataset, Result};

/// A dataset the local loaders know, by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DatasetName {
    /// `"mnist"`.
    Mnist,
    /// `"fashion-mnist"`.
    FashionMnist,
    /// `"kmnist"`.
    Kmnist,
    /// `"cifar10"`.
    Cifar10,
    /// `"cifar100"` (fine labels).
    Cifar100,
    /// `"tiny-imagenet"`.
    TinyImagenet,
    /// `"folder:<path>"`: an image folder with `train/` and `test/` subfolders of class folders.
    Folder(PathBuf),
}

impl DatasetName {
    /// Parses a name.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] listing the known names.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "mnist" => Self::Mnist,
            "fashion-mnist" => Self::FashionMnist,
            "kmnist" => Self::Kmnist,
            "cifar10" => Self::Cifar10,
            "cifar100" => Self::Cifar100,
            "tiny-imagenet" => Self::TinyImagenet,
            _ => match name.strip_prefix("folder:") {
                Some(p) if !p.is_empty() => Self::Folder(PathBuf::from(p)),
                _ => {
                    return Err(Error::invalid(
                        "dataset",
                        name,
                        "mnist, fashion-mnist, kmnist, cifar10, cifar100, tiny-imagenet or \
                         folder:<path>",
                    ))
                }
            },
        })
    }

    /// Loads `split`. Named datasets live in `data_dir/<name>` (for example
    /// `$TRUSTDD_DATA/fashion-mnist`); a folder dataset reads `<path>/train` or `<path>/test` as
    /// 3-channel 32×32 images (use [`load_image_folder`] for other sizes).
    ///
    /// # Errors
    /// Those of the underlying loader.
    pub fn load(&self, data_dir: &Path, split: Split) -> Result<ImageDataset> {
        let dir = || data_dir.join(self.to_string());
        match self {
            Self::Mnist => load_mnist(&dir(), split),
            Self::FashionMnist => load_fashion_mnist(&dir(), split),
            Self::Kmnist => load_kmnist(&dir(), split),
            Self::Cifar10 => load_cifar10(&dir(), split),
            Self::Cifar100 => Ok(load_cifar100(&dir(), split, Cifar100Labels::Fine)?.dataset),
            Self::TinyImagenet => load_tiny_imagenet(&dir(), split),
            Self::Folder(p) => load_image_folder(&p.join(split.as_str()), 3, 32, 32),
        }
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mnist => f.write_str("mnist"),
            Self::FashionMnist => f.write_str("fashion-mnist"),
            Self::Kmnist => f.write_str("kmnist"),
            Self::Cifar10 => f.write_str("cifar10"),
            Self::Cifar100 => f.write_str("cifar100"),
            Self::TinyImagenet => f.write_str("tiny-imagenet"),
            Self::Folder(p) => write!(f, "folder:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_rejected() {
        for n in [
            "mnist",
            "fashion-mnist",
            "kmnist",
            "cifar10",
            "cifar100",
            "tiny-imagenet",
        ] {
            assert_eq!(DatasetName::parse(n).unwrap().to_string(), n);
        }
        let f = DatasetName::parse("folder:/data/pets").unwrap();
        assert_eq!(f, DatasetName::Folder(PathBuf::from("/data/pets")));
        assert!(matches!(
            DatasetName::parse("cifar-10"),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(DatasetName::parse("folder:").is_err());
    }
}
