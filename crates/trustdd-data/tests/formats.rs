//! Every loader reads back files the fixtures write in the official layouts.

use std::path::Path;
use trustdd_core::{Error, ImageShape, TrustRng};
use trustdd_data::fixtures::{
    encode_png, put_in_hub_cache, write_cifar100_bin, write_cifar10_bin, write_idx_images,
    write_idx_labels, write_image, write_image_parquet, write_lines,
};
use trustdd_data::*;

fn random_pixels(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = TrustRng::new(seed);
    (0..n).map(|_| rng.below(256) as u8).collect()
}

#[test]
fn idx_round_trips_raw_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let px = random_pixels(5 * 784, 1);
    let labels = [3u8, 0, 9, 9, 1];
    write_idx_images(
        &dir.path().join("train-images-idx3-ubyte"),
        28,
        28,
        &px,
        false,
    )
    .unwrap();
    write_idx_labels(
        &dir.path().join("train-labels-idx1-ubyte.gz"),
        &labels,
        true,
    )
    .unwrap();
    let ds = load_fashion_mnist(dir.path(), Split::Train).unwrap();
    assert_eq!(ds.name(), "fashion-mnist");
    assert_eq!(ds.shape(), ImageShape::new(1, 28, 28));
    assert_eq!(ds.pixels(), px.as_slice());
    assert_eq!(ds.labels(), &[3, 0, 9, 9, 1]);
    assert_eq!(ds.class_names()[9], "Ankle boot");
    assert_eq!(ds.preprocess().normalization(), &fashion_mnist_stats());
    // Same files, generic loader with other class names and a non-28x28 shape allowed.
    let small = random_pixels(2 * 12, 2);
    write_idx_images(&dir.path().join("s-img.gz"), 3, 4, &small, true).unwrap();
    write_idx_labels(&dir.path().join("s-lab"), &[1, 0], false).unwrap();
    let names = vec!["x".to_string(), "y".to_string()];
    let ds = load_idx_pair(
        &dir.path().join("s-img.gz"),
        &dir.path().join("s-lab"),
        names,
    )
    .unwrap();
    assert_eq!(ds.shape(), ImageShape::new(1, 3, 4));
    assert_eq!(ds.image(1), &small[12..]);
}

#[test]
fn cifar10_round_trips_all_batches_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cifar-10-batches-bin");
    let mut all = Vec::new();
    for i in 1..=5u8 {
        let px = random_pixels(2 * 3072, i as u64);
        write_cifar10_bin(&root.join(format!("data_batch_{i}.bin")), &[i, 9 - i], &px).unwrap();
        all.extend(px);
    }
    write_cifar10_bin(&root.join("test_batch.bin"), &[7], &random_pixels(3072, 9)).unwrap();
    let names: Vec<&str> = CIFAR10_CLASSES.iter().map(|n| &n[..2]).collect();
    write_lines(&root.join("batches.meta.txt"), &names).unwrap();
    let train = load_cifar10(dir.path(), Split::Train).unwrap();
    assert_eq!(train.len(), 10);
    assert_eq!(train.pixels(), all.as_slice());
    assert_eq!(train.labels(), &[1, 8, 2, 7, 3, 6, 4, 5, 5, 4]);
    assert_eq!(train.class_names()[0], "ai");
    let test = load_cifar10(&root, Split::Test).unwrap();
    assert_eq!((test.len(), test.labels()), (1, &[7u32][..]));
    assert_eq!(test.preprocess().normalization(), &cifar10_stats());
}

#[test]
fn cifar100_gives_fine_or_coarse_labels_and_the_map() {
    let dir = tempfile::tempdir().unwrap();
    let fine = [0u8, 4, 99, 0];
    let coarse: Vec<u8> = fine
        .iter()
        .map(|&f| CIFAR100_FINE_TO_COARSE[f as usize] as u8)
        .collect();
    let px = random_pixels(4 * 3072, 3);
    write_cifar100_bin(&dir.path().join("train.bin"), &coarse, &fine, &px).unwrap();
    let f = load_cifar100(dir.path(), Split::Train, Cifar100Labels::Fine).unwrap();
    assert_eq!(f.dataset.labels(), &[0, 4, 99, 0]);
    assert_eq!(f.dataset.num_classes(), 100);
    assert_eq!(f.dataset.pixels(), px.as_slice());
    assert_eq!(f.fine_to_coarse, CIFAR100_FINE_TO_COARSE.to_vec());
    let c = load_cifar100(dir.path(), Split::Train, Cifar100Labels::Coarse).unwrap();
    assert_eq!(c.dataset.labels(), &[4, 0, 13, 4]); // apple→fruit, beaver→aquatic, worm→invert.
    assert_eq!(c.dataset.class_names()[13], "non-insect_invertebrates");
    // A fine class under two superclasses is a format error naming the file.
    write_cifar100_bin(
        &dir.path().join("test.bin"),
        &[4, 5],
        &[0, 0],
        &px[..2 * 3072],
    )
    .unwrap();
    let e = load_cifar100(dir.path(), Split::Test, Cifar100Labels::Fine).unwrap_err();
    assert!(
        matches!(e, Error::Format { .. }) && e.to_string().contains("test.bin"),
        "{e}"
    );
}

