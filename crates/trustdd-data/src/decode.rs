//! Decoding PNG/JPEG images into `C×H×W` u8 pixels.

use image::imageops::{resize, FilterType};
use image::{DynamicImage, ImageBuffer, ImageReader, Pixel};
use std::io::Cursor;
use std::path::Path;
use trustdd_core::{Error, ImageShape, Result};

/// Decodes the file at `path` (PNG or JPEG, recognised by content) to `shape`.
///
/// Colour is converted to grey (`channels == 1`, Rec. 709 luma as the `image` crate does) or RGB
/// (`channels == 3`, alpha dropped). An image of another size is resized with
/// `image::imageops::resize` and the Triangle (bilinear) filter.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read, [`Error::Format`] when it does not decode,
/// [`Error::InvalidParameter`] when `shape.channels` is neither 1 nor 3.
pub fn decode_image_file(path: &Path, shape: ImageShape) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_image_bytes(&raw, path, shape, true)
}

/// Decodes in-memory PNG/JPEG bytes (`source` names them in errors) to `shape`; with
/// `allow_resize == false` an image of another size is an [`Error::ShapeMismatch`].
///
/// # Errors
/// As [`decode_image_file`].
pub fn decode_image_bytes(
    raw: &[u8],
    source: &Path,
    shape: ImageShape,
    allow_resize: bool,
) -> Result<Vec<u8>> {
    check_channels(shape.channels)?;
    let bad = |e: image::ImageError| Error::format(source, "image", e.to_string());
    let reader = || {
        ImageReader::new(Cursor::new(raw))
            .with_guessed_format()
            .map_err(|e| Error::io(source, e))
    };
    // The header alone says the size: a mismatch, or a small file declaring a huge image
    // (the fuzzer found a 653-byte JPEG that claims 63,235 × 516), is refused before decoding.
    let (w, h) = reader()?.into_dimensions().map_err(bad)?;
    let (w, h) = (w as usize, h as usize);
    if !allow_resize && (h, w) != (shape.height, shape.width) {
        return Err(Error::shape(
            format!("image {}", source.display()),
            format!("{}x{}", shape.height, shape.width),
            format!("{h}x{w}"),
        ));
    }
    if w.saturating_mul(h) > MAX_DECODED_PIXELS {
        return Err(Error::format(
            source,
            "image",
            format!("declares {w}x{h} pixels, more than the {MAX_DECODED_PIXELS} trustdd decodes"),
        ));
    }
    let img = reader()?.decode().map_err(bad)?;
    Ok(to_chw(img, shape))
}

/// The most pixels one image may declare (8192 × 8192): far above any dataset trustdd reads,
/// far below what would let a tiny file exhaust memory or time.
pub const MAX_DECODED_PIXELS: usize = 1 << 26;

/// Validates a channel count for decoding.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `channels` is 1 or 3.
pub fn check_channels(channels: usize) -> Result<()> {
    if channels == 1 || channels == 3 {
        Ok(())
    } else {
        Err(Error::invalid("channels", channels, "1 (grey) or 3 (RGB)"))
    }
}

fn to_chw(img: DynamicImage, shape: ImageShape) -> Vec<u8> {
    if shape.channels == 1 {
        planar(&fit(img.to_luma8(), shape), 1)
    } else {
        planar(&fit(img.to_rgb8(), shape), 3)
    }
}

/// Resizes to `shape` when needed (Triangle filter).
fn fit<P: Pixel<Subpixel = u8> + 'static>(
    img: ImageBuffer<P, Vec<u8>>,
    shape: ImageShape,
) -> ImageBuffer<P, Vec<u8>> {
    let (w, h) = (shape.width as u32, shape.height as u32);
    if img.dimensions() == (w, h) {
        img
    } else {
        resize(&img, w, h, FilterType::Triangle)
    }
}

/// Interleaved `H×W×C` to planar `C×H×W`.
fn planar<P: Pixel<Subpixel = u8>>(img: &ImageBuffer<P, Vec<u8>>, c: usize) -> Vec<u8> {
    let hw = (img.width() * img.height()) as usize;
    let raw = img.as_raw();
    let mut out = vec![0u8; c * hw];
    for (i, px) in raw.chunks_exact(c).enumerate() {
        for (ch, &v) in px.iter().enumerate() {
            out[ch * hw + i] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::encode_png;

    #[test]
    fn png_round_trips_to_planar_and_converts_to_grey() {
        // 2x2 RGB: red, green / blue, white, planar.
        let chw = vec![255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255];
        let png = encode_png(ImageShape::new(3, 2, 2), &chw).unwrap();
        let p = Path::new("mem.png");
        assert_eq!(
            decode_image_bytes(&png, p, ImageShape::new(3, 2, 2), false).unwrap(),
            chw
        );
        // Grey uses the Rec. 709 luma weights 0.2126 R + 0.7152 G + 0.0722 B (image 0.25 docs):
        // red 54.2, green 182.4, blue 18.4, white 255.
        let g = decode_image_bytes(&png, p, ImageShape::new(1, 2, 2), false).unwrap();
        for (got, want) in g.iter().zip([54.2f32, 182.4, 18.4, 255.0]) {
            assert!((*got as f32 - want).abs() <= 1.0, "{g:?}");
        }
        // A uniform image stays uniform through the Triangle resize.
        let flat = encode_png(ImageShape::new(1, 3, 5), &[77; 15]).unwrap();
        let r = decode_image_bytes(&flat, p, ImageShape::new(1, 4, 4), true).unwrap();
        assert_eq!(r, vec![77; 16]);
        assert!(matches!(
            decode_image_bytes(&flat, p, ImageShape::new(1, 4, 4), false),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            decode_image_bytes(b"not a png", p, ImageShape::new(1, 4, 4), true),
            Err(Error::Format { .. })
        ));
    }
}
