//! Convolution geometry, and the im2col / col2im transforms that turn a convolution into a GEMM.

/// Sizes of one 2-D convolution (one group, dilation 1, symmetric zero padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvGeometry {
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: usize,
    pub padding: usize,
    pub oh: usize,
    pub ow: usize,
}

impl ConvGeometry {
    /// Elements of one input image.
    pub fn in_len(&self) -> usize {
        self.c_in * self.h * self.w
    }
    /// Output positions per channel (columns of the im2col matrix).
    pub fn positions(&self) -> usize {
        self.oh * self.ow
    }
    /// Rows of the im2col matrix: one per (input channel, kernel row, kernel column).
    pub fn patch_len(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
    /// Elements of one output image.
    pub fn out_len(&self) -> usize {
        self.c_out * self.positions()
    }

    /// Output columns `ox` whose input column `ox·stride + j − padding` lies inside the image, as
    /// a half-open range (empty when none does).
    fn valid_columns(&self, j: usize) -> (usize, usize) {
        let lo = self
            .padding
            .saturating_sub(j)
            .div_ceil(self.stride)
            .min(self.ow);
        let hi = match (self.w + self.padding).checked_sub(j + 1) {
            Some(last) => (last / self.stride + 1).min(self.ow),
            None => 0,
        };
        (lo, hi.max(lo))
    }

    /// The input row read by output row `oy` at kernel row `i`, if inside the image.
    fn input_row(&self, oy: usize, i: usize) -> Option<usize> {
        (oy * self.stride + i)
            .checked_sub(self.padding)
            .filter(|&r| r < self.h)
    }
}

/// Writes the `patch_len × positions` im2col matrix of one image `x` (`C_in×H×W`) into `col`:
/// row `(c·kH + i)·kW + j`, column `oy·OW + ox` holds `x[c, oy·s + i − p, ox·s + j − p]`, or 0
/// in the padding.
pub(crate) fn im2col<T: Copy + Default>(x: &[T], g: &ConvGeometry, col: &mut [T]) {
    let p = g.positions();
    for (row_idx, row) in col.chunks_exact_mut(p).enumerate() {
        im2col_row(x, g, row_idx, row);
    }
}

/// Row `row_idx` of the im2col matrix (see [`im2col`]) into `row` (`positions` long).
fn im2col_row<T: Copy + Default>(x: &[T], g: &ConvGeometry, row_idx: usize, row: &mut [T]) {
    let zero = T::default();
    let (c, i, j) = (
        row_idx / (g.kh * g.kw),
        (row_idx / g.kw) % g.kh,
        row_idx % g.kw,
    );
    let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
    let (lo, hi) = g.valid_columns(j);
    for (oy, out) in row.chunks_exact_mut(g.ow).enumerate() {
        let Some(r) = g.input_row(oy, i) else {
            out.fill(zero);
            continue;
        };
        let src = &plane[r * g.w..(r + 1) * g.w];
        out[..lo].fill(zero);
        out[hi..].fill(zero);
        if g.stride == 1 {
            let shift = lo + j - g.padding;
            out[lo..hi].copy_from_slice(&src[shift..shift + (hi - lo)]);
        } else {
            for (ox, o) in out.iter_mut().enumerate().take(hi).skip(lo) {
                *o = src[ox * g.stride + j - g.padding];
            }
        }
    }
}

/// [`im2col`] written in the packed-panel layout of the AVX-512 kernel's left operand: matrix row
/// `row` (a patch entry), column `pos` goes to `out[(row / mr)·mr·positions + pos·mr + row % mr]`.
/// Rows past `patch_len` (up to a multiple of `mr`) are never written: `out` must hold zeros
/// there, as a zero-initialised buffer reused for the same geometry does. Saves a separate
/// packing pass over the largest matrix of the weight gradient.
///
/// Each panel's `mr` rows are first written contiguously (as [`im2col`] does) into a small
/// buffer that stays in L1, then interleaved: writing the panel element by element, with a
/// padding test per element, took 15% of a width-32 TAD round (docs/performance.md).
#[cfg_attr(not(trustdd_avx512), allow(dead_code))]
pub(crate) fn im2col_panels<T: Copy + Default>(
    x: &[T],
    g: &ConvGeometry,
    mr: usize,
    out: &mut [T],
) {
    let p = g.positions();
    let k = g.patch_len();
    let mut rows = vec![T::default(); mr * p];
    for (panel_idx, panel) in out.chunks_exact_mut(mr * p).enumerate() {
        let first = panel_idx * mr;
        if first >= k {
            break;
        }
        let lanes = mr.min(k - first);
        for (lane, row) in rows.chunks_exact_mut(p).take(lanes).enumerate() {
            im2col_row(x, g, first + lane, row);
        }
        for (pos, cell) in panel.chunks_exact_mut(mr).enumerate() {
            for (lane, v) in cell[..lanes].iter_mut().enumerate() {
                *v = rows[lane * p + pos];
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds every entry of `col` back onto the input position it was read
/// from, into `dx` (`C_in×H×W`, zeroed first).
pub(crate) fn col2im<T: Copy + Default + std::ops::AddAssign>(
    col: &[T],
    g: &ConvGeometry,
    dx: &mut [T],
) {
    dx.fill(T::default());
    let p = g.positions();
    for (row_idx, row) in col.chunks_exact(p).enumerate() {
        let (c, i, j) = (
            row_idx / (g.kh * g.kw),
            (row_idx / g.kw) % g.kh,
            row_idx % g.kw,
        );
        let plane = &mut dx[c * g.h * g.w..(c + 1) * g.h * g.w];
        let (lo, hi) = g.valid_columns(j);
        for (oy, src) in row.chunks_exact(g.ow).enumerate() {
            let Some(r) = g.input_row(oy, i) else {
                continue;
            };
            let dst = &mut plane[r * g.w..(r + 1) * g.w];
            if g.stride == 1 {
                // Contiguous run: a slice-to-slice add the compiler vectorises.
                let shift = lo + j - g.padding;
                for (d, &v) in dst[shift..shift + (hi - lo)].iter_mut().zip(&src[lo..hi]) {
                    *d += v;
                }
            } else {
                for (ox, &v) in src.iter().enumerate().take(hi).skip(lo) {
                    dst[ox * g.stride + j - g.padding] += v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(h: usize, w: usize, k: usize, stride: usize, padding: usize) -> ConvGeometry {
        ConvGeometry {
            c_in: 2,
            h,
            w,
            c_out: 1,
            kh: k,
            kw: k,
            stride,
            padding,
            oh: (h + 2 * padding - k) / stride + 1,
            ow: (w + 2 * padding - k) / stride + 1,
        }
    }

    /// im2col entry by the definition, with explicit bounds checks.
    fn direct(x: &[f64], g: &ConvGeometry, row: usize, pos: usize) -> f64 {
        let (c, i, j) = (row / (g.kh * g.kw), (row / g.kw) % g.kh, row % g.kw);
        let (oy, ox) = (pos / g.ow, pos % g.ow);
        let r = (oy * g.stride + i) as isize - g.padding as isize;
        let q = (ox * g.stride + j) as isize - g.padding as isize;
        if r < 0 || q < 0 || r >= g.h as isize || q >= g.w as isize {
            0.0
        } else {
            x[c * g.h * g.w + r as usize * g.w + q as usize]
        }
    }

    #[test]
    fn im2col_matches_definition_and_col2im_is_its_adjoint() {
        for (h, w, k, s, p) in [
            (5, 4, 3, 1, 1),
            (7, 6, 3, 2, 1),
            (4, 4, 3, 1, 3),
            (5, 5, 2, 2, 0),
        ] {
            let g = geometry(h, w, k, s, p);
            let x: Vec<f64> = (0..g.in_len()).map(|v| v as f64 + 1.0).collect();
            let mut col = vec![-1.0; g.patch_len() * g.positions()];
            im2col(&x, &g, &mut col);
            for (idx, &v) in col.iter().enumerate() {
                let want = direct(&x, &g, idx / g.positions(), idx % g.positions());
                assert_eq!(v, want, "{h}x{w} k{k} s{s} p{p} entry {idx}");
            }
            // Adjoint identity <im2col(x), c> = <x, col2im(c)> with c = 1..: integers, exact.
            let c: Vec<f64> = (0..col.len()).map(|v| (v % 7) as f64).collect();
            let mut back = vec![5.0; g.in_len()];
            col2im(&c, &g, &mut back);
            let lhs: f64 = col.iter().zip(&c).map(|(a, b)| a * b).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
            assert_eq!(lhs, rhs, "{h}x{w} k{k} s{s} p{p}");
            // The panel layout holds the same entries, rows padded with zeros to a multiple of 5.
            let mr = 5;
            // Sentinel −1 in every cell the call must write, 0 in the padding rows (the contract).
            let len = g.patch_len().div_ceil(mr) * mr * g.positions();
            let lane_row = |idx: usize| (idx / (mr * g.positions())) * mr + idx % mr;
            let mut panels: Vec<f64> = (0..len)
                .map(|idx| {
                    if lane_row(idx) < g.patch_len() {
                        -1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            im2col_panels(&x, &g, mr, &mut panels);
            for (idx, &v) in panels.iter().enumerate() {
                let (block, rest) = (idx / (mr * g.positions()), idx % (mr * g.positions()));
                let (pos, row) = (rest / mr, block * mr + rest % mr);
                let want = if row < g.patch_len() {
                    col[row * g.positions() + pos]
                } else {
                    0.0
                };
                assert_eq!(v, want, "panels {h}x{w} k{k} s{s} p{p} entry {idx}");
            }
        }
    }
}
