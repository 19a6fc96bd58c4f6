//! IDX files: MNIST, Fashion-MNIST and Kuzushiji-MNIST, raw or gzip.
//!
//! An IDX file is a big-endian header (magic `0x0000_08TT` where `08` means u8 data, then one
//! u32 count per dimension) followed by the data. Images use 3 dimensions (count, rows, columns),
//! labels one.

use crate::bytes::{decode_maybe_gzip, read_maybe_gzip};
use crate::classes::{to_names, FASHION_MNIST_CLASSES, KMNIST_CLASSES, MNIST_CLASSES};
use crate::split::Split;
use crate::stats::{fashion_mnist_stats, kmnist_stats, mnist_stats};
use std::path::{Path, PathBuf};
use trustdd_core::Result;
use trustdd_core::{check_labels, Error, ImageDataset, ImageShape, Normalization, Preprocess};

/// Magic of an IDX file of u8 values with 3 dimensions (images).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic of an IDX file of u8 values with 1 dimension (labels).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// Images decoded from an IDX file: `count` grey images of `rows×cols`, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count·rows·cols` pixels.
    pub pixels: Vec<u8>,
}

/// Parses the payload of an IDX image file (already un-gzipped); `path` names it in errors.
///
/// # Errors
/// [`Error::Format`] for a wrong magic, a payload shorter or longer than the header declares, or
/// a declared size that overflows `usize`.
pub fn parse_idx_images(data: &[u8], path: &Path) -> Result<IdxImages> {
    let dims = parse_header(data, path, IDX_IMAGES_MAGIC, "IDX images")?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    // Three u32 sizes can overflow even a 64-bit product.
    let declared = count
        .checked_mul(rows)
        .and_then(|n| n.checked_mul(cols))
        .ok_or_else(|| {
            let why = format!("header declares {count}×{rows}×{cols} bytes, more than addressable");
            Error::format(path, "IDX images", why)
        })?;
    let pixels = take_payload(data, 16, declared, path, "IDX images")?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels,
    })
}

/// Parses the payload of an IDX label file (already un-gzipped).
///
/// # Errors
/// [`Error::Format`] for a wrong magic or a length that disagrees with the header.
pub fn parse_idx_labels(data: &[u8], path: &Path) -> Result<Vec<u8>> {
    let dims = parse_header(data, path, IDX_LABELS_MAGIC, "IDX labels")?;
    take_payload(data, 8, dims[0], path, "IDX labels")
}

/// Checks the magic and returns the dimension sizes it announces.
fn parse_header(data: &[u8], path: &Path, magic: u32, format: &'static str) -> Result<Vec<usize>> {
    let ndim = (magic & 0xff) as usize;
    let header = 4 + 4 * ndim;
    if data.len() < header {
        return Err(Error::format(
            path,
            format,
            format!("truncated header: {} bytes, expected {header}", data.len()),
        ));
    }
    let word = |i: usize| u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
    let found = word(0);
    if found != magic {
        return Err(Error::format(
            path,
            format,
            format!("bad magic 0x{found:08x}, expected 0x{magic:08x} (u8 data, {ndim} dimensions)"),
        ));
    }
    Ok((0..ndim).map(|d| word(4 + 4 * d) as usize).collect())
}

fn take_payload(
    data: &[u8],
    header: usize,
    declared: usize,
    path: &Path,
    format: &'static str,
) -> Result<Vec<u8>> {
    let actual = data.len() - header;
    if actual != declared {
        let what = if actual < declared {
            "truncated"
        } else {
            "trailing bytes"
        };
        return Err(Error::format(
            path,
            format,
            format!("{what}: header declares {declared} data bytes, file holds {actual}"),
        ));
    }
    Ok(data[header..].to_vec())
}

/// Loads an image file and a label file (each raw or gzip) into a grey dataset named after the
/// image file.
///
/// # Errors
/// [`Error::Io`] for an unreadable file, [`Error::Format`] for a malformed one,
/// [`Error::ShapeMismatch`] when the files hold different numbers of items,
/// [`Error::LabelOutOfRange`] for a label ≥ `class_names.len()`.
pub fn load_idx_pair(
    images_path: &Path,
    labels_path: &Path,
    class_names: Vec<String>,
) -> Result<ImageDataset> {
    let images = parse_idx_images(&read_maybe_gzip(images_path)?, images_path)?;
    let labels = parse_idx_labels(&read_maybe_gzip(labels_path)?, labels_path)?;
    let name = images_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    idx_dataset(images, labels, images_path, labels_path, name, class_names)
}