#[test]
fn image_folder_sorts_classes_converts_and_resizes() {
    let dir = tempfile::tempdir().unwrap();
    let rgb = ImageShape::new(3, 4, 4);
    let cat = random_pixels(rgb.numel(), 4);
    write_image(
        &dir.path().join("b_dog/1.jpg"),
        ImageShape::new(3, 8, 6),
        &[90; 144],
    )
    .unwrap();
    write_image(&dir.path().join("a_cat/z.png"), rgb, &cat).unwrap();
    write_image(
        &dir.path().join("a_cat/a.PNG"),
        ImageShape::new(1, 2, 2),
        &[10, 20, 30, 40],
    )
    .unwrap();
    std::fs::write(dir.path().join("a_cat/notes.txt"), "ignored").unwrap();
    let ds = load_image_folder(dir.path(), 3, 4, 4).unwrap();
    assert_eq!(
        ds.class_names(),
        &["a_cat".to_string(), "b_dog".to_string()]
    );
    assert_eq!(ds.labels(), &[0, 0, 1]);
    // a.PNG: grey 2x2 upsampled to 4x4 RGB, each channel equal; z.png unchanged.
    let a = ds.image(0);
    assert_eq!(&a[..16], &a[16..32]);
    assert!(a.iter().all(|&v| (10..=40).contains(&v)), "{a:?}");
    assert_eq!(ds.image(1), cat.as_slice());
    // A uniform JPEG stays (nearly) uniform after decoding and resizing.
    assert!(
        ds.image(2).iter().all(|&v| v.abs_diff(90) <= 2),
        "{:?}",
        ds.image(2)
    );
    let grey = load_image_folder(dir.path(), 1, 2, 2).unwrap();
    assert_eq!(grey.image(0), &[10, 20, 30, 40]);
    assert!(matches!(
        load_image_folder(dir.path(), 2, 4, 4),
        Err(Error::InvalidParameter { .. })
    ));
}

fn uniform_jpeg(path: &Path, value: u8) {
    write_image(path, ImageShape::new(3, 64, 64), &vec![value; 3 * 64 * 64]).unwrap();
}

#[test]
fn tiny_imagenet_reads_train_folders_and_val_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_lines(&root.join("wnids.txt"), &["n02", "n01"]).unwrap();
    write_lines(
        &root.join("words.txt"),
        &["n01\tgoldfish, Carassius auratus", "n02\tbee"],
    )
    .unwrap();
    uniform_jpeg(&root.join("train/n01/images/n01_0.JPEG"), 40);
    uniform_jpeg(&root.join("train/n02/images/n02_0.JPEG"), 200);
    uniform_jpeg(&root.join("train/n02/images/n02_1.JPEG"), 210);
    uniform_jpeg(&root.join("val/images/val_0.JPEG"), 120);
    uniform_jpeg(&root.join("val/images/val_1.JPEG"), 30);
    let ann = "val_0.JPEG\tn02\t0\t0\t10\t10\nval_1.JPEG\tn01\t1\t2\t3\t4\n";
    std::fs::write(root.join("val/val_annotations.txt"), ann).unwrap();
    let train = load_tiny_imagenet(root, Split::Train).unwrap();
    assert_eq!(
        train.class_names(),
        &["goldfish, Carassius auratus".to_string(), "bee".into()]
    );
    assert_eq!(train.labels(), &[0, 1, 1]);
    assert_eq!(train.shape(), TINY_IMAGENET_SHAPE);
    assert!(train.image(2).iter().all(|&v| v.abs_diff(210) <= 2));
    let val = load_tiny_imagenet(root, Split::Test).unwrap();
    assert_eq!(val.labels(), &[1, 0]);
    assert!(val.image(1).iter().all(|&v| v.abs_diff(30) <= 2));
}

