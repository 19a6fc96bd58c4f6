//! An OOD dataset of another image shape made into the in-distribution shape, as the benchmark's
//! torchvision transforms do on Pillow images: `Resize(side)` (shorter side to the ID side,
//! bilinear, antialiased), `CenterCrop`, and the channel count converted.

use crate::resample::{resize_u8, Filter};
use trustdd_core::ImageShape;

/// One `C×H×W` byte image as the ID shape `to`:
///
/// 1. channels: 3 → 1 by Pillow's `convert("L")` (`(19595 R + 38470 G + 7471 B + 2¹⁵) >> 16`),
///    1 → 3 by repetition; any other mismatch keeps the first `to.channels` channels (repeating
///    the last one if there are fewer);
/// 2. `Resize`: the shorter side to `to`'s shorter side, the other to
///    `int(side · long / short)` (torchvision's rule), with Pillow's bilinear filter;
/// 3. `CenterCrop` to `to`: top `round((h − H)/2)`, left `round((w − W)/2)`.
pub fn to_shape(image: &[u8], from: ImageShape, to: ImageShape) -> Vec<u8> {
    let (h, w) = (from.height, from.width);
    let plane = h * w;
    let channel = |k: usize| &image[k * plane..(k + 1) * plane];
    let planes: Vec<Vec<u8>> = match (from.channels, to.channels) {
        (a, b) if a == b => (0..a).map(|k| channel(k).to_vec()).collect(),
        (3, 1) => vec![(0..plane)
            .map(|i| {
                let (r, g, b) = (channel(0)[i], channel(1)[i], channel(2)[i]);
                ((19595 * u32::from(r) + 38470 * u32::from(g) + 7471 * u32::from(b) + 0x8000) >> 16)
                    as u8
            })
            .collect()],
        (a, b) => (0..b).map(|k| channel(k.min(a - 1)).to_vec()).collect(),
    };
    let short = to.height.min(to.width);
    let (new_h, new_w) = if h <= w {
        (short, short * w / h)
    } else {
        (short * h / w, short)
    };
    let top = ((new_h - to.height.min(new_h)) as f64 / 2.0).round() as usize;
    let left = ((new_w - to.width.min(new_w)) as f64 / 2.0).round() as usize;
    let mut out = Vec::with_capacity(to.numel());
    for p in &planes {
        let resized = resize_u8(p, (w, h), (new_w, new_h), Filter::Bilinear);
        for r in 0..to.height {
            for c in 0..to.width {
                // A crop larger than the resized image (only for non-square IDs) repeats edges.
                let rr = (top + r).min(new_h - 1);
                let cc = (left + c).min(new_w - 1);
                out.push(resized[rr * new_w + cc]);
            }
        }
    }
    out
}
