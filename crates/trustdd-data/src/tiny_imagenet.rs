//! Tiny ImageNet (200 classes of 64×64 RGB) in its distributed layout.
//!
//! `wnids.txt` lists the class WordNet ids, `words.txt` maps ids to names (tab-separated),
//! `train/<wnid>/images/*.JPEG` holds the training images and `val/images/*.JPEG` with
//! `val/val_annotations.txt` (`file<TAB>wnid<TAB>bbox…`) the labelled validation images.

use crate::bytes::{read_lines, read_text};
use crate::decode::decode_image_file;
use crate::folder::{empty_folder, sorted_images};
use crate::split::Split;
use crate::stats::tiny_imagenet_stats;
use std::collections::HashMap;
use std::path::Path;
use trustdd_core::{Error, ImageDataset, ImageShape, Preprocess, Result};

/// Shape of a Tiny ImageNet image.
pub const TINY_IMAGENET_SHAPE: ImageShape = ImageShape::new(3, 64, 64);

/// Loads Tiny ImageNet from `dir`. [`Split::Test`] reads the labelled validation split (the
/// official test split has no labels), as the dataset-distillation literature does.
///
/// Classes are the wnids of `wnids.txt` sorted by name, which is the order torchvision's
/// `ImageFolder` gives the reference code; class names are the `words.txt` entries (the wnid when
/// `words.txt` is absent or lacks it). Images are decoded as RGB (grey JPEGs are expanded) and
/// resized to 64×64 if needed. Normalised with [`crate::tiny_imagenet_stats`].
///
/// # Errors
/// [`Error::Io`] for a missing file or folder, [`Error::Format`] for an empty class folder, an
/// undecodable image, a malformed annotation line or an annotation naming an unknown wnid.
pub fn load_tiny_imagenet(dir: &Path, split: Split) -> Result<ImageDataset> {
    let mut wnids = read_lines(&dir.join("wnids.txt"))?;
    wnids.sort();
    wnids.dedup();
    if wnids.is_empty() {
        return Err(Error::format(
            dir.join("wnids.txt"),
            "Tiny ImageNet wnids",
            "no class id",
        ));
    }
    let words = read_words(&dir.join("words.txt"))?;
    let names = wnids
        .iter()
        .map(|w| words.get(w).cloned().unwrap_or_else(|| w.clone()))
        .collect();
    let index: HashMap<&str, u32> = wnids
        .iter()
        .enumerate()
        .map(|(i, w)| (w.as_str(), i as u32))
        .collect();
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    match split {
        Split::Train => {
            for (label, wnid) in wnids.iter().enumerate() {
                let img_dir = dir.join("train").join(wnid).join("images");
                let files = sorted_images(&img_dir)?;
                if files.is_empty() {
                    return Err(empty_folder(&img_dir, "image"));
                }
                for f in files {
                    pixels.extend(decode_image_file(&f, TINY_IMAGENET_SHAPE)?);
                    labels.push(label as u32);
                }
            }
        }
        Split::Test => {
            let ann = dir.join("val").join("val_annotations.txt");
            for (line_no, line) in read_text(&ann)?.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let mut cols = line.split('\t');
                let (file, wnid) = match (cols.next(), cols.next()) {
                    (Some(f), Some(w)) => (f.trim(), w.trim()),
                    _ => {
                        let why = format!("line {}: expected file<TAB>wnid", line_no + 1);
                        return Err(Error::format(&ann, "Tiny ImageNet annotations", why));
                    }
                };
                let label = *index.get(wnid).ok_or_else(|| {
                    let why = format!("line {}: wnid {wnid} is not in wnids.txt", line_no + 1);
                    Error::format(&ann, "Tiny ImageNet annotations", why)
                })?;
                let path = dir.join("val").join("images").join(file);
                pixels.extend(decode_image_file(&path, TINY_IMAGENET_SHAPE)?);
                labels.push(label);
            }
        }
    }
    ImageDataset::new("tiny-imagenet", TINY_IMAGENET_SHAPE, pixels, labels, names)?
        .with_preprocess(Preprocess::Normalize(tiny_imagenet_stats()))
}

/// `wnid → name` from `words.txt`; empty when the file is absent.
fn read_words(path: &Path) -> Result<HashMap<String, String>> {
    if !path.is_file() {
        return Ok(HashMap::new());
    }
    Ok(read_text(path)?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(w, n)| (w.trim().to_string(), n.trim().to_string()))
        .collect())
}
