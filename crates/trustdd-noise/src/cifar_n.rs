//! CIFAR-10N and CIFAR-100N: human-annotated noisy labels of the 50,000 CIFAR training images
//! (Wei et al., ICLR 2022), in training-file order.

use crate::label_file::{read_labels, FileLabels};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use trustdd_core::{Error, Result};

/// The folder under the data folder (`$TRUSTDD_DATA`) that holds the CIFAR-N files.
pub const CIFAR_N_DIR: &str = "cifar-n";

/// One CIFAR-N label set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CifarN {
    /// CIFAR-10N majority vote of three annotators (`aggre_label`, 9.01% noise).
    Aggre,
    /// CIFAR-10N first annotator (`random_label1`, 17.23%).
    Random1,
    /// CIFAR-10N second annotator (`random_label2`, 18.12%).
    Random2,
    /// CIFAR-10N third annotator (`random_label3`, 17.64%).
    Random3,
    /// CIFAR-10N a wrong annotation whenever one exists (`worse_label`, 40.21%).
    Worse,
    /// CIFAR-100N fine labels (`noisy_label`, 40.20%).
    Noisy,
}

impl CifarN {
    /// Every label set, CIFAR-10N first.
    pub const ALL: [CifarN; 6] = [
        Self::Aggre,
        Self::Random1,
        Self::Random2,
        Self::Random3,
        Self::Worse,
        Self::Noisy,
    ];

    /// Parses `<set>:<labels>` as the grammar writes it (`cifar10n` with `aggre`, `random1`..
    /// `random3`, `worse`; `cifar100n` with `noisy`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] listing the label sets of `set`.
    pub fn parse(set: &str, labels: &str) -> Result<Self> {
        let found = Self::ALL
            .into_iter()
            .find(|k| k.set() == set && k.as_str() == labels);
        found.ok_or_else(|| {
            let known: Vec<String> = Self::ALL
                .iter()
                .filter(|k| k.set() == set)
                .map(|k| k.as_str().to_string())
                .collect();
            Error::invalid(
                format!("{set} label set"),
                labels,
                format!("one of {}", known.join(", ")),
            )
        })
    }

    /// `"cifar10n"` or `"cifar100n"`.
    pub fn set(&self) -> &'static str {
        match self {
            Self::Noisy => "cifar100n",
            _ => "cifar10n",
        }
    }

    /// The label set's name (`"worse"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Aggre => "aggre",
            Self::Random1 => "random1",
            Self::Random2 => "random2",
            Self::Random3 => "random3",
            Self::Worse => "worse",
            Self::Noisy => "noisy",
        }
    }

    /// The file name inside [`CIFAR_N_DIR`].
    pub fn file_name(&self) -> &'static str {
        match self {
            Self::Noisy => "cifar100n_labels.safetensors",
            _ => "cifar10n_labels.safetensors",
        }
    }

    /// The tensor holding the noisy labels.
    pub fn tensor(&self) -> &'static str {
        match self {
            Self::Aggre => "aggre_label",
            Self::Random1 => "random_label1",
            Self::Random2 => "random_label2",
            Self::Random3 => "random_label3",
            Self::Worse => "worse_label",
            Self::Noisy => "noisy_label",
        }
    }

    /// Number of classes: 10 or 100.
    pub fn num_classes(&self) -> usize {
        match self {
            Self::Noisy => 100,
            _ => 10,
        }
    }

    /// The file path given the folder holding the CIFAR-N files.
    pub fn path(&self, cifar_n_dir: &Path) -> PathBuf {
        cifar_n_dir.join(self.file_name())
    }

    /// The noise model: these labels, read from `cifar_n_dir`.
    ///
    /// # Errors
    /// Those of [`read_labels`], naming the file.
    pub fn model(&self, cifar_n_dir: &Path) -> Result<FileLabels> {
        Ok(
            FileLabels::load(&self.path(cifar_n_dir), Some(self.tensor()))?
                .with_name(self.to_string()),
        )
    }

    /// The clean (original CIFAR) training labels stored beside the noisy ones (`clean_label`),
    /// for working on the labels alone when the images are not at hand.
    ///
    /// # Errors
    /// Those of [`read_labels`], naming the file.
    pub fn clean_labels(&self, cifar_n_dir: &Path) -> Result<Vec<u32>> {
        read_labels(&self.path(cifar_n_dir), Some("clean_label"))
    }
}

impl fmt::Display for CifarN {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.set(), self.as_str())
    }
}
