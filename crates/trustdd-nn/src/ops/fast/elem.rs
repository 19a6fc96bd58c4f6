//! The element types of the fast kernels (f32, f64) and access to candle's CPU storage.

use candle_core::{bail, CpuStorage, Layout, Result, Storage, Tensor, WithDType};
use std::cell::RefCell;

/// A float the kernels run on: f32 (the fast path's purpose) and f64 (so the f64
/// finite-difference tests exercise the same code).
pub(crate) trait FastFloat: WithDType + Default {
    /// `sqrt`, which `WithDType` lacks.
    fn sqrt(self) -> Self;
    /// Runs `f` on this thread's scratch buffer of at least `len` elements (contents arbitrary).
    /// The buffer lives as long as the thread, so hot loops (im2col per image) stop allocating.
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
    /// The slice as f32, when `Self` is f32 (the AVX-512 kernel's type).
    #[cfg_attr(not(trustdd_avx512), allow(dead_code))]
    fn as_f32(s: &[Self]) -> Option<&[f32]>;
    /// The mutable slice as f32, when `Self` is f32.
    #[cfg_attr(not(trustdd_avx512), allow(dead_code))]
    fn as_f32_mut(s: &mut [Self]) -> Option<&mut [f32]>;
}

thread_local! {
    static SCRATCH_F32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static SCRATCH_F64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Takes the buffer out of `cell` for the duration of `f` (a nested call then simply allocates
/// instead of hitting a `RefCell` borrow error), growing it to `len` first.
fn with_buffer<T: Copy + Default, R>(
    cell: &RefCell<Vec<T>>,
    len: usize,
    f: impl FnOnce(&mut [T]) -> R,
) -> R {
    let mut buf = cell.take();
    if buf.len() < len {
        buf.resize(len, T::default());
    }
    let r = f(&mut buf[..len]);
    cell.replace(buf);
    r
}

impl FastFloat for f32 {
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        SCRATCH_F32.with(|c| with_buffer(c, len, f))
    }
    fn as_f32(s: &[Self]) -> Option<&[f32]> {
        Some(s)
    }
    fn as_f32_mut(s: &mut [Self]) -> Option<&mut [f32]> {
        Some(s)
    }
}

impl FastFloat for f64 {
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        SCRATCH_F64.with(|c| with_buffer(c, len, f))
    }
    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }
    fn as_f32_mut(_: &mut [Self]) -> Option<&mut [f32]> {
        None
    }
}

/// Runs `f` on the elements of a CPU tensor (made contiguous first if needed), or errors naming
/// `op` for another device or dtype.
pub(crate) fn with_cpu_slice<T: WithDType, R>(
    t: &Tensor,
    op: &str,
    f: impl FnOnce(&[T]) -> Result<R>,
) -> Result<R> {
    let t = t.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(cpu) => f(contiguous(cpu, layout, op)?),
        _ => bail!("{op}: fast kernels run on CPU tensors only"),
    }
}

/// The elements of a contiguous tensor as a slice, or an error naming `op` (the dispatch makes
/// every operand contiguous, so a strided layout here is a bug, reported rather than mis-read).
pub(crate) fn contiguous<'a, T: WithDType>(
    storage: &'a CpuStorage,
    layout: &Layout,
    op: &str,
) -> Result<&'a [T]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!(
            "{op}: operand must be contiguous, got strides {:?}",
            layout.stride()
        )
    };
    Ok(&T::cpu_storage_as_slice(storage)?[start..end])
}

/// Runs `$body` with `$T` bound to the element type of `$dtype` (f32 or f64), or errors.
macro_rules! dispatch_float {
    ($op:expr, $dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            candle_core::DType::F32 => {
                type $T = f32;
                $body
            }
            candle_core::DType::F64 => {
                type $T = f64;
                $body
            }
            other => candle_core::bail!("{}: fast kernels support f32 and f64, got {other:?}", $op),
        }
    };
}
pub(crate) use dispatch_float;

/// Sum of `xs` with eight independent accumulators, so the compiler can vectorise the loop
/// (a single running sum is a serial dependency chain in floating point).
pub(crate) fn sum<T: FastFloat>(xs: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let chunks = xs.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    let mut total = tail.iter().fold(T::zero(), |s, &v| s + v);
    for a in acc {
        total += a;
    }
    total
}

/// `Σ f(a_i, b_i)` over two equally long slices, vectorisable like [`sum`].
pub(crate) fn sum_zip<T: FastFloat>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> T {
    let mut acc = [T::zero(); 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .fold(T::zero(), |s, (&x, &y)| s + f(x, y));
    for (xa, xb) in ca.zip(cb) {
        for ((s, &x), &y) in acc.iter_mut().zip(xa).zip(xb) {
            *s += f(x, y);
        }
    }
    acc.iter().fold(tail, |s, &v| s + v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_sums_match_plain_sums() {
        // Integers in f64 sum exactly, so any order gives the same value (closed form n(n−1)/2).
        let xs: Vec<f64> = (0..37).map(f64::from).collect();
        assert_eq!(sum(&xs), 666.0);
        let ys: Vec<f64> = vec![2.0; 37];
        assert_eq!(sum_zip(&xs, &ys, |a, b| a * b), 1332.0);
        assert_eq!(sum::<f32>(&[]), 0.0);
    }
}
