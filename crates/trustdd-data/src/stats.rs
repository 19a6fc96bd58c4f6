//! Published per-channel statistics of the standard datasets (pixels in [0, 1]).
//!
//! Computed statistics of any dataset come from [`trustdd_core::ImageDataset::channel_stats`];
//! these constants are the values the dataset-distillation reference code (DC/DSA/DM/MTT
//! `utils.py`) hard-codes, so results stay comparable with it.

use trustdd_core::Normalization;

fn stats(mean: &[f32], std: &[f32]) -> Normalization {
    Normalization {
        mean: mean.to_vec(),
        std: std.to_vec(),
    }
}

/// MNIST: mean 0.1307, std 0.3081.
pub fn mnist_stats() -> Normalization {
    stats(&[0.1307], &[0.3081])
}

/// Fashion-MNIST: mean 0.2861, std 0.3530.
pub fn fashion_mnist_stats() -> Normalization {
    stats(&[0.2861], &[0.3530])
}

/// Kuzushiji-MNIST: mean 0.1918, std 0.3483 (training split).
pub fn kmnist_stats() -> Normalization {
    stats(&[0.1918], &[0.3483])
}

/// CIFAR-10 per RGB channel.
pub fn cifar10_stats() -> Normalization {
    stats(&[0.4914, 0.4822, 0.4465], &[0.2023, 0.1994, 0.2010])
}

/// CIFAR-100 per RGB channel.
pub fn cifar100_stats() -> Normalization {
    stats(&[0.5071, 0.4866, 0.4409], &[0.2673, 0.2564, 0.2762])
}

/// Tiny ImageNet: the ImageNet statistics, as the reference code uses.
pub fn tiny_imagenet_stats() -> Normalization {
    stats(&[0.485, 0.456, 0.406], &[0.229, 0.224, 0.225])
}

/// The published statistics for a dataset name (`"mnist"`, `"fashion-mnist"`, `"kmnist"`,
/// `"cifar10"`, `"cifar100"`, `"tiny-imagenet"`); `None` for any other name.
pub fn known_stats(name: &str) -> Option<Normalization> {
    Some(match name {
        "mnist" => mnist_stats(),
        "fashion-mnist" => fashion_mnist_stats(),
        "kmnist" => kmnist_stats(),
        "cifar10" => cifar10_stats(),
        "cifar100" => cifar100_stats(),
        "tiny-imagenet" => tiny_imagenet_stats(),
        _ => return None,
    })
}
