//! Image folders: `root/<class>/*.png|jpg|jpeg`, one subfolder per class.

use crate::decode::{check_channels, decode_image_file};
use std::path::{Path, PathBuf};
use trustdd_core::{Error, ImageDataset, ImageShape, Result};

/// Sorted subdirectories of `dir`.
///
/// # Errors
/// [`Error::Io`] when `dir` cannot be listed.
pub fn sorted_subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Sorted image files of `dir` (extensions png, jpg, jpeg in any case).
///
/// # Errors
/// [`Error::Io`] when `dir` cannot be listed.
pub fn sorted_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        if path.is_file() && matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg")) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The error for a folder that should hold something and holds nothing.
pub(crate) fn empty_folder(dir: &Path, what: &str) -> Error {
    Error::format(dir, "image folder", format!("no {what} found"))
}

/// Loads `root/<class>/*.png|jpg|jpeg`: classes are the subfolder names sorted by name (label
/// `k` is the `k`-th), images within a class are read in file-name order. Each image becomes grey
/// (`channels == 1`) or RGB (`channels == 3`) and is resized to `height×width` with
/// `image::imageops::resize` and the Triangle (bilinear) filter when its size differs.
///
/// The dataset is named `folder:<root>` and keeps identity normalisation.
///
/// # Errors
/// [`Error::Io`] when `root` cannot be read, [`Error::Format`] naming the folder when `root` has
/// no class subfolder or a class has no image, or naming the file when an image does not decode,
/// [`Error::InvalidParameter`] for `channels` other than 1 or 3 or a zero size.
pub fn load_image_folder(
    root: &Path,
    channels: usize,
    height: usize,
    width: usize,
) -> Result<ImageDataset> {
    check_channels(channels)?;
    let shape = ImageShape::new(channels, height, width);
    if shape.numel() == 0 {
        return Err(Error::invalid(
            "image folder size",
            format!("{height}x{width}"),
            "non-zero",
        ));
    }
    let classes = sorted_subdirs(root)?;
    if classes.is_empty() {
        return Err(empty_folder(root, "class subfolder"));
    }
    let mut names = Vec::with_capacity(classes.len());
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (label, dir) in classes.iter().enumerate() {
        let files = sorted_images(dir)?;
        if files.is_empty() {
            return Err(empty_folder(dir, "png/jpg/jpeg image"));
        }
        for f in &files {
            pixels.extend(decode_image_file(f, shape)?);
            labels.push(label as u32);
        }
        names.push(
            dir.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into()),
        );
    }
    ImageDataset::new(
        format!("folder:{}", root.display()),
        shape,
        pixels,
        labels,
        names,
    )
}
