//! Table of malformed inputs: each must give the expected typed error whose message names the
//! offending file or folder, and none may panic.

use std::path::Path;
use trustdd_core::{ImageDataset, ImageShape, Result};
use trustdd_data::fixtures::{
    gzip, put_in_hub_cache, write_cifar100_bin, write_cifar10_bin, write_idx_images,
    write_idx_labels, write_image, write_lines,
};
use trustdd_data::*;

use crate::common;

use common::{failures, Case, Kind};

const TRAIN_IMG: &str = "train-images-idx3-ubyte";
const TRAIN_LAB: &str = "train-labels-idx1-ubyte";

fn good_idx(d: &Path, n: usize) {
    write_idx_images(&d.join(TRAIN_IMG), 28, 28, &vec![7; n * 784], false).unwrap();
    write_idx_labels(&d.join(TRAIN_LAB), &vec![1; n], false).unwrap();
}

fn mnist(d: &Path) -> Result<ImageDataset> {
    load_mnist(d, Split::Train)
}

fn rgb_png(path: &Path) {
    write_image(path, ImageShape::new(3, 2, 2), &[0; 12]).unwrap();
}

const CASES: &[Case<ImageDataset>] = &[
    Case {
        name: "IDX bad magic",
        run: |d| {
            good_idx(d, 2);
            let mut b = std::fs::read(d.join(TRAIN_IMG)).unwrap();
            b[3] = 0x01;
            std::fs::write(d.join(TRAIN_IMG), b).unwrap();
            mnist(d)
        },
        expect: Kind::Format,
        names: TRAIN_IMG,
    },
    Case {
        name: "IDX truncated images",
        run: |d| {
            good_idx(d, 2);
            let b = std::fs::read(d.join(TRAIN_IMG)).unwrap();
            std::fs::write(d.join(TRAIN_IMG), &b[..b.len() - 100]).unwrap();
            mnist(d)
        },
        expect: Kind::Format,
        names: TRAIN_IMG,
    },
    Case {
        name: "IDX truncated header",
        run: |d| {
            good_idx(d, 1);
            std::fs::write(d.join(TRAIN_LAB), [0, 0, 8, 1, 0]).unwrap();
            mnist(d)
        },
        expect: Kind::Format,
        names: TRAIN_LAB,
    },
    Case {
        name: "IDX image/label count mismatch",
        run: |d| {
            good_idx(d, 3);
            write_idx_labels(&d.join(TRAIN_LAB), &[1, 2], false).unwrap();
            mnist(d)
        },
        expect: Kind::Shape,
        names: TRAIN_LAB,
    },
    Case {
        name: "IDX label >= classes",
        run: |d| {
            good_idx(d, 2);
            write_idx_labels(&d.join(TRAIN_LAB), &[1, 10], false).unwrap();
            mnist(d)
        },
        expect: Kind::Label,
        names: TRAIN_LAB,
    },
    Case {
        name: "IDX images not 28x28",
        run: |d| {
            write_idx_images(&d.join(TRAIN_IMG), 27, 28, &[0; 2 * 27 * 28], false).unwrap();
            write_idx_labels(&d.join(TRAIN_LAB), &[0, 0], false).unwrap();
            mnist(d)
        },
        expect: Kind::Shape,
        names: TRAIN_IMG,
    },
    Case {
        name: "IDX missing file",
        run: |d| {
            write_idx_labels(&d.join(TRAIN_LAB), &[0], false).unwrap();
            mnist(d)
        },
        expect: Kind::Io,
        names: TRAIN_IMG,
    },
    Case {
        name: "corrupt gzip",
        run: |d| {
            good_idx(d, 1);
            let gz = gzip(&std::fs::read(d.join(TRAIN_IMG)).unwrap());
            std::fs::remove_file(d.join(TRAIN_IMG)).unwrap();
            let name = format!("{TRAIN_IMG}.gz");
            std::fs::write(d.join(name), &gz[..gz.len() / 2]).unwrap();
            mnist(d)
        },
        expect: Kind::Format,
        names: "train-images-idx3-ubyte.gz",
    },
    Case {
        name: "CIFAR-10 record length",
        run: |d| {
            std::fs::write(d.join("test_batch.bin"), vec![0u8; 3073 * 2 + 5]).unwrap();
            load_cifar10(d, Split::Test)
        },
        expect: Kind::Format,
        names: "test_batch.bin",
    },
    Case {
        name: "CIFAR-10 empty file",
        run: |d| {
            std::fs::write(d.join("test_batch.bin"), []).unwrap();
            load_cifar10(d, Split::Test)
        },
        expect: Kind::Format,
        names: "test_batch.bin",
    },
    Case {
        name: "CIFAR-10 label >= classes",
        run: |d| {
            write_cifar10_bin(&d.join("test_batch.bin"), &[3, 10], &[0; 2 * 3072]).unwrap();
            load_cifar10(d, Split::Test)
        },
        expect: Kind::Label,
        names: "test_batch.bin",
    },
    Case {
        name: "CIFAR-10 missing training batch",
        run: |d| {
            write_cifar10_bin(&d.join("data_batch_1.bin"), &[3], &[0; 3072]).unwrap();
            load_cifar10(d, Split::Train)
        },
        expect: Kind::Io,
        names: "data_batch_2.bin",
    },
    Case {
        name: "CIFAR-100 record length (CIFAR-10 records)",
        run: |d| {
            write_cifar10_bin(&d.join("train.bin"), &[0, 1], &[0; 2 * 3072]).unwrap();
            Ok(load_cifar100(d, Split::Train, Cifar100Labels::Fine)?.dataset)
        },
        expect: Kind::Format,
        names: "train.bin",
    },
    Case {
        name: "CIFAR-100 fine label >= 100",
        run: |d| {
            write_cifar100_bin(&d.join("train.bin"), &[1], &[100], &[0; 3072]).unwrap();
            Ok(load_cifar100(d, Split::Train, Cifar100Labels::Coarse)?.dataset)
        },
        expect: Kind::Label,
        names: "train.bin",
    },
    Case {
        name: "empty image folder",
        run: |d| {
            let root = d.join("empty_root");
            std::fs::create_dir_all(&root).unwrap();
            load_image_folder(&root, 3, 2, 2)
        },
        expect: Kind::Format,
        names: "empty_root",
    },
    Case {
        name: "class folder without images",
        run: |d| {
            rgb_png(&d.join("a/x.png"));
            std::fs::create_dir_all(d.join("b_without_images")).unwrap();
            std::fs::write(d.join("b_without_images/readme.txt"), "no images").unwrap();
            load_image_folder(d, 3, 2, 2)
        },
        expect: Kind::Format,
        names: "b_without_images",
    },
    Case {
        name: "missing image folder",
        run: |d| load_image_folder(&d.join("no_such_root"), 3, 2, 2),
        expect: Kind::Io,
        names: "no_such_root",
    },
    Case {
        name: "corrupt PNG in a folder",
        run: |d| {
            rgb_png(&d.join("a/good.png"));
            std::fs::write(d.join("a/broken.png"), b"\x89PNG\r\n\x1a\n garbage").unwrap();
            load_image_folder(d, 3, 2, 2)
        },
        expect: Kind::Format,
        names: "broken.png",
    },
    Case {
        name: "Tiny ImageNet annotation with unknown wnid",
        run: |d| {
            write_lines(&d.join("wnids.txt"), &["n01"]).unwrap();
            std::fs::create_dir_all(d.join("val")).unwrap();
            std::fs::write(
                d.join("val/val_annotations.txt"),
                "v.JPEG\tn99\t0\t0\t1\t1\n",
            )
            .unwrap();
            load_tiny_imagenet(d, Split::Test)
        },
        expect: Kind::Format,
        names: "val_annotations.txt",
    },
    Case {
        name: "Tiny ImageNet missing wnids.txt",
        run: |d| load_tiny_imagenet(d, Split::Train),
        expect: Kind::Io,
        names: "wnids.txt",
    },
    Case {
        name: "hub parquet that is not parquet",
        run: |d| {
            let repo = HubDataset::Cifar10.repo();
            let file = HubDataset::Cifar10.file(Split::Train);
            put_in_hub_cache(d, repo, &file, b"PAR1 not really").unwrap();
            load_hub(
                HubDataset::Cifar10,
                Split::Train,
                &HubOptions::with_cache_dir(d).offline(true),
            )
        },
        expect: Kind::Format,
        names: "train-00000-of-00001.parquet",
    },
    Case {
        name: "hub file missing offline",
        run: |d| {
            load_hub(
                HubDataset::FashionMnist,
                Split::Train,
                &HubOptions::with_cache_dir(d).offline(true),
            )
        },
        expect: Kind::Io,
        names: "zalando-datasets/fashion_mnist",
    },
];

#[test]
fn malformed_inputs_give_typed_errors_naming_the_file() {
    let failures = failures(CASES);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