#[test]
fn hub_datasets_load_from_an_offline_cache() {
    let cache = tempfile::tempdir().unwrap();
    let opts = HubOptions::with_cache_dir(cache.path()).offline(true);
    // CIFAR-10: 3 RGB images.
    let imgs: Vec<Vec<u8>> = (0..3).map(|i| random_pixels(3072, 20 + i)).collect();
    let pngs: Vec<Vec<u8>> = imgs
        .iter()
        .map(|p| encode_png(CIFAR_SHAPE, p).unwrap())
        .collect();
    let file = cache.path().join("c10.parquet");
    write_image_parquet(&file, "img", &pngs, &[("label", vec![2, 0, 9])]).unwrap();
    let d = HubDataset::Cifar10;
    put_in_hub_cache(
        cache.path(),
        d.repo(),
        &d.file(Split::Train),
        &std::fs::read(&file).unwrap(),
    )
    .unwrap();
    let ds = load_hub(d, Split::Train, &opts).unwrap();
    assert_eq!(ds.labels(), &[2, 0, 9]);
    assert_eq!(ds.pixels(), imgs.concat().as_slice());
    assert_eq!(ds.preprocess().normalization(), &cifar10_stats());
    // Fashion-MNIST: grey PNGs under `image`.
    let grey = random_pixels(784, 30);
    let png = encode_png(ImageShape::new(1, 28, 28), &grey).unwrap();
    write_image_parquet(&file, "image", &[png], &[("label", vec![8])]).unwrap();
    let d = HubDataset::FashionMnist;
    put_in_hub_cache(
        cache.path(),
        d.repo(),
        &d.file(Split::Test),
        &std::fs::read(&file).unwrap(),
    )
    .unwrap();
    let ds = load_hub(d, Split::Test, &opts).unwrap();
    assert_eq!((ds.pixels(), ds.labels()), (grey.as_slice(), &[8u32][..]));
    // CIFAR-100 with both label columns.
    let labels = [("fine_label", vec![99, 0]), ("coarse_label", vec![13, 4])];
    write_image_parquet(&file, "img", &pngs[..2], &labels).unwrap();
    let d = HubDataset::Cifar100;
    put_in_hub_cache(
        cache.path(),
        d.repo(),
        &d.file(Split::Test),
        &std::fs::read(&file).unwrap(),
    )
    .unwrap();
    let c = load_hub_cifar100(Split::Test, Cifar100Labels::Coarse, &opts).unwrap();
    assert_eq!(c.dataset.labels(), &[13, 4]);
    assert_eq!(c.fine_labels, vec![99, 0]);
    assert_eq!(c.fine_to_coarse, CIFAR100_FINE_TO_COARSE.to_vec());
    // Offline and not cached: a typed error naming the repo and the file.
    let e = load_hub(HubDataset::Cifar10, Split::Test, &opts).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(&e, Error::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound));
    assert!(
        msg.contains("uoft-cs/cifar10") && msg.contains("plain_text/test-00000-of-00001.parquet"),
        "{msg}"
    );
}

#[test]
fn hub_options_follow_the_huggingface_variables() {
    let from = |vars: &[(&str, &str)]| {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        HubOptions::from_vars(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    };
    let o = from(&[("HOME", "/home/u")]);
    assert_eq!(o.cache_dir, Path::new("/home/u/.cache/huggingface/hub"));
    assert!(!o.offline);
    let o = from(&[
        ("HOME", "/h"),
        ("XDG_CACHE_HOME", "/x"),
        ("HF_HUB_OFFLINE", "TRUE"),
    ]);
    assert_eq!(o.cache_dir, Path::new("/x/huggingface/hub"));
    assert!(o.offline);
    let o = from(&[
        ("HF_HOME", "/hf"),
        ("XDG_CACHE_HOME", "/x"),
        ("HF_HUB_OFFLINE", "0"),
    ]);
    assert_eq!(o.cache_dir, Path::new("/hf/hub"));
    assert!(!o.offline);
    let o = from(&[
        ("HF_HUB_CACHE", "/c"),
        ("HF_HOME", "/hf"),
        ("HF_HUB_OFFLINE", "1"),
    ]);
    assert_eq!(o.cache_dir, Path::new("/c"));
    assert!(o.offline);
    let o = from(&[
        ("HF_HUB_CACHE", ""),
        ("HF_HOME", "/hf"),
        ("HF_ENDPOINT", "https://m.example"),
    ]);
    assert_eq!(o.cache_dir, Path::new("/hf/hub"));
    assert_eq!(o.endpoint.as_deref(), Some("https://m.example"));
}

#[test]
fn data_dir_comes_from_a_non_empty_value() {
    assert_eq!(data_dir_from_value(None), None);
    assert_eq!(data_dir_from_value(Some("".into())), None);
    assert_eq!(data_dir_from_value(Some("/d".into())), Some("/d".into()));
}
