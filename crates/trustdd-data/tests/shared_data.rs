//! Tests on the real data in `$TRUSTDD_DATA` (the project's shared data folder). Where the
//! variable is set a missing dataset is a failure; where it is unset the tests say so and pass.

use std::path::PathBuf;
use trustdd_data::{data_dir_from_env, fashion_mnist_stats, load_fashion_mnist, Split};

fn data_dir(test: &str) -> Option<PathBuf> {
    let dir = data_dir_from_env();
    if dir.is_none() {
        println!("{test}: skipped, TRUSTDD_DATA is not set (point it at the shared data folder)");
    }
    dir
}

#[test]
fn fashion_mnist_has_the_official_sizes_and_balance() {
    let Some(dir) = data_dir("fashion_mnist_has_the_official_sizes_and_balance") else {
        return;
    };
    let dir = dir.join("fashion-mnist");
    for (split, n, per_class) in [(Split::Train, 60_000, 6_000), (Split::Test, 10_000, 1_000)] {
        let ds = load_fashion_mnist(&dir, split).expect("TRUSTDD_DATA/fashion-mnist must load");
        assert_eq!(ds.len(), n, "{split}");
        assert_eq!(ds.num_classes(), 10);
        for c in 0..10 {
            assert_eq!(ds.class_members(c).len(), per_class, "{split} class {c}");
        }
        if split == Split::Train {
            // The published constants (DC/MTT utils.py) against the statistics computed here.
            let (got, want) = (ds.channel_stats(), fashion_mnist_stats());
            assert!((got.mean[0] - want.mean[0]).abs() < 1e-3, "{got:?}");
            assert!((got.std[0] - want.std[0]).abs() < 1e-3, "{got:?}");
        }
    }
}

#[test]
fn cifar100_fine_to_coarse_map_agrees_with_cifar100n_clean_labels() {
    let Some(dir) = data_dir("cifar100_fine_to_coarse_map_agrees_with_cifar100n_clean_labels")
    else {
        return;
    };
    let path = dir.join("cifar-n").join("cifar100n_labels.safetensors");
    let bytes = std::fs::read(&path).expect("TRUSTDD_DATA/cifar-n must exist");
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let fine = st.tensor("clean_label").unwrap();
    let coarse = st.tensor("clean_coarse_label").unwrap();
    assert_eq!(fine.data().len(), 50_000);
    for (&f, &c) in fine.data().iter().zip(coarse.data()) {
        assert_eq!(
            trustdd_data::CIFAR100_FINE_TO_COARSE[f as usize],
            c as u32,
            "fine {f}"
        );
    }
}
