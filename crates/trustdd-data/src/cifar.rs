//! CIFAR-10 and CIFAR-100 in their binary ("version for C programs") layout.
//!
//! CIFAR-10 records are 1 label byte + 3072 pixel bytes (R, G, B planes of 32×32); CIFAR-100
//! records are 1 coarse label byte + 1 fine label byte + 3072 pixel bytes.

use crate::bytes::{read_lines, read_maybe_gzip};
use crate::classes::{to_names, CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR10_CLASSES};
use crate::split::Split;
use crate::stats::{cifar100_stats, cifar10_stats};
use std::path::{Path, PathBuf};
use trustdd_core::{check_labels, Error, ImageDataset, ImageShape, Preprocess, Result};

/// Shape of a CIFAR image.
pub const CIFAR_SHAPE: ImageShape = ImageShape::new(3, 32, 32);

/// Which CIFAR-100 labels become the dataset's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cifar100Labels {
    /// The 100 fine classes.
    Fine,
    /// The 20 superclasses.
    Coarse,
}

/// A CIFAR-100 split with the map from fine classes to superclasses.
#[derive(Debug, Clone)]
pub struct Cifar100 {
    /// The images, labelled as requested.
    pub dataset: ImageDataset,
    /// `fine_to_coarse[fine] = coarse`, read from the records (every fine class seen maps to a
    /// single superclass; unseen fine classes take the official map).
    pub fine_to_coarse: Vec<u32>,
    /// Fine label of every image (whatever labels the dataset uses).
    pub fine_labels: Vec<u32>,
    /// Coarse label of every image.
    pub coarse_labels: Vec<u32>,
}

/// Label bytes and pixels of the records of one file.
struct Records {
    labels: Vec<Vec<u8>>,
    pixels: Vec<u8>,
}

/// Splits a CIFAR binary file into records of `label_bytes` labels + 3072 pixels.
fn parse_records(
    data: &[u8],
    path: &Path,
    label_bytes: usize,
    format: &'static str,
) -> Result<Records> {
    let record = label_bytes + CIFAR_SHAPE.numel();
    if data.is_empty() || data.len() % record != 0 {
        return Err(Error::format(
            path,
            format,
            format!(
                "length {} is not a positive multiple of the record length {record} \
                 ({label_bytes} label byte(s) + 3072 pixels)",
                data.len()
            ),
        ));
    }
    let n = data.len() / record;
    let mut labels = vec![Vec::with_capacity(n); label_bytes];
    let mut pixels = Vec::with_capacity(n * CIFAR_SHAPE.numel());
    for rec in data.chunks_exact(record) {
        for (k, l) in labels.iter_mut().enumerate() {
            l.push(rec[k]);
        }
        pixels.extend_from_slice(&rec[label_bytes..]);
    }
    Ok(Records { labels, pixels })
}

/// `dir` itself, or its `sub` folder when the archive was extracted with its top folder.
fn data_root(dir: &Path, sub: &str) -> PathBuf {
    let nested = dir.join(sub);
    if nested.is_dir() {
        nested
    } else {
        dir.to_path_buf()
    }
}

/// Class names from `file` when it exists, else the standard list.
fn names_or_default(file: &Path, default: &[&str]) -> Result<Vec<String>> {
    if file.is_file() {
        read_lines(file)
    } else {
        Ok(to_names(default))
    }
}

fn to_u32(v: Vec<u8>) -> Vec<u32> {
    v.into_iter().map(u32::from).collect()
}

