//! An AVX-512 f32 GEMM for the convolution kernels: `C (+)= A·B` with `A` packed once into
//! panels of [`MR`] rows and `B`, `C` row-major. The `gemm` crate only uses AVX-512 with a
//! nightly compiler; on stable its AVX2 kernel reaches about half of what this one does on the
//! 2-vCPU Sapphire Rapids machine of docs/performance.md.
//!
//! Compiled only with `cfg(trustdd_avx512)`, which build.rs sets for x86-64 targets on Rust ≥
//! 1.89 (stable AVX-512 intrinsics); the crate's MSRV 1.85 builds without it.
// The MSRV lint sees 1.85; this module only exists on compilers ≥ 1.89 (see above).
#![allow(clippy::incompatible_msrv)]

use super::matmul::MatRef;
use std::arch::x86_64::*;

/// Rows of `A` per packed panel (broadcast operands of the micro-kernel).
pub(crate) const MR: usize = 12;
/// Columns of `B` and `C` per micro-kernel call: two 16-lane vectors.
const NR: usize = 32;
/// Depth of one pass over `A` and `B`, so a `KC×NR` block of `B` stays in L1 across panels.
const KC: usize = 256;

/// Whether this CPU runs the kernel (checked once; the result is cached by std).
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

/// `A` (`m×k`) packed panel after panel: panel `p` holds rows `p·MR ..` as `[k][MR]`, rows past
/// `m` zero.
pub(crate) struct PackedA {
    data: Vec<f32>,
    m: usize,
    k: usize,
}

impl PackedA {
    /// Packs `a`, reusing `buffer`'s allocation.
    pub fn new(a: MatRef<'_, f32>, mut buffer: Vec<f32>) -> Self {
        let (m, k) = (a.rows, a.cols);
        buffer.clear();
        buffer.resize(m.div_ceil(MR) * MR * k, 0.0);
        for (p, panel) in buffer.chunks_exact_mut((MR * k).max(1)).enumerate() {
            let rows = MR.min(m - p * MR);
            for r in 0..rows {
                let row = (p * MR + r) * a.row_stride;
                for (kk, dst) in panel.iter_mut().skip(r).step_by(MR).enumerate() {
                    *dst = a.data[row + kk * a.col_stride];
                }
            }
        }
        Self { data: buffer, m, k }
    }

    /// Wraps data already in the packed layout (`m.div_ceil(MR)·MR·k` values, e.g. from
    /// [`super::im2col::im2col_panels`]).
    ///
    /// # Panics
    /// If `data` has another length (a bug in the caller).
    pub fn from_panels(data: Vec<f32>, m: usize, k: usize) -> Self {
        assert_eq!(
            data.len(),
            m.div_ceil(MR) * MR * k,
            "packed panels of {m}x{k}"
        );
        Self { data, m, k }
    }

    /// The allocation, for reuse.
    pub fn into_buffer(self) -> Vec<f32> {
        self.data
    }

    /// Rows of `A`.
    pub fn rows(&self) -> usize {
        self.m
    }
}

/// `c = a·b` (or `c += a·b` with `accumulate`) for `b` of `a.k` rows, `n` columns, row stride
/// `ldb`, and `c` of `a.m` rows, `n` columns, row stride `ldc`.
///
/// # Panics
/// If the slices are too short for those sizes (a bug in the caller, never user input), or the
/// CPU lacks AVX-512 ([`available`]).
pub(crate) fn gemm(
    a: &PackedA,
    b: &[f32],
    ldb: usize,
    n: usize,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) {
    super::calls::count_avx512_gemm();
    let (m, k) = (a.m, a.k);
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        available(),
        "AVX-512 kernel called on a CPU without AVX-512"
    );
    assert!(
        ldb >= n && ldc >= n && c.len() >= (m - 1) * ldc + n,
        "gemm output {m}x{n}, ldc {ldc}"
    );
    assert!(
        k == 0 || b.len() >= (k - 1) * ldb + n,
        "gemm rhs {k}x{n}, ldb {ldb}"
    );
    if k == 0 {
        if !accumulate {
            c.chunks_mut(ldc).for_each(|row| {
                let len = n.min(row.len());
                row[..len].fill(0.0);
            });
        }
        return;
    }
    for k0 in (0..k).step_by(KC) {
        let kc = KC.min(k - k0);
        for j0 in (0..n).step_by(NR) {
            let width = NR.min(n - j0);
            let mask = |from: usize| -> __mmask16 {
                let lanes = width.saturating_sub(from).min(16);
                ((1u32 << lanes) - 1) as __mmask16
            };
            for p in 0..m.div_ceil(MR) {
                let rows = MR.min(m - p * MR);
                let panel = &a.data[p * MR * k + k0 * MR..][..kc * MR];
                // SAFETY: the asserts above bound every row of b (k0 + kc ≤ k rows from j0,
                // masked to `width` columns) and of c (rows ≤ m from p·MR, masked likewise);
                // the panel slice holds kc·MR values; the CPU has AVX-512 (asserted).
                unsafe {
                    kernel(
                        kc,
                        panel.as_ptr(),
                        b.as_ptr().add(k0 * ldb + j0),
                        ldb,
                        c.as_mut_ptr().add(p * MR * ldc + j0),
                        ldc,
                        rows,
                        [mask(0), mask(16)],
                        accumulate || k0 > 0,
                    );
                }
            }
        }
    }
}

