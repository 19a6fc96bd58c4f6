//! Matrix products for the kernels: a safe, bounds-checked front to `gemm::gemm` for strided
//! views, and [`Lhs`] + [`matmul_lhs`], which route f32 products through the AVX-512 kernel
//! when the CPU has it.

use super::elem::FastFloat;
use gemm::Parallelism;

/// A read-only `rows×cols` matrix view: element `(i, j)` is `data[i·row_stride + j·col_stride]`.
/// A transposed view swaps the strides.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A row-major `rows×cols` matrix stored densely in `data`.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transposed view (no copy).
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `dst = a·b` (or `dst += a·b` with `accumulate`), `dst` dense row-major `a.rows×b.cols`.
///
/// # Panics
/// On inconsistent sizes (a bug in the calling kernel; every caller derives them from checked
/// shapes), never on user input.
pub(crate) fn matmul<T: FastFloat>(
    dst: &mut [T],
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
    parallelism: Parallelism,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(
        b.rows == k && dst.len() == m * n && a.fits() && b.fits(),
        "gemm operands: {m}x{k} · {}x{n} into {}",
        b.rows,
        dst.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(T::zero());
        }
        return;
    }
    // SAFETY: the assert above keeps every index gemm reads or writes inside the slices:
    // dst is dense m×n, and a, b fit their strides.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            T::one(),
            T::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// A left operand used for many products (one per image): packed once for the AVX-512 kernel
/// when `T` is f32 and the CPU has AVX-512, else kept as a view for `gemm::gemm`.
pub(crate) struct Lhs<'a, T> {
    view: MatRef<'a, T>,
    #[cfg(trustdd_avx512)]
    packed: Option<super::avx512::PackedA>,
}

impl<'a, T: FastFloat> Lhs<'a, T> {
    /// Prepares `view` (packs it when the AVX-512 kernel applies).
    pub fn new(view: MatRef<'a, T>) -> Self {
        #[cfg(trustdd_avx512)]
        {
            let packed = match T::as_f32(view.data) {
                Some(data) if super::avx512::available() => {
                    let v = MatRef {
                        data,
                        rows: view.rows,
                        cols: view.cols,
                        row_stride: view.row_stride,
                        col_stride: view.col_stride,
                    };
                    Some(super::avx512::PackedA::new(v, Vec::new()))
                }
                _ => None,
            };
            Self { view, packed }
        }
        #[cfg(not(trustdd_avx512))]
        Self { view }
    }
}

/// `dst = a·b` (or `+=` with `accumulate`) like [`matmul`], through the AVX-512 kernel when `a`
/// was packed for it and `b` is dense along its rows.
pub(crate) fn matmul_lhs<T: FastFloat>(
    dst: &mut [T],
    a: &Lhs<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
    parallelism: Parallelism,
) {
    #[cfg(trustdd_avx512)]
    if let Some(packed) = &a.packed {
        if b.col_stride == 1 && b.rows == a.view.cols && dst.len() == packed.rows() * b.cols {
            if let (Some(bd), Some(d)) = (T::as_f32(b.data), T::as_f32_mut(dst)) {
                super::avx512::gemm(packed, bd, b.row_stride, b.cols, d, b.cols, accumulate);
                return;
            }
        }
    }
    matmul(dst, a.view, b, accumulate, parallelism);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_transposes_match_hand_values() {
        // [[1, 2, 3], [4, 5, 6]] · [[1, 0], [0, 1], [1, 1]] = [[4, 5], [10, 11]] (by hand).
        let a = [1.0f64, 2., 3., 4., 5., 6.];
        let b = [1.0f64, 0., 0., 1., 1., 1.];
        let mut c = [0.0f64; 4];
        let (am, bm) = (MatRef::row_major(&a, 2, 3), MatRef::row_major(&b, 3, 2));
        matmul(&mut c, am, bm, false, Parallelism::None);
        assert_eq!(c, [4., 5., 10., 11.]);
        // Accumulating bᵀ·aᵀ = (a·b)ᵀ onto itself transposed doubles it: [[8, 20], [10, 22]].
        let mut d = [4.0f64, 10., 5., 11.];
        matmul(&mut d, bm.t(), am.t(), true, Parallelism::None);
        assert_eq!(d, [8., 20., 10., 22.]);
    }
}
