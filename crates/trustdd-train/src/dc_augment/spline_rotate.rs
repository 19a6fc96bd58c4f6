//! `scipy.ndimage.rotate(plane, angle, reshape=True, order=3, mode='constant', cval)`, which
//! DC's `rotatefun` calls: cubic B-spline interpolation of the plane's spline coefficients
//! (computed with mirror boundaries, as scipy's prefilter does for `mode='constant'`), and
//! `cval` for every output point whose source lies outside the input.

/// The pole of the cubic B-spline prefilter, √3 − 2.
fn pole() -> f64 {
    3f64.sqrt() - 2.0
}

/// Cubic B-spline coefficients of `line` in place (scipy's `spline_filter1d`, order 3, mirror
/// initial conditions).
fn spline_filter_line(c: &mut [f64]) {
    let n = c.len();
    if n < 2 {
        return;
    }
    let z = pole();
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    c.iter_mut().for_each(|v| *v *= gain);
    // Causal initial value for a mirror-symmetric extension (period 2n − 2).
    let z_n1 = z.powi(n as i32 - 1);
    let mut z_i = z;
    let mut c0 = c[0] + z_n1 * c[n - 1];
    for i in 1..n - 1 {
        c0 += z_i * (c[i] + z_n1 * c[n - 1 - i]);
        z_i *= z;
    }
    c[0] = c0 / (1.0 - z_n1 * z_n1);
    for i in 1..n {
        c[i] += z * c[i - 1];
    }
    c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1.0);
    for i in (0..n - 1).rev() {
        c[i] = z * (c[i + 1] - c[i]);
    }
}

/// Whole-sample mirror of index `i` into `0..n` (scipy's edge rule for spline taps).
fn mirror(i: i64, n: i64) -> usize {
    if n <= 1 {
        return 0;
    }
    let period = 2 * n - 2;
    let mut i = i.rem_euclid(period);
    if i >= n {
        i = period - i;
    }
    i as usize
}

/// The four cubic B-spline weights of taps `floor(x) − 1 ..= floor(x) + 2` at fraction `y`.
fn weights(y: f64) -> [f64; 4] {
    let z = 1.0 - y;
    [
        z * z * z / 6.0,
        (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0,
        (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0,
        y * y * y / 6.0,
    ]
}

/// `plane` (`h×w`, row-major) rotated by `angle` degrees into the `(oh, ow)` plane that holds
/// all of it, as scipy computes it (in f64, rounded to f32 at the end).
pub(crate) fn rotate_plane(
    plane: &[f32],
    h: usize,
    w: usize,
    angle: f64,
    cval: f64,
) -> (Vec<f32>, usize, usize) {
    let (s, c) = angle.to_radians().sin_cos();
    // scipy: `rot_matrix = [[c, s], [-s, c]]` maps (row, col) of the output to the input.
    let r = [[c, s], [-s, c]];
    let (hf, wf) = (h as f64, w as f64);
    let corners = [(0.0, 0.0), (0.0, wf), (hf, 0.0), (hf, wf)];
    let span = |k: usize| {
        let v: Vec<f64> = corners
            .iter()
            .map(|&(y, x)| r[k][0] * y + r[k][1] * x)
            .collect();
        let (lo, hi) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| {
                (lo.min(t), hi.max(t))
            });
        (hi - lo + 0.5) as usize
    };
    let (oh, ow) = (span(0), span(1));
    let (oc_y, oc_x) = ((oh as f64 - 1.0) / 2.0, (ow as f64 - 1.0) / 2.0);
    let offset = [
        (hf - 1.0) / 2.0 - (r[0][0] * oc_y + r[0][1] * oc_x),
        (wf - 1.0) / 2.0 - (r[1][0] * oc_y + r[1][1] * oc_x),
    ];
    // Coefficients: filter every column, then every row.
    let mut coef: Vec<f64> = plane.iter().map(|&v| f64::from(v)).collect();
    let mut column = vec![0.0; h];
    for x in 0..w {
        (0..h).for_each(|y| column[y] = coef[y * w + x]);
        spline_filter_line(&mut column);
        (0..h).for_each(|y| coef[y * w + x] = column[y]);
    }
    for row in coef.chunks_mut(w) {
        spline_filter_line(row);
    }
    let mut out = Vec::with_capacity(oh * ow);
    for i in 0..oh {
        for j in 0..ow {
            let (fi, fj) = (i as f64, j as f64);
            let y = r[0][0] * fi + r[0][1] * fj + offset[0];
            let x = r[1][0] * fi + r[1][1] * fj + offset[1];
            if y < 0.0 || y > hf - 1.0 || x < 0.0 || x > wf - 1.0 {
                out.push(cval as f32);
                continue;
            }
            let (by, bx) = (y.floor(), x.floor());
            let (wy, wx) = (weights(y - by), weights(x - bx));
            let mut acc = 0.0;
            for (a, wa) in wy.iter().enumerate() {
                let ry = mirror(by as i64 - 1 + a as i64, h as i64);
                for (b, wb) in wx.iter().enumerate() {
                    let rx = mirror(bx as i64 - 1 + b as i64, w as i64);
                    acc += wa * wb * coef[ry * w + rx];
                }
            }
            out.push(acc as f32);
        }
    }
    (out, oh, ow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_reflects_about_the_edge_samples() {
        // n = 4: … 2 1 | 0 1 2 3 | 2 1 0 …
        let got: Vec<usize> = (-3..8).map(|i| mirror(i, 4)).collect();
        assert_eq!(got, vec![3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1]);
        assert_eq!(mirror(5, 1), 0);
    }

    #[test]
    fn spline_coefficients_interpolate_the_samples() {
        // B-spline interpolation: at the knots Σ_k c_k β(i − k) = (c_{i−1} + 4c_i + c_{i+1})/6
        // must give the samples back (mirror taps at the ends).
        let samples = [0.3, -1.2, 2.5, 0.0, 0.7, 4.0, -0.5];
        let mut c = samples.to_vec();
        spline_filter_line(&mut c);
        let n = c.len() as i64;
        for (i, s) in samples.iter().enumerate() {
            let k = |d: i64| c[mirror(i as i64 + d, n)];
            let v = (k(-1) + 4.0 * k(0) + k(1)) / 6.0;
            assert!((v - s).abs() < 1e-9, "{i}: {v} vs {s}");
        }
    }

    #[test]
    fn zero_angle_is_the_identity() {
        let plane: Vec<f32> = (0..20).map(|v| (v as f32 * 0.37).sin()).collect();
        let (out, oh, ow) = rotate_plane(&plane, 4, 5, 0.0, 9.0);
        assert_eq!((oh, ow), (4, 5));
        for (a, b) in out.iter().zip(&plane) {
            assert!((a - b).abs() < 1e-6);
        }
    }
}