/// Same as [`load_idx_pair`] on in-memory file contents (raw or gzip); the paths only name the
/// sources in errors.
pub fn load_idx_bytes(
    images: (&[u8], &Path),
    labels: (&[u8], &Path),
    name: &str,
    class_names: Vec<String>,
) -> Result<ImageDataset> {
    let img = parse_idx_images(&decode_maybe_gzip(images.0.to_vec(), images.1)?, images.1)?;
    let lab = parse_idx_labels(&decode_maybe_gzip(labels.0.to_vec(), labels.1)?, labels.1)?;
    idx_dataset(img, lab, images.1, labels.1, name.to_string(), class_names)
}

fn idx_dataset(
    images: IdxImages,
    labels: Vec<u8>,
    images_path: &Path,
    labels_path: &Path,
    name: String,
    class_names: Vec<String>,
) -> Result<ImageDataset> {
    if labels.len() != images.count {
        return Err(Error::shape(
            format!("{} vs {}", labels_path.display(), images_path.display()),
            format!("{} labels (one per image)", images.count),
            format!("{} labels", labels.len()),
        ));
    }
    let labels: Vec<u32> = labels.into_iter().map(u32::from).collect();
    check_labels(
        &labels,
        class_names.len(),
        &labels_path.display().to_string(),
    )?;
    let shape = ImageShape::new(1, images.rows, images.cols);
    ImageDataset::new(name, shape, images.pixels, labels, class_names)
}

/// The image and label paths of a split in the standard layout (`train-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, each optionally `.gz`; the gzip name is preferred when both exist).
///
/// # Errors
/// [`Error::Io`] (not found) naming the missing file when neither variant exists.
pub fn idx_split_paths(dir: &Path, split: Split) -> Result<(PathBuf, PathBuf)> {
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let find = |stem: String| -> Result<PathBuf> {
        let gz = dir.join(format!("{stem}.gz"));
        let raw = dir.join(&stem);
        if gz.is_file() {
            Ok(gz)
        } else if raw.is_file() {
            Ok(raw)
        } else {
            let msg = format!("neither {stem} nor {stem}.gz exists in {}", dir.display());
            Err(Error::io(
                raw,
                std::io::Error::new(std::io::ErrorKind::NotFound, msg),
            ))
        }
    };
    Ok((
        find(format!("{prefix}-images-idx3-ubyte"))?,
        find(format!("{prefix}-labels-idx1-ubyte"))?,
    ))
}

/// Loads a 28×28 MNIST-family split from `dir` and attaches its published statistics.
fn load_mnist_family(
    dir: &Path,
    split: Split,
    name: &str,
    classes: &[&str],
    stats: Normalization,
) -> Result<ImageDataset> {
    let (images, labels) = idx_split_paths(dir, split)?;
    let ds = load_idx_pair(&images, &labels, to_names(classes))?;
    let expected = ImageShape::new(1, 28, 28);
    if ds.shape() != expected {
        return Err(Error::shape(
            format!("{name} images in {}", images.display()),
            expected,
            ds.shape(),
        ));
    }
    ds.with_name(name)
        .with_preprocess(Preprocess::Normalize(stats))
}

/// MNIST from `dir` (standard IDX file names), normalised with [`crate::mnist_stats`].
///
/// # Errors
/// As [`load_idx_pair`], plus [`Error::ShapeMismatch`] when the images are not 28×28.
pub fn load_mnist(dir: &Path, split: Split) -> Result<ImageDataset> {
    load_mnist_family(dir, split, "mnist", &MNIST_CLASSES, mnist_stats())
}

/// Fashion-MNIST from `dir` (standard IDX file names), normalised with
/// [`crate::fashion_mnist_stats`].
///
/// # Errors
/// As [`load_mnist`].
pub fn load_fashion_mnist(dir: &Path, split: Split) -> Result<ImageDataset> {
    load_mnist_family(
        dir,
        split,
        "fashion-mnist",
        &FASHION_MNIST_CLASSES,
        fashion_mnist_stats(),
    )
}

/// Kuzushiji-MNIST from `dir` (standard IDX file names), normalised with
/// [`crate::kmnist_stats`].
///
/// # Errors
/// As [`load_mnist`].
pub fn load_kmnist(dir: &Path, split: Split) -> Result<ImageDataset> {
    load_mnist_family(dir, split, "kmnist", &KMNIST_CLASSES, kmnist_stats())
}