/// One `MR×NR` tile: `c[r, 0..32] (+)= Σ_kk a[kk·MR + r] · b[kk·ldb + 0..32]` for `r < rows`,
/// columns masked by `masks` (lanes 0–15, 16–31).
///
/// # Safety
/// AVX-512F must be available; `a` must hold `kc·MR` values; for every `kk < kc` and `r < rows`
/// the unmasked lanes of `b + kk·ldb` and `c + r·ldc` must be valid.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(
    kc: usize,
    a: *const f32,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    masks: [__mmask16; 2],
    accumulate: bool,
) {
    let [m0, m1] = masks;
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    if accumulate {
        for (r, acc_r) in acc.iter_mut().enumerate() {
            if r < rows {
                let row = c.wrapping_add(r * ldc);
                // SAFETY: r < rows, lanes masked as the caller guarantees.
                unsafe {
                    acc_r[0] = _mm512_maskz_loadu_ps(m0, row);
                    acc_r[1] = _mm512_maskz_loadu_ps(m1, row.wrapping_add(16));
                }
            }
        }
    }
    for kk in 0..kc {
        // SAFETY: kk < kc, masked lanes only (the caller's contract).
        let (b0, b1, ap) = unsafe {
            let row = b.wrapping_add(kk * ldb);
            (
                _mm512_maskz_loadu_ps(m0, row),
                _mm512_maskz_loadu_ps(m1, row.wrapping_add(16)),
                a.add(kk * MR),
            )
        };
        for (r, acc_r) in acc.iter_mut().enumerate() {
            // SAFETY: r < MR, within the kk-th group of the panel.
            let av = _mm512_set1_ps(unsafe { *ap.add(r) });
            acc_r[0] = _mm512_fmadd_ps(av, b0, acc_r[0]);
            acc_r[1] = _mm512_fmadd_ps(av, b1, acc_r[1]);
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        if r < rows {
            let row = c.wrapping_add(r * ldc);
            // SAFETY: as for the loads.
            unsafe {
                _mm512_mask_storeu_ps(row, m0, acc_r[0]);
                _mm512_mask_storeu_ps(row.wrapping_add(16), m1, acc_r[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_plain_triple_loop() {
        if !available() {
            return; // Nothing to check on this CPU; the gemm-crate path serves it.
        }
        // Sizes straddling every tile edge: rows 1..MR+1, columns around 16 and 32, depth past KC.
        for (m, k, n) in [
            (13, 300, 35),
            (5, 7, 16),
            (1, 1, 1),
            (24, 3, 64),
            (12, 257, 31),
        ] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 5) % 13) as f32 - 6.0).collect();
            // Small integers: every partial sum is exact in f32, so equality is exact.
            let mut want = vec![1.0f32; m * n];
            for i in 0..m {
                for j in 0..n {
                    want[i * n + j] += (0..k).map(|q| a[i * k + q] * b[q * n + j]).sum::<f32>();
                }
            }
            let packed = PackedA::new(MatRef::row_major(&a, m, k), Vec::new());
            let mut c = vec![1.0f32; m * n];
            gemm(&packed, &b, n, n, &mut c, n, true);
            assert_eq!(c, want, "{m}x{k}x{n} accumulate");
            let mut c = vec![f32::NAN; m * n];
            gemm(&packed, &b, n, n, &mut c, n, false);
            let want: Vec<f32> = want.iter().map(|v| v - 1.0).collect();
            assert_eq!(c, want, "{m}x{k}x{n} overwrite");
        }
    }
}
