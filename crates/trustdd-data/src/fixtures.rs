//! Writers of small files in every supported format. **For tests**: they let tests (here and in
//! downstream crates) build datasets on disk and check that the loaders read them back.

use crate::hub::hub_cache_path;
use flate2::{write::GzEncoder, Compression};
use image::ImageFormat;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use trustdd_core::{write_atomic, Error, ImageShape, Result};

/// Creates the parent folder, then writes atomically like every other output of trustdd.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    write_atomic(path, bytes)
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Writes an IDX image file of `pixels.len() / (rows·cols)` grey images, gzip when `gz`.
pub fn write_idx_images(
    path: &Path,
    rows: usize,
    cols: usize,
    pixels: &[u8],
    gz: bool,
) -> Result<()> {
    let count = pixels.len() / (rows * cols).max(1);
    let mut out = crate::idx::IDX_IMAGES_MAGIC.to_be_bytes().to_vec();
    for d in [count, rows, cols] {
        out.extend((d as u32).to_be_bytes());
    }
    out.extend_from_slice(pixels);
    write(path, &if gz { gzip(&out) } else { out })
}

/// Writes an IDX label file, gzip when `gz`.
pub fn write_idx_labels(path: &Path, labels: &[u8], gz: bool) -> Result<()> {
    let mut out = crate::idx::IDX_LABELS_MAGIC.to_be_bytes().to_vec();
    out.extend((labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    write(path, &if gz { gzip(&out) } else { out })
}

/// Writes a CIFAR-10 binary batch: per image 1 label byte + its 3072 planar pixels.
pub fn write_cifar10_bin(path: &Path, labels: &[u8], pixels: &[u8]) -> Result<()> {
    let out: Vec<u8> = labels
        .iter()
        .zip(pixels.chunks_exact(3072))
        .flat_map(|(&l, img)| std::iter::once(l).chain(img.iter().copied()))
        .collect();
    write(path, &out)
}

/// Writes a CIFAR-100 binary file: per image coarse label, fine label, 3072 planar pixels.
pub fn write_cifar100_bin(path: &Path, coarse: &[u8], fine: &[u8], pixels: &[u8]) -> Result<()> {
    let mut out = Vec::with_capacity(fine.len() * 3074);
    for ((&c, &f), img) in coarse.iter().zip(fine).zip(pixels.chunks_exact(3072)) {
        out.push(c);
        out.push(f);
        out.extend_from_slice(img);
    }
    write(path, &out)
}

/// Writes one name per line.
pub fn write_lines(path: &Path, lines: &[&str]) -> Result<()> {
    write(path, lines.join("\n").as_bytes())
}

/// Encodes planar `C×H×W` pixels (C = 1 or 3) in `format` (PNG or JPEG).
///
/// # Errors
/// [`Error::InvalidParameter`] for another channel count or a pixel count not matching `shape`.
pub fn encode_image(shape: ImageShape, chw: &[u8], format: ImageFormat) -> Result<Vec<u8>> {
    if chw.len() != shape.numel() || !(shape.channels == 1 || shape.channels == 3) {
        return Err(Error::invalid(
            "fixture image",
            shape,
            "1 or 3 channels, matching pixels",
        ));
    }
    let hw = shape.height * shape.width;
    let interleaved: Vec<u8> = (0..hw)
        .flat_map(|i| (0..shape.channels).map(move |c| chw[c * hw + i]))
        .collect();
    let (w, h) = (shape.width as u32, shape.height as u32);
    let img = if shape.channels == 1 {
        image::GrayImage::from_raw(w, h, interleaved).map(image::DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, interleaved).map(image::DynamicImage::ImageRgb8)
    };
    let img = img.ok_or_else(|| Error::invalid("fixture image", shape, "a consistent size"))?;
    let mut buf = Cursor::new(Vec::new());
    img.write_to(&mut buf, format)
        .map_err(|e| Error::invalid("fixture image encoding", e, "an encodable image"))?;
    Ok(buf.into_inner())
}

/// Encodes planar pixels as PNG.
pub fn encode_png(shape: ImageShape, chw: &[u8]) -> Result<Vec<u8>> {
    encode_image(shape, chw, ImageFormat::Png)
}

/// Writes planar pixels as an image file whose format follows the extension (png/jpg/jpeg).
pub fn write_image(path: &Path, shape: ImageShape, chw: &[u8]) -> Result<()> {
    let format = ImageFormat::from_path(path)
        .map_err(|e| Error::invalid("fixture image path", path.display(), e.to_string()))?;
    write(path, &encode_image(shape, chw, format)?)
}

/// Writes a parquet file laid out like the hub's image datasets: an optional struct column
/// `image_column {bytes: binary, path: string}` holding `images`, then one optional int64
/// column per `(name, values)` pair, snappy-compressed.
pub fn write_image_parquet(
    path: &Path,
    image_column: &str,
    images: &[Vec<u8>],
    labels: &[(&str, Vec<i64>)],
) -> Result<()> {
    crate::parquet_fixture::write(path, image_column, images, labels)
}

/// Places `bytes` as `file` of dataset `repo` in a hub cache at `cache_dir`, exactly as hf-hub
/// lays it out (`snapshots/<rev>/<file>` and `refs/main` = `<rev>`); returns the file's path.
pub fn put_in_hub_cache(cache_dir: &Path, repo: &str, file: &str, bytes: &[u8]) -> Result<PathBuf> {
    const REV: &str = "0123456789abcdef0123456789abcdef01234567";
    let target = hub_cache_path(cache_dir, repo, REV, file);
    write(&target, bytes)?;
    let refs = hub_cache_path(cache_dir, repo, REV, "")
        .parent()
        .and_then(Path::parent)
        .map(|repo_dir| repo_dir.join("refs").join("main"))
        .ok_or_else(|| Error::invalid("hub cache", cache_dir.display(), "a writable folder"))?;
    write(&refs, REV.as_bytes())?;
    Ok(target)
}
