//! Datasets from the Hugging Face hub (through `hf-hub`), read from its parquet files.
//!
//! Files are looked up in (and downloaded to) the standard cache layout
//! `<cache>/datasets--<org>--<name>/snapshots/<rev>/<file>` with `refs/main` naming `<rev>`.
//! Repositories and files, as the hub holds them (checked on the hub's dataset pages):
//!
//! | dataset | repo | files | columns |
//! |---|---|---|---|
//! | CIFAR-10 | `uoft-cs/cifar10` | `plain_text/{train,test}-00000-of-00001.parquet` | `img` {bytes: PNG, path}, `label` |
//! | CIFAR-100 | `uoft-cs/cifar100` | `cifar100/{train,test}-00000-of-00001.parquet` | `img`, `fine_label`, `coarse_label` |
//! | Fashion-MNIST | `zalando-datasets/fashion_mnist` | `fashion_mnist/{train,test}-00000-of-00001.parquet` | `image` {bytes: PNG, path}, `label` |

use crate::cifar::{fine_to_coarse_map, Cifar100, Cifar100Labels, CIFAR_SHAPE};
use crate::classes::{
    to_names, CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
};
use crate::parquet_images::read_image_parquet;
use crate::split::Split;
use crate::stats::known_stats;
use hf_hub::api::sync::ApiBuilder;
use hf_hub::{Cache, Repo};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use trustdd_core::{check_labels, Error, ImageDataset, ImageShape, Preprocess, Result};

/// Where the hub cache lives and whether the network may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOptions {
    /// The hub cache directory (the folder holding `datasets--<org>--<name>`).
    pub cache_dir: PathBuf,
    /// Never touch the network: read the cache only.
    pub offline: bool,
    /// Another hub endpoint (a mirror), `None` for the default.
    pub endpoint: Option<String>,
}

impl HubOptions {
    /// Options from the process environment; see [`Self::from_vars`].
    pub fn from_env() -> Self {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// Options from a variable lookup, following `huggingface_hub`'s rules:
    /// cache = `HF_HUB_CACHE`, else `HF_HOME/hub`, else `XDG_CACHE_HOME/huggingface/hub`, else
    /// `HOME/.cache/huggingface/hub`; offline when `HF_HUB_OFFLINE` is 1/true/yes/on (any case);
    /// endpoint from `HF_ENDPOINT`. Empty values count as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let cache_dir = if let Some(c) = get("HF_HUB_CACHE") {
            PathBuf::from(c)
        } else if let Some(h) = get("HF_HOME") {
            PathBuf::from(h).join("hub")
        } else if let Some(x) = get("XDG_CACHE_HOME") {
            PathBuf::from(x).join("huggingface").join("hub")
        } else {
            let home = get("HOME").map_or_else(PathBuf::new, PathBuf::from);
            home.join(".cache").join("huggingface").join("hub")
        };
        let offline = get("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        });
        Self {
            cache_dir,
            offline,
            endpoint: get("HF_ENDPOINT"),
        }
    }

    /// Options for an explicit cache directory, online.
    pub fn with_cache_dir(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            offline: false,
            endpoint: None,
        }
    }

    /// Sets offline mode.
    pub fn offline(mut self, offline: bool) -> Self {
        self.offline = offline;
        self
    }
}

/// The local path of `file` in the dataset repository `repo` (revision `main`): from the cache,
/// or downloaded into it unless offline.
///
/// # Errors
/// [`Error::Io`] (not found) naming the repo, the file and the cache when offline and the file is
/// not cached; [`Error::Io`] naming them when the download fails.
pub fn hub_dataset_file(options: &HubOptions, repo: &str, file: &str) -> Result<PathBuf> {
    let cache = Cache::new(options.cache_dir.clone());
    let repo_path = options
        .cache_dir
        .join(Repo::dataset(repo.to_string()).folder_name());
    if options.offline {
        return cache.dataset(repo.to_string()).get(file).ok_or_else(|| {
            let msg = format!(
                "offline (HF_HUB_OFFLINE): dataset repo {repo} file {file} is not in the hub \
                 cache {}",
                options.cache_dir.display()
            );
            Error::io(
                repo_path.clone(),
                std::io::Error::new(ErrorKind::NotFound, msg),
            )
        });
    }
    let mut builder = ApiBuilder::from_cache(cache).with_progress(false);
    if let Some(e) = &options.endpoint {
        builder = builder.with_endpoint(e.clone());
    }
    let fail = |e: hf_hub::api::sync::ApiError| {
        let msg = format!("fetching dataset repo {repo} file {file} from the hub: {e}");
        Error::io(repo_path.clone(), std::io::Error::other(msg))
    };
    builder
        .build()
        .map_err(fail)?
        .dataset(repo.to_string())
        .get(file)
        .map_err(fail)
}

/// A dataset the hub loader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HubDataset {
    /// `uoft-cs/cifar10`.
    Cifar10,
    /// `uoft-cs/cifar100` (fine labels; see [`load_hub_cifar100`] for coarse ones).
    Cifar100,
    /// `zalando-datasets/fashion_mnist`.
    FashionMnist,
}

