//! Image resizing exactly as Pillow does it on 8-bit images (`Image.resize` with `BOX` or
//! `BILINEAR`), which is what the official TrustDD corruptions (pixelate) and the OOD benchmark's
//! `transforms.Resize` compute. Our own implementation of Pillow's published algorithm
//! (`libImaging/Resample.c`): separable, horizontal pass first, each output pixel a normalised
//! filter over the input pixels its footprint covers (antialiased when shrinking), weights in
//! 22-bit fixed point, every pass rounded to `u8`. Tested against Pillow's own output.

/// The reconstruction filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Pillow's `BOX`: each output pixel averages the input pixels its box covers.
    Box,
    /// Pillow's `BILINEAR`: a triangle filter, widened by the scale when shrinking.
    Bilinear,
}

impl Filter {
    fn support(self) -> f64 {
        match self {
            Filter::Box => 0.5,
            Filter::Bilinear => 1.0,
        }
    }

    fn weight(self, x: f64) -> f64 {
        match self {
            Filter::Box => f64::from(u8::from(x > -0.5 && x <= 0.5)),
            Filter::Bilinear => (1.0 - x.abs()).max(0.0),
        }
    }
}

/// Fixed-point bits of the weights (Pillow's `PRECISION_BITS` for 8-bit images).
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// For every output index: the first input index and the fixed-point weights from there.
fn coefficients(in_size: usize, out_size: usize, filter: Filter) -> Vec<(usize, Vec<i64>)> {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = filter.support() * filter_scale;
    (0..out_size)
        .map(|o| {
            let center = (o as f64 + 0.5) * scale;
            // C's `(int)` truncates toward zero; the clamps make that a floor here.
            let lo = ((center - support + 0.5) as i64).max(0) as usize;
            let hi = ((center + support + 0.5) as i64).clamp(0, in_size as i64) as usize;
            let raw: Vec<f64> = (lo..hi)
                .map(|i| filter.weight((i as f64 - center + 0.5) / filter_scale))
                .collect();
            let total: f64 = raw.iter().sum();
            let fixed = raw
                .iter()
                .map(|&w| {
                    let w = if total != 0.0 { w / total } else { w };
                    let scaled = w * f64::from(1u32 << PRECISION_BITS);
                    (if scaled < 0.0 {
                        scaled - 0.5
                    } else {
                        scaled + 0.5
                    }) as i64
                })
                .collect();
            (lo, fixed)
        })
        .collect()
}

/// Rounds a fixed-point sum to a pixel (Pillow's `clip8`).
fn clip8(sum: i64) -> u8 {
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

/// One separable pass along rows (`horizontal`) or columns of a `w×h` plane.
fn pass(plane: &[u8], w: usize, h: usize, out: usize, horizontal: bool, f: Filter) -> Vec<u8> {
    let (len, lines) = if horizontal { (w, h) } else { (h, w) };
    let coeffs = coefficients(len, out, f);
    let (ow, oh) = if horizontal { (out, h) } else { (w, out) };
    let mut result = vec![0u8; ow * oh];
    for line in 0..lines {
        for (o, (lo, weights)) in coeffs.iter().enumerate() {
            let mut sum = 1i64 << (PRECISION_BITS - 1);
            for (k, &wt) in weights.iter().enumerate() {
                let i = lo + k;
                let v = if horizontal {
                    plane[line * w + i]
                } else {
                    plane[i * w + line]
                };
                sum += i64::from(v) * wt;
            }
            let at = if horizontal {
                line * ow + o
            } else {
                o * ow + line
            };
            result[at] = clip8(sum);
        }
    }
    result
}

/// `plane` (`w×h`, row-major) resized to `new_w×new_h` as Pillow's `Image.resize` does for an
/// `L` image: a horizontal pass when the width changes, then a vertical one when the height does.
pub fn resize_u8(
    plane: &[u8],
    (w, h): (usize, usize),
    (new_w, new_h): (usize, usize),
    filter: Filter,
) -> Vec<u8> {
    let mut current = plane.to_vec();
    let mut width = w;
    if new_w != w {
        current = pass(&current, w, h, new_w, true, filter);
        width = new_w;
    }
    if new_h != h {
        current = pass(&current, width, h, new_h, false, filter);
    }
    current
}

/// A [0, 1] pixel as the 8-bit value Pillow would hold (`round(255·x)`, clamped).
pub fn to_u8(x: f32) -> u8 {
    (x * 255.0).round().clamp(0.0, 255.0) as u8
}
