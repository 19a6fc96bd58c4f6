//! Crop (translation), flip, scale and rotate as resampling plans.

use super::resample::Resampling;

/// Output `(i, j)` reads source `(i + dy, j + dx)`; outside the image reads zero.
pub(crate) fn crop_plan(height: usize, width: usize, (dy, dx): (i64, i64)) -> Resampling {
    Resampling::integer(height, width, |i, j| (i + dy, j + dx))
}

/// Horizontal mirror when `flipped`, identity otherwise.
pub(crate) fn flip_plan(height: usize, width: usize, flipped: bool) -> Resampling {
    let last = width as i64 - 1;
    Resampling::integer(height, width, |i, j| {
        (i, if flipped { last - j } else { j })
    })
}

/// `theta = [[sx, 0, 0], [0, sy, 0]]` as the DSA reference `rand_scale`: a factor above 1 samples
/// a wider source region, so the content shrinks.
pub(crate) fn scale_plan(height: usize, width: usize, (sx, sy): (f64, f64)) -> Resampling {
    Resampling::affine(height, width, [[sx, 0.0, 0.0], [0.0, sy, 0.0]])
}

/// `theta = [[cos a, sin a, 0], [−sin a, cos a, 0]]` as the DSA reference `rand_rotate`.
pub(crate) fn rotate_plan(height: usize, width: usize, radians: f64) -> Resampling {
    let (s, c) = radians.sin_cos();
    Resampling::affine(height, width, [[c, s, 0.0], [-s, c, 0.0]])
}
