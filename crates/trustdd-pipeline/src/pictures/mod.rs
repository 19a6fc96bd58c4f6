//! The run\'s pictures, drawn with plotters into an RGB buffer and encoded as PNG: `ood.png`
//! ([`ood_picture`]) and `partition.png` ([`partition_picture`]). Text uses DejaVu Sans,
//! embedded, so a picture needs no system font and is the same bytes on every machine.

mod ood;
mod partition;

pub use ood::ood_picture;
pub use partition::partition_picture;

use plotters::prelude::*;
use plotters::style::FontStyle;
use std::sync::Once;
use trustdd_core::{Error, Result};

/// Series colours (matplotlib's tab10 order, without blue and cyan).
const COLOURS: [RGBColor; 8] = [
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
];

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Registration only fails for a malformed font, and this one is fixed.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

/// Maps a plotters error to the crate\'s, naming the picture.
fn drawing<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> Error {
    move |e| Error::invalid(what, e, "a drawable chart")
}

/// A white `size` picture drawn by `draw`, as PNG bytes.
fn render(
    what: &'static str,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<Vec<u8>> {
    register_font();
    let (w, h) = size;
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing(what))?;
        draw(&root)?;
        root.present().map_err(drawing(what))?;
    }
    let image = image::RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| Error::invalid(what, "buffer too small", "w·h·3 bytes"))?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Error::invalid(what, e, "encodable as PNG"))?;
    Ok(png)
}