impl HubDataset {
    /// The dataset repository id.
    pub fn repo(self) -> &'static str {
        match self {
            HubDataset::Cifar10 => "uoft-cs/cifar10",
            HubDataset::Cifar100 => "uoft-cs/cifar100",
            HubDataset::FashionMnist => "zalando-datasets/fashion_mnist",
        }
    }

    /// The parquet file of `split` inside the repository.
    pub fn file(self, split: Split) -> String {
        let dir = match self {
            HubDataset::Cifar10 => "plain_text",
            HubDataset::Cifar100 => "cifar100",
            HubDataset::FashionMnist => "fashion_mnist",
        };
        format!("{dir}/{split}-00000-of-00001.parquet")
    }

    /// The image column.
    pub fn image_column(self) -> &'static str {
        match self {
            HubDataset::FashionMnist => "image",
            _ => "img",
        }
    }

    /// The trustdd dataset name (`"cifar10"`, `"cifar100"`, `"fashion-mnist"`).
    pub fn name(self) -> &'static str {
        match self {
            HubDataset::Cifar10 => "cifar10",
            HubDataset::Cifar100 => "cifar100",
            HubDataset::FashionMnist => "fashion-mnist",
        }
    }

    fn shape(self) -> ImageShape {
        match self {
            HubDataset::FashionMnist => ImageShape::new(1, 28, 28),
            _ => CIFAR_SHAPE,
        }
    }
}

/// Loads `split` of `dataset` from the hub (CIFAR-100 with fine labels), normalised with the
/// published statistics.
///
/// # Errors
/// As [`hub_dataset_file`] and [`read_image_parquet`]; [`Error::LabelOutOfRange`] naming the
/// file for a label ≥ the class count.
pub fn load_hub(dataset: HubDataset, split: Split, options: &HubOptions) -> Result<ImageDataset> {
    if dataset == HubDataset::Cifar100 {
        return Ok(load_hub_cifar100(split, Cifar100Labels::Fine, options)?.dataset);
    }
    let classes = match dataset {
        HubDataset::FashionMnist => to_names(&FASHION_MNIST_CLASSES),
        _ => to_names(&CIFAR10_CLASSES),
    };
    let path = hub_dataset_file(options, dataset.repo(), &dataset.file(split))?;
    let mut data = read_image_parquet(&path, dataset.image_column(), &["label"], dataset.shape())?;
    let labels = data.labels.remove(0);
    check_labels(&labels, classes.len(), &path.display().to_string())?;
    with_stats(
        ImageDataset::new(
            dataset.name(),
            dataset.shape(),
            data.pixels,
            labels,
            classes,
        )?,
        dataset.name(),
    )
}

/// Loads `split` of CIFAR-100 from the hub with the chosen labels and the fine→coarse map.
///
/// # Errors
/// As [`load_hub`]; [`Error::Format`] when a fine class appears under two superclasses.
pub fn load_hub_cifar100(
    split: Split,
    labels: Cifar100Labels,
    options: &HubOptions,
) -> Result<Cifar100> {
    let d = HubDataset::Cifar100;
    let path = hub_dataset_file(options, d.repo(), &d.file(split))?;
    let mut data = read_image_parquet(
        &path,
        d.image_column(),
        &["fine_label", "coarse_label"],
        d.shape(),
    )?;
    let coarse = data.labels.remove(1);
    let fine = data.labels.remove(0);
    let context = path.display().to_string();
    check_labels(&fine, 100, &format!("{context} fine_label"))?;
    check_labels(&coarse, 20, &format!("{context} coarse_label"))?;
    let fine_to_coarse = fine_to_coarse_map(&fine, &coarse, 100, &path)?;
    let (chosen, names) = match labels {
        Cifar100Labels::Fine => (fine.clone(), to_names(&CIFAR100_FINE_CLASSES)),
        Cifar100Labels::Coarse => (coarse.clone(), to_names(&CIFAR100_COARSE_CLASSES)),
    };
    let ds = ImageDataset::new(d.name(), d.shape(), data.pixels, chosen, names)?;
    Ok(Cifar100 {
        dataset: with_stats(ds, d.name())?,
        fine_to_coarse,
        fine_labels: fine,
        coarse_labels: coarse,
    })
}

fn with_stats(ds: ImageDataset, name: &str) -> Result<ImageDataset> {
    match known_stats(name) {
        Some(s) => ds.with_preprocess(Preprocess::Normalize(s)),
        None => Ok(ds),
    }
}

/// The path `file` of dataset `repo` would have in a hub cache at `cache_dir` for revision
/// `rev` (used by tests and by tools that pre-fill a cache).
pub fn hub_cache_path(cache_dir: &Path, repo: &str, rev: &str, file: &str) -> PathBuf {
    cache_dir
        .join(Repo::dataset(repo.to_string()).folder_name())
        .join("snapshots")
        .join(rev)
        .join(file)
}
