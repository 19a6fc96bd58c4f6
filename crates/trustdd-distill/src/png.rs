//! A picture of a synthetic set: one row per class, one column per image.

use crate::Result;
use candle_core::{DType, Device};
use image::ImageEncoder;
use std::path::Path;
use trustdd_core::{write_atomic, Preprocess, SyntheticSet};

/// Writes a PNG grid of `set` to `path` atomically: class `c` fills row `c`, its `ipc` images the
/// columns, no gaps, so the picture is `(ipc·W) × (classes·H)` pixels. Images are mapped back to
/// pixels with `preprocess.invert` (undoing ZCA and normalisation) and clamped to [0, 1].
/// One-channel sets give a grey PNG, three-channel sets an RGB one.
///
/// # Errors
/// An invalid-parameter error for other channel counts; encoding and I/O errors.
pub fn save_png_grid(path: &Path, set: &SyntheticSet, preprocess: &Preprocess) -> Result<()> {
    let (n, c, h, w) = set.images.dims4()?;
    let color = match c {
        1 => image::ExtendedColorType::L8,
        3 => image::ExtendedColorType::Rgb8,
        _ => {
            return Err(trustdd_core::Error::invalid(
                "PNG grid channels",
                c,
                "1 or 3",
            ))
        }
    };
    let pixels = preprocess
        .invert(
            &set.images
                .as_tensor()
                .to_dtype(DType::F32)?
                .to_device(&Device::Cpu)?,
        )?
        .clamp(0f32, 1f32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let (rows, cols) = (set.num_classes, set.ipc);
    let (width, height) = (cols * w, rows * h);
    let mut out = vec![0u8; width * height * c];
    for k in 0..n.min(rows * cols) {
        let (row, col) = (k / cols, k % cols);
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    let v = pixels[((k * c + ch) * h + y) * w + x];
                    let (py, px) = (row * h + y, col * w + x);
                    out[(py * width + px) * c + ch] = (v * 255.0).round() as u8;
                }
            }
        }
    }
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(&out, width as u32, height as u32, color)
        .map_err(|e| trustdd_core::Error::invalid("PNG encoding", e, "an encodable image"))?;
    write_atomic(path, &bytes)?;
    Ok(())
}
