//! Dataset loaders for trustdd. Every loader returns a [`trustdd_core::ImageDataset`] (u8
//! pixels `N×C×H×W`, u32 labels, class names) and reports malformed input as a typed
//! [`trustdd_core::Error`] naming the file.
//!
//! | source | functions |
//! |---|---|
//! | IDX (MNIST, Fashion-MNIST, KMNIST; raw or gzip) | [`load_idx_pair`], [`load_mnist`], [`load_fashion_mnist`], [`load_kmnist`] |
//! | CIFAR binary | [`load_cifar10`], [`load_cifar100`] (fine or coarse labels, fine→coarse map) |
//! | image folders, Tiny ImageNet | [`load_image_folder`], [`load_tiny_imagenet`] |
//! | Hugging Face hub (parquet) | [`load_hub`], [`load_hub_cifar100`], [`HubOptions`] |
//! | by name (`"mnist"`, `"folder:<path>"`, ...) | [`DatasetName`] |
//! | embedded 10k MNIST digits | [`embedded_mnist`] |
//! | normalisation, ZCA | [`known_stats`], [`fit_zca`] |
//! | local data folder | [`data_dir_from_env`] (`TRUSTDD_DATA`) |
//!
//! [`fixtures`] writes small files of every format, for tests.
#![deny(missing_docs)]

mod by_name;
mod bytes;
mod cifar;
mod classes;
mod data_dir;
mod decode;
mod embedded;
pub mod fixtures;
mod folder;
mod hub;
mod idx;
mod parquet_fixture;
mod parquet_images;
mod split;
mod stats;
mod tiny_imagenet;
mod zca;

pub use by_name::DatasetName;
pub use bytes::{decode_maybe_gzip, read_maybe_gzip};
pub use cifar::{load_cifar10, load_cifar100, Cifar100, Cifar100Labels, CIFAR_SHAPE};
pub use classes::{
    CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR100_FINE_TO_COARSE, CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES, KMNIST_CLASSES, MNIST_CLASSES,
};
pub use data_dir::{data_dir_from_env, data_dir_from_value, DATA_DIR_VAR};
pub use decode::{decode_image_bytes, decode_image_file, MAX_DECODED_PIXELS};
pub use embedded::{embedded_mnist, EMBEDDED_MNIST_TRAIN};
pub use folder::load_image_folder;
pub use hub::{
    hub_cache_path, hub_dataset_file, load_hub, load_hub_cifar100, HubDataset, HubOptions,
};
pub use idx::{
    idx_split_paths, load_fashion_mnist, load_idx_bytes, load_idx_pair, load_kmnist, load_mnist,
    parse_idx_images, parse_idx_labels, IdxImages, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC,
};
pub use parquet_images::{panic_is_caught_parquet_error, read_image_parquet, ParquetImages};
pub use split::Split;
pub use stats::{
    cifar100_stats, cifar10_stats, fashion_mnist_stats, kmnist_stats, known_stats, mnist_stats,
    tiny_imagenet_stats,
};
pub use tiny_imagenet::{load_tiny_imagenet, TINY_IMAGENET_SHAPE};
pub use zca::{fit_zca, DEFAULT_ZCA_EPSILON};