/// CIFAR-10 from `dir` (or `dir/cifar-10-batches-bin`): `data_batch_1..5.bin` for the training
/// split, `test_batch.bin` for the test split, class names from `batches.meta.txt` (the standard
/// names when that file is absent). Files may be gzip. Normalised with [`crate::cifar10_stats`].
///
/// # Errors
/// [`Error::Io`] for a missing file, [`Error::Format`] for a length that is not a whole number of
/// 3073-byte records, [`Error::LabelOutOfRange`] naming the file for a label ≥ the class count.
pub fn load_cifar10(dir: &Path, split: Split) -> Result<ImageDataset> {
    let root = data_root(dir, "cifar-10-batches-bin");
    let files: Vec<PathBuf> = match split {
        Split::Train => (1..=5)
            .map(|i| root.join(format!("data_batch_{i}.bin")))
            .collect(),
        Split::Test => vec![root.join("test_batch.bin")],
    };
    let classes = names_or_default(&root.join("batches.meta.txt"), &CIFAR10_CLASSES)?;
    let mut labels = Vec::new();
    let mut pixels = Vec::new();
    for f in &files {
        let mut rec = parse_records(&read_maybe_gzip(f)?, f, 1, "CIFAR-10 binary")?;
        let l = to_u32(rec.labels.remove(0));
        check_labels(&l, classes.len(), &f.display().to_string())?;
        labels.extend(l);
        pixels.extend(rec.pixels);
    }
    ImageDataset::new("cifar10", CIFAR_SHAPE, pixels, labels, classes)?
        .with_preprocess(Preprocess::Normalize(cifar10_stats()))
}

/// CIFAR-100 from `dir` (or `dir/cifar-100-binary`): `train.bin` / `test.bin`, names from
/// `fine_label_names.txt` and `coarse_label_names.txt` (standard names when absent). Normalised
/// with [`crate::cifar100_stats`].
///
/// # Errors
/// As [`load_cifar10`] with 3074-byte records; [`Error::Format`] when one fine class appears
/// under two superclasses.
pub fn load_cifar100(dir: &Path, split: Split, labels: Cifar100Labels) -> Result<Cifar100> {
    let root = data_root(dir, "cifar-100-binary");
    let file = root.join(match split {
        Split::Train => "train.bin",
        Split::Test => "test.bin",
    });
    let fine_names = names_or_default(&root.join("fine_label_names.txt"), &CIFAR100_FINE_CLASSES)?;
    let coarse_names = names_or_default(
        &root.join("coarse_label_names.txt"),
        &CIFAR100_COARSE_CLASSES,
    )?;
    let mut rec = parse_records(&read_maybe_gzip(&file)?, &file, 2, "CIFAR-100 binary")?;
    let fine = to_u32(rec.labels.remove(1));
    let coarse = to_u32(rec.labels.remove(0));
    let context = file.display().to_string();
    check_labels(&fine, fine_names.len(), &format!("{context} fine labels"))?;
    check_labels(
        &coarse,
        coarse_names.len(),
        &format!("{context} coarse labels"),
    )?;
    let fine_to_coarse = fine_to_coarse_map(&fine, &coarse, fine_names.len(), &file)?;
    let (chosen, names) = match labels {
        Cifar100Labels::Fine => (fine.clone(), fine_names),
        Cifar100Labels::Coarse => (coarse.clone(), coarse_names),
    };
    let dataset = ImageDataset::new("cifar100", CIFAR_SHAPE, rec.pixels, chosen, names)?
        .with_preprocess(Preprocess::Normalize(cifar100_stats()))?;
    Ok(Cifar100 {
        dataset,
        fine_to_coarse,
        fine_labels: fine,
        coarse_labels: coarse,
    })
}

/// The fine→coarse map seen in the data, completed with the official map for unseen classes.
///
/// # Errors
/// [`Error::Format`] naming `path` when a fine class appears with two superclasses.
pub fn fine_to_coarse_map(
    fine: &[u32],
    coarse: &[u32],
    num_fine: usize,
    path: &Path,
) -> Result<Vec<u32>> {
    let mut seen: Vec<Option<u32>> = vec![None; num_fine];
    for (&f, &c) in fine.iter().zip(coarse) {
        match seen[f as usize] {
            Some(prev) if prev != c => {
                return Err(Error::format(
                    path,
                    "CIFAR-100",
                    format!("fine class {f} appears under superclasses {prev} and {c}"),
                ))
            }
            _ => seen[f as usize] = Some(c),
        }
    }
    let official = &crate::classes::CIFAR100_FINE_TO_COARSE;
    Ok(seen
        .into_iter()
        .enumerate()
        .map(|(f, c)| c.unwrap_or_else(|| official.get(f).copied().unwrap_or(0)))
        .collect())
}
