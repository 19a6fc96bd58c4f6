//! A second table of malformed inputs (beyond `malformed.rs`): truncated and corrupted files of
//! every format this crate reads, plus synthetic-set files (`trustdd_distill::load_set`). Each
//! must give the expected typed error whose message names the file or parameter at fault, and
//! none may panic.
//!
//! The ignored test `write_fuzz_seeds` writes one valid input per fuzz target (see
//! `fuzz/README.md`).

use candle_core::{DType, Device, Tensor};
use image::ImageFormat;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use trustdd_core::{Error, ImageShape, Normalization, Preprocess, SyntheticSet, TrustRng};
use trustdd_data::fixtures::{
    encode_image, encode_png, gzip, write_cifar100_bin, write_cifar10_bin, write_idx_images,
    write_idx_labels, write_image, write_image_parquet, write_lines,
};
use trustdd_data::*;
use trustdd_distill::{load_set, save_set, save_trajectories, SetMetadata, Trajectories};

use crate::common;

use common::{failures, Case, Kind};

/// `Ok(())` when the input was accepted, else the loader's error.
type Outcome = Result<(), Error>;

fn done<T>(r: trustdd_core::Result<T>) -> Outcome {
    r.map(|_| ())
}

/// Set files report core errors directly.
fn set_outcome<T>(r: trustdd_core::Result<T>) -> Outcome {
    done(r)
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

const IMG: &str = "train-images-idx3-ubyte";
const LAB: &str = "train-labels-idx1-ubyte";

fn mnist_classes() -> Vec<String> {
    MNIST_CLASSES.iter().map(|c| c.to_string()).collect()
}

/// A raw IDX image file: the given magic and dimensions, then `payload` bytes of zeros.
fn idx_bytes(magic: u32, dims: &[u32], payload: usize) -> Vec<u8> {
    let mut b = magic.to_be_bytes().to_vec();
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend(vec![0; payload]);
    b
}

fn idx_pair(d: &Path) -> Outcome {
    done(load_idx_pair(&d.join(IMG), &d.join(LAB), mnist_classes()))
}

fn good_idx(d: &Path, n: usize) {
    write_idx_images(&d.join(IMG), 4, 4, &vec![9; n * 16], false).unwrap();
    write_idx_labels(&d.join(LAB), &vec![3; n], false).unwrap();
}

fn cifar10_test(d: &Path) -> Outcome {
    done(load_cifar10(d, Split::Test))
}

fn cifar100_test(d: &Path) -> Outcome {
    done(load_cifar100(d, Split::Test, Cifar100Labels::Fine))
}

const GREY4: ImageShape = ImageShape::new(1, 4, 4);

fn png4() -> Vec<u8> {
    encode_png(GREY4, &[100; 16]).unwrap()
}

fn jpeg4() -> Vec<u8> {
    encode_image(ImageShape::new(3, 4, 4), &[100; 48], ImageFormat::Jpeg).unwrap()
}

fn decode_file(d: &Path, name: &str, bytes: &[u8]) -> Outcome {
    let path = d.join(name);
    write(&path, bytes);
    done(decode_image_file(&path, GREY4))
}

fn parquet(d: &Path, images: &[Vec<u8>], labels: &[(&str, Vec<i64>)]) -> PathBuf {
    let path = d.join("shard.parquet");
    write_image_parquet(&path, "image", images, labels).unwrap();
    path
}

fn read_parquet(path: &Path) -> Outcome {
    done(read_image_parquet(path, "image", &["label"], GREY4))
}

const SET_SHAPE: ImageShape = ImageShape::new(1, 2, 3);

fn set_meta() -> SetMetadata {
    SetMetadata {
        objective: "dm".into(),
        dataset: "corpus".into(),
        class_names: vec!["a".into(), "b".into()],
        shape: SET_SHAPE,
        preprocess: Preprocess::Normalize(Normalization::identity(1)),
        seed: 3,
        eval_lr: None,
    }
}

/// A valid set file of 2 classes × 2 images per class.
fn good_set(d: &Path) -> PathBuf {
    let set =
        SyntheticSet::from_noise(SET_SHAPE, 2, 2, &Device::Cpu, &mut TrustRng::new(5)).unwrap();
    let path = d.join("set.safetensors");
    save_set(&path, &set, &set_meta()).unwrap();
    path
}

fn set_metadata(path: &Path) -> HashMap<String, String> {
    let bytes = std::fs::read(path).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    header.metadata().clone().unwrap_or_default()
}

/// Rewrites a valid set file with `images`, `labels` and the metadata `edits`, then loads it.
fn tampered_set(d: &Path, images: Tensor, labels: Tensor, edits: &[(&str, &str)]) -> Outcome {
    let path = good_set(d);
    let mut md = set_metadata(&path);
    for (key, value) in edits {
        md.insert(key.to_string(), value.to_string());
    }
    let tensors = vec![("images", &images), ("labels", &labels)];
    write(&path, &safetensors::serialize(tensors, Some(md)).unwrap());
    set_outcome(load_set(&path, &Device::Cpu))
}

fn images_2x2() -> Tensor {
    Tensor::zeros((4, 1, 2, 3), DType::F32, &Device::Cpu).unwrap()
}

fn hard_labels(l: &[u32]) -> Tensor {
    Tensor::new(l, &Device::Cpu).unwrap()
}

fn load(path: &Path) -> Outcome {
    set_outcome(load_set(path, &Device::Cpu))
}

const CASES: &[Case<()>] = &[
    // ---- IDX ----
    Case {
        name: "IDX label file given as the image file",
        run: |d| {
            good_idx(d, 2);
            done(load_idx_pair(&d.join(LAB), &d.join(LAB), mnist_classes()))
        },
        expect: Kind::Format,
        names: LAB,
    },
    Case {
        name: "IDX images of 16-bit data (type byte 0x0B)",
        run: |d| {
            good_idx(d, 1);
            write(&d.join(IMG), &idx_bytes(0x0000_0B03, &[1, 4, 4], 32));
            idx_pair(d)
        },
        expect: Kind::Format,
        names: IMG,
    },
    Case {
        name: "IDX labels with trailing bytes",
        run: |d| {
            good_idx(d, 2);
            let mut b = std::fs::read(d.join(LAB)).unwrap();
            b.extend([0, 0, 0]);
            write(&d.join(LAB), &b);
            idx_pair(d)
        },
        expect: Kind::Format,
        names: LAB,
    },
    Case {
        name: "IDX empty image file",
        run: |d| {
            good_idx(d, 1);
            write(&d.join(IMG), &[]);
            idx_pair(d)
        },
        expect: Kind::Format,
        names: IMG,
    },
    Case {
        name: "IDX image header cut inside the dimensions",
        run: |d| {
            good_idx(d, 1);
            write(&d.join(IMG), &idx_bytes(IDX_IMAGES_MAGIC, &[1, 4], 0));
            idx_pair(d)
        },
        expect: Kind::Format,
        names: IMG,
    },
    Case {
        name: "IDX dimensions whose product overflows",
        run: |_| {
            let b = idx_bytes(IDX_IMAGES_MAGIC, &[u32::MAX, u32::MAX, u32::MAX], 16);
            done(parse_idx_images(&b, Path::new("huge-images-idx3-ubyte")))
        },
        expect: Kind::Format,
        names: "huge-images-idx3-ubyte",
    },
    Case {
        name: "IDX images of zero rows",
        run: |d| {
            good_idx(d, 1);
            write(&d.join(IMG), &idx_bytes(IDX_IMAGES_MAGIC, &[1, 0, 4], 0));
            idx_pair(d)
        },
        expect: Kind::Invalid,
        names: IMG,
    },
    Case {
        name: "IDX labels with the image magic",
        run: |d| {
            good_idx(d, 1);
            write(&d.join(LAB), &idx_bytes(IDX_IMAGES_MAGIC, &[1, 1, 1], 1));
            idx_pair(d)
        },
        expect: Kind::Format,
        names: LAB,
    },
    // ---- gzip ----
    Case {
        name: "gzip magic only",
        run: |d| {
            good_idx(d, 1);
            write(&d.join(IMG), &[0x1f, 0x8b]);
            idx_pair(d)
        },
        expect: Kind::Format,
        names: IMG,
    },
    Case {
        name: "gzip header then garbage deflate data",
        run: |d| {
            good_idx(d, 1);
            let mut gz = gzip(&std::fs::read(d.join(LAB)).unwrap());
            for b in &mut gz[10..] {
                *b = 0xff;
            }
            write(&d.join(LAB), &gz);
            idx_pair(d)
        },
        expect: Kind::Format,
        names: LAB,
    },
    Case {
        name: "gzip with a wrong CRC in the trailer",
        run: |d| {
            good_idx(d, 1);
            let mut gz = gzip(&std::fs::read(d.join(IMG)).unwrap());
            let crc = gz.len() - 8;
            gz[crc] ^= 0x55;
            write(&d.join(IMG), &gz);
            idx_pair(d)
        },
        expect: Kind::Format,
        names: IMG,
    },
    Case {
        name: "gzip of a truncated IDX file",
        run: |d| {
            good_idx(d, 2);
            let raw = std::fs::read(d.join(IMG)).unwrap();
            write(&d.join(IMG), &gzip(&raw[..raw.len() - 5]));
            idx_pair(d)
        },
        expect: Kind::Format,
        names: IMG,
    },
    Case {
        name: "in-memory IDX pair, label bytes are gzip garbage",
        run: |_| {
            let images = idx_bytes(IDX_IMAGES_MAGIC, &[1, 2, 2], 4);
            let labels = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
            done(load_idx_bytes(
                (&images, Path::new("mem-images")),
                (&labels, Path::new("mem-labels.gz")),
                "mem",
                mnist_classes(),
            ))
        },
        expect: Kind::Format,
        names: "mem-labels.gz",
    },
    // ---- CIFAR binary ----
    Case {
        name: "CIFAR-10 one byte short of a record",
        run: |d| {
            write(&d.join("test_batch.bin"), &[0; 3072]);
            cifar10_test(d)
        },
        expect: Kind::Format,
        names: "test_batch.bin",
    },
    Case {
        name: "CIFAR-10 truncated gzip batch",
        run: |d| {
            let gz = gzip(&[1; 3073]);
            write(&d.join("test_batch.bin"), &gz[..gz.len() - 6]);
            cifar10_test(d)
        },
        expect: Kind::Format,
        names: "test_batch.bin",
    },
    Case {
        name: "CIFAR-10 label 255",
        run: |d| {
            write_cifar10_bin(&d.join("test_batch.bin"), &[255], &[0; 3072]).unwrap();
            cifar10_test(d)
        },
        expect: Kind::Label,
        names: "test_batch.bin",
    },
    Case {
        name: "CIFAR-10 class list shorter than the labels",
        run: |d| {
            write_lines(&d.join("batches.meta.txt"), &["a", "b", "c"]).unwrap();
            write_cifar10_bin(&d.join("test_batch.bin"), &[5], &[0; 3072]).unwrap();
            cifar10_test(d)
        },
        expect: Kind::Label,
        names: "test_batch.bin",
    },
    Case {
        name: "CIFAR-10 class list not UTF-8",
        run: |d| {
            write(&d.join("batches.meta.txt"), &[0xff, 0xfe, b'\n']);
            write_cifar10_bin(&d.join("test_batch.bin"), &[0], &[0; 3072]).unwrap();
            cifar10_test(d)
        },
        expect: Kind::Format,
        names: "batches.meta.txt",
    },
    Case {
        name: "CIFAR-10 nested folder, missing test batch",
        run: |d| {
            std::fs::create_dir_all(d.join("cifar-10-batches-bin")).unwrap();
            cifar10_test(d)
        },
        expect: Kind::Io,
        names: "cifar-10-batches-bin",
    },
    Case {
        name: "CIFAR-100 empty file",
        run: |d| {
            write(&d.join("test.bin"), &[]);
            cifar100_test(d)
        },
        expect: Kind::Format,
        names: "test.bin",
    },
    Case {
        name: "CIFAR-100 coarse label >= 20",
        run: |d| {
            write_cifar100_bin(&d.join("test.bin"), &[20], &[0], &[0; 3072]).unwrap();
            cifar100_test(d)
        },
        expect: Kind::Label,
        names: "test.bin",
    },
    Case {
        name: "CIFAR-100 fine class under two superclasses",
        run: |d| {
            write_cifar100_bin(&d.join("test.bin"), &[1, 2], &[7, 7], &[0; 2 * 3072]).unwrap();
            cifar100_test(d)
        },
        expect: Kind::Format,
        names: "test.bin",
    },
    // ---- PNG / JPEG ----
    Case {
        name: "PNG cut after the header chunk",
        run: |d| decode_file(d, "cut.png", &png4()[..33]),
        expect: Kind::Format,
        names: "cut.png",
    },
    Case {
        name: "PNG with a corrupted header CRC",
        run: |d| {
            let mut b = png4();
            b[29] ^= 0xff;
            decode_file(d, "crc.png", &b)
        },
        expect: Kind::Format,
        names: "crc.png",
    },
    Case {
        name: "PNG signature only",
        run: |d| decode_file(d, "sig.png", b"\x89PNG\r\n\x1a\n"),
        expect: Kind::Format,
        names: "sig.png",
    },
    Case {
        name: "JPEG start-of-image marker then garbage",
        run: |d| decode_file(d, "garbage.jpg", b"\xff\xd8\xff\xe0 definitely not a jpeg"),
        expect: Kind::Format,
        names: "garbage.jpg",
    },
    Case {
        name: "JPEG cut inside its header",
        run: |d| decode_file(d, "cut.jpg", &jpeg4()[..40]),
        expect: Kind::Format,
        names: "cut.jpg",
    },
    Case {
        name: "empty image file",
        run: |d| decode_file(d, "empty.png", &[]),
        expect: Kind::Format,
        names: "empty.png",
    },
    Case {
        name: "image file missing",
        run: |d| done(decode_image_file(&d.join("absent.png"), GREY4)),
        expect: Kind::Io,
        names: "absent.png",
    },
    Case {
        name: "image of another size where resizing is off",
        run: |_| {
            let png = encode_png(ImageShape::new(1, 3, 5), &[0; 15]).unwrap();
            done(decode_image_bytes(&png, Path::new("odd.png"), GREY4, false))
        },
        expect: Kind::Shape,
        names: "odd.png",
    },
    Case {
        name: "decoding to two channels",
        run: |_| {
            done(decode_image_bytes(
                &png4(),
                Path::new("x.png"),
                ImageShape::new(2, 4, 4),
                true,
            ))
        },
        expect: Kind::Invalid,
        names: "channels",
    },
    Case {
        name: "text file named .jpg in an image folder",
        run: |d| {
            write_image(&d.join("cat/good.png"), ImageShape::new(3, 2, 2), &[0; 12]).unwrap();
            write(&d.join("cat/notes.jpg"), b"hello");
            done(load_image_folder(d, 3, 2, 2))
        },
        expect: Kind::Format,
        names: "notes.jpg",
    },
    Case {
        name: "JPEG whose header declares 65,535 × 65,535 pixels",
        run: |d| {
            let mut jpeg = encode_image(GREY4, &[0; 16], ImageFormat::Jpeg).unwrap();
            // Baseline frame header: FF C0, length (2), precision (1), height (2), width (2).
            let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
            jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF; 4]);
            let p = d.join("huge.jpg");
            write(&p, &jpeg);
            done(decode_image_file(&p, GREY4))
        },
        expect: Kind::Format,
        names: "declares 65535x65535 pixels",
    },
    // ---- parquet ----
    Case {
        name: "parquet page that panicked the parquet crate (found by cargo fuzz)",
        run: |d| {
            let p = d.join("fuzzed.parquet");
            write(
                &p,
                include_bytes!("fuzz_crashes/parquet-dict-decoder-unset.parquet"),
            );
            read_parquet(&p)
        },
        expect: Kind::Format,
        names: "fuzzed.parquet",
    },
    Case {
        name: "parquet empty file",
        run: |d| {
            write(&d.join("empty.parquet"), &[]);
            read_parquet(&d.join("empty.parquet"))
        },
        expect: Kind::Format,
        names: "empty.parquet",
    },
    Case {
        name: "parquet with its footer cut off",
        run: |d| {
            let p = parquet(d, &[png4()], &[("label", vec![1])]);
            let b = std::fs::read(&p).unwrap();
            write(&p, &b[..b.len() - 9]);
            read_parquet(&p)
        },
        expect: Kind::Format,
        names: "shard.parquet",
    },
    Case {
        name: "parquet footer length larger than the file",
        run: |d| {
            let p = parquet(d, &[png4()], &[("label", vec![1])]);
            let mut b = std::fs::read(&p).unwrap();
            let at = b.len() - 8;
            b[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            write(&p, &b);
            read_parquet(&p)
        },
        expect: Kind::Format,
        names: "shard.parquet",
    },
    Case {
        name: "parquet without the label column",
        run: |d| read_parquet(&parquet(d, &[png4()], &[("fine_label", vec![1])])),
        expect: Kind::Format,
        names: "shard.parquet",
    },
    Case {
        name: "parquet negative label",
        run: |d| read_parquet(&parquet(d, &[png4()], &[("label", vec![-3])])),
        expect: Kind::Format,
        names: "shard.parquet",
    },
    Case {
        name: "parquet image bytes that are not an image",
        run: |d| read_parquet(&parquet(d, &[b"nope".to_vec()], &[("label", vec![0])])),
        expect: Kind::Format,
        names: "row 0",
    },
    Case {
        name: "parquet image of another size",
        run: |d| {
            let big = encode_png(ImageShape::new(1, 5, 4), &[0; 20]).unwrap();
            read_parquet(&parquet(d, &[png4(), big], &[("label", vec![0, 1])]))
        },
        expect: Kind::Shape,
        names: "row 1",
    },
    // ---- synthetic-set files ----
    Case {
        name: "set file empty",
        run: |d| {
            write(&d.join("empty.safetensors"), &[]);
            load(&d.join("empty.safetensors"))
        },
        expect: Kind::Format,
        names: "empty.safetensors",
    },
    Case {
        name: "set file truncated",
        run: |d| {
            let p = good_set(d);
            let b = std::fs::read(&p).unwrap();
            write(&p, &b[..b.len() - 7]);
            load(&p)
        },
        expect: Kind::Format,
        names: "set.safetensors",
    },
    Case {
        name: "set file header length beyond the file",
        run: |d| {
            let p = good_set(d);
            let mut b = std::fs::read(&p).unwrap();
            b[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
            write(&p, &b);
            load(&p)
        },
        expect: Kind::Format,
        names: "set.safetensors",
    },
    Case {
        name: "set file with a checkpoint's format tag",
        run: |d| {
            tampered_set(
                d,
                images_2x2(),
                hard_labels(&[0, 0, 1, 1]),
                &[("format", "trustdd-checkpoint")],
            )
        },
        expect: Kind::Format,
        names: "set.safetensors",
    },
    Case {
        name: "set file ipc not a number",
        run: |d| {
            tampered_set(
                d,
                images_2x2(),
                hard_labels(&[0, 0, 1, 1]),
                &[("ipc", "two")],
            )
        },
        expect: Kind::Format,
        names: "ipc",
    },
    Case {
        name: "set file ipc so large that classes·ipc overflows",
        run: |d| {
            tampered_set(
                d,
                images_2x2(),
                hard_labels(&[0, 0, 1, 1]),
                &[("ipc", &usize::MAX.to_string())],
            )
        },
        expect: Kind::Shape,
        names: "synthetic images",
    },
    Case {
        name: "set file label kind unknown",
        run: |d| {
            tampered_set(
                d,
                images_2x2(),
                hard_labels(&[0, 0, 1, 1]),
                &[("label_kind", "fuzzy")],
            )
        },
        expect: Kind::Format,
        names: "label_kind",
    },
    Case {
        name: "set file image shape not JSON",
        run: |d| {
            tampered_set(
                d,
                images_2x2(),
                hard_labels(&[0, 0, 1, 1]),
                &[("image_shape", "1x2x3")],
            )
        },
        expect: Kind::Format,
        names: "image_shape",
    },
    Case {
        name: "set file images of another shape",
        run: |d| {
            let images = Tensor::zeros((4, 1, 3, 2), DType::F32, &Device::Cpu).unwrap();
            tampered_set(d, images, hard_labels(&[0, 0, 1, 1]), &[])
        },
        expect: Kind::Shape,
        names: "synthetic images",
    },
    Case {
        name: "set file hard labels stored as f32",
        run: |d| {
            let labels = Tensor::new(&[0f32, 0., 1., 1.], &Device::Cpu).unwrap();
            tampered_set(d, images_2x2(), labels, &[])
        },
        expect: Kind::Format,
        names: "u32 vector",
    },
    Case {
        name: "set file hard label >= classes",
        run: |d| tampered_set(d, images_2x2(), hard_labels(&[0, 0, 1, 2]), &[]),
        expect: Kind::Label,
        names: "synthetic set",
    },
    Case {
        name: "set file class names of another count",
        run: |d| {
            tampered_set(
                d,
                images_2x2(),
                hard_labels(&[0, 0, 1, 1]),
                &[("class_names", r#"["a"]"#)],
            )
        },
        expect: Kind::Shape,
        names: "class names",
    },
    Case {
        name: "set file soft labels of the wrong width",
        run: |d| {
            let logits = Tensor::zeros((4, 3), DType::F32, &Device::Cpu).unwrap();
            tampered_set(d, images_2x2(), logits, &[("label_kind", "soft")])
        },
        expect: Kind::Shape,
        names: "soft labels",
    },
    Case {
        name: "set file with a NaN pixel",
        run: |d| tampered_set(d, images_with(0, f32::NAN), hard_labels(&[0, 0, 1, 1]), &[]),
        expect: Kind::Format,
        names: "non-finite",
    },
    Case {
        name: "set file with infinite pixels",
        run: |d| {
            let images = images_with(5, f32::INFINITY)
                .add(&images_with(23, f32::NEG_INFINITY))
                .unwrap();
            tampered_set(d, images, hard_labels(&[0, 0, 1, 1]), &[])
        },
        expect: Kind::Format,
        names: "2 non-finite values (first: inf at flat index 5)",
    },
    Case {
        name: "set file soft labels holding NaN",
        run: |d| {
            let mut logits = vec![0f32; 8];
            logits[3] = f32::NAN;
            let logits = Tensor::from_vec(logits, (4, 2), &Device::Cpu).unwrap();
            tampered_set(d, images_2x2(), logits, &[("label_kind", "soft")])
        },
        expect: Kind::Format,
        names: "\"labels\" holds 1 non-finite",
    },
];

/// Zero images of the 2×2 set with `value` at flat index `at`.
fn images_with(at: usize, value: f32) -> Tensor {
    let mut values = vec![0f32; 24];
    values[at] = value;
    Tensor::from_vec(values, (4, 1, 2, 3), &Device::Cpu).unwrap()
}

#[test]
fn malformed_inputs_give_typed_errors_naming_the_file_or_parameter() {
    let failures = failures(CASES);
    assert!(CASES.len() >= 30);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Writes one valid input per fuzz target under `$TRUSTDD_FUZZ_SEEDS/<target>/` (the layout
/// `cargo fuzz` reads as `fuzz/corpus`), so the fuzzers start from files that get past the
/// magic numbers. Run: `TRUSTDD_FUZZ_SEEDS=$PWD/fuzz/corpus cargo test -p trustdd-data --test
/// corpus -- --ignored write_fuzz_seeds`.
#[test]
#[ignore = "a tool, not a check: writes the fuzz seed corpus"]
fn write_fuzz_seeds() {
    let root = PathBuf::from(std::env::var("TRUSTDD_FUZZ_SEEDS").expect("TRUSTDD_FUZZ_SEEDS"));
    let put = |target: &str, name: &str, bytes: &[u8]| write(&root.join(target).join(name), bytes);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    good_idx(d, 3);
    let images = std::fs::read(d.join(IMG)).unwrap();
    let labels = std::fs::read(d.join(LAB)).unwrap();
    put("idx_images", "three", &images);
    put("idx_labels", "three", &labels);
    for (name, img, lab) in [
        ("raw", images.clone(), labels.clone()),
        ("gz", gzip(&images), gzip(&labels)),
    ] {
        let mut pair = (img.len() as u16).to_be_bytes().to_vec();
        pair.extend(&img);
        pair.extend(&lab);
        put("idx_gzip_pair", name, &pair);
    }
    write_cifar10_bin(&d.join("c10"), &[3], &[7; 3072]).unwrap();
    write_cifar100_bin(&d.join("c100"), &[1], &[4], &[7; 3072]).unwrap();
    put(
        "cifar_bin",
        "cifar10",
        &[&[0u8][..], &std::fs::read(d.join("c10")).unwrap()].concat(),
    );
    put(
        "cifar_bin",
        "cifar100",
        &[&[1u8][..], &std::fs::read(d.join("c100")).unwrap()].concat(),
    );
    put("image_decode", "png", &[&[2u8][..], &png4()].concat());
    put("image_decode", "jpeg", &[&[3u8][..], &jpeg4()].concat());
    let tiny = encode_png(ImageShape::new(1, 2, 2), &[1, 2, 3, 4]).unwrap();
    write_image_parquet(&d.join("p"), "image", &[tiny], &[("label", vec![1])]).unwrap();
    put(
        "image_parquet",
        "one_row",
        &std::fs::read(d.join("p")).unwrap(),
    );
    put("noise_label_file", "txt", b"\x001\n0\n2\n");
    let st = safetensors::serialize(vec![("labels", &hard_labels(&[1, 0, 2]))], None).unwrap();
    // Mode byte 4: `4 % 3 == 1` picks `.safetensors`, bit 2 names the tensor "labels" (the
    // former 5 gave `5 % 3 == 2`, so the fuzzer read this seed as a `.npy` file).
    put(
        "noise_label_file",
        "safetensors",
        &[&[4u8][..], &st].concat(),
    );
    put("synthetic_set", "2x2", &std::fs::read(good_set(d)).unwrap());
    put("class_map", "pairs", b"0:6, 6:0\n2:7");
    let point = |v: f32| Tensor::full(v, 6, &Device::Cpu).unwrap();
    let experts = Trajectories {
        experts: vec![vec![point(0.0), point(1.0)], vec![point(2.0), point(3.0)]],
    };
    let traj = d.join("experts.safetensors");
    save_trajectories(&traj, &experts).unwrap();
    put("trajectories", "2x2", &std::fs::read(&traj).unwrap());
    for (i, spec) in [
        "sym:0.4",
        "asym:0.2:cifar10",
        "map:0.3:0:6,6:0",
        "pair:0.1",
        "idn:0.4",
        "cifar10n:worse",
        "file:l.safetensors:y",
        "none",
    ]
    .iter()
    .enumerate()
    {
        put("noise_spec", &format!("spec{i}"), spec.as_bytes());
    }
}
