//! Convolution with bias as one custom op: im2col + GEMM forward, GEMM backward.

use super::elem::{contiguous, dispatch_float, with_cpu_slice, FastFloat};
use super::im2col::{col2im, im2col, ConvGeometry};
use super::matmul::{matmul_lhs, Lhs, MatRef};
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, WithDType};
use gemm::Parallelism;
use rayon::prelude::*;

/// `conv2d(x, w) + b` for contiguous CPU tensors `x` (`N×C_in×H×W`), `w` (`C_out×C_in×kH×kW`),
/// `b` (`C_out`), f32 or f64; shapes are checked by the caller ([`crate::ops::conv2d`]).
pub(crate) fn conv2d_bias(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let (x, w, b) = (x.contiguous()?, w.contiguous()?, b.contiguous()?);
    x.apply_op3_arc(
        &w,
        &b,
        std::sync::Arc::new(Box::new(Conv2dBias { stride, padding })),
    )
}

struct Conv2dBias {
    stride: usize,
    padding: usize,
}

impl Conv2dBias {
    fn geometry(&self, x: &[usize], w: &[usize]) -> Result<(usize, ConvGeometry)> {
        geometry(x, w, self.stride, self.padding)
    }
}

/// The image count and geometry of a convolution of an input of dims `x` with a weight of dims
/// `w` (both rank 4).
pub(crate) fn geometry(
    x: &[usize],
    w: &[usize],
    stride: usize,
    padding: usize,
) -> Result<(usize, ConvGeometry)> {
    let ([n, c_in, h, wd], [c_out, w_in, kh, kw]) = (x, w) else {
        bail!("fast conv2d: rank-4 input and weight expected, got {x:?} and {w:?}")
    };
    let (hp, wp) = (h + 2 * padding, wd + 2 * padding);
    if c_in != w_in || *kh > hp || *kw > wp || stride == 0 {
        bail!("fast conv2d: input {x:?} and weight {w:?} do not fit (stride {stride})")
    }
    let g = ConvGeometry {
        c_in: *c_in,
        h: *h,
        w: *wd,
        c_out: *c_out,
        kh: *kh,
        kw: *kw,
        stride,
        padding,
        oh: (hp - kh) / stride + 1,
        ow: (wp - kw) / stride + 1,
    };
    Ok((*n, g))
}

/// GEMM threading inside one image: only when there are too few images to keep every thread
/// busy with a whole image each (parallelising both levels would oversubscribe the cores).
fn inner_parallelism(images: usize) -> Parallelism {
    let threads = rayon::current_num_threads();
    if images < threads {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    }
}

pub(crate) fn forward<T: FastFloat>(
    x: &[T],
    w: &[T],
    b: &[T],
    n: usize,
    g: &ConvGeometry,
) -> Vec<T> {
    let (p, k) = (g.positions(), g.patch_len());
    let mut y = vec![T::zero(); n * g.out_len()];
    let par = inner_parallelism(n);
    let weight = Lhs::new(MatRef::row_major(w, g.c_out, k));
    y.par_chunks_mut(g.out_len().max(1))
        .zip(x.par_chunks(g.in_len().max(1)))
        .for_each(|(y_n, x_n)| {
            for (row, &bias) in y_n.chunks_exact_mut(p).zip(b) {
                row.fill(bias);
            }
            T::with_scratch(k * p, |col| {
                im2col(x_n, g, col);
                matmul_lhs(y_n, &weight, MatRef::row_major(col, k, p), true, par);
            });
        });
    y
}

/// `dx_n = col2im(wᵀ·dy_n)` for every image.
pub(crate) fn input_grad<T: FastFloat>(dy: &[T], w: &[T], n: usize, g: &ConvGeometry) -> Vec<T> {
    let (p, k) = (g.positions(), g.patch_len());
    let mut dx = vec![T::zero(); n * g.in_len()];
    let par = inner_parallelism(n);
    let weight_t = Lhs::new(MatRef::row_major(w, g.c_out, k).t());
    dx.par_chunks_mut(g.in_len().max(1))
        .zip(dy.par_chunks(g.out_len().max(1)))
        .for_each(|(dx_n, dy_n)| {
            T::with_scratch(k * p, |col| {
                let dy_n = MatRef::row_major(dy_n, g.c_out, p);
                matmul_lhs(col, &weight_t, dy_n, false, par);
                col2im(col, g, dx_n);
            });
        });
    dx
}

/// `dw = Σ_n dy_n·im2col(x_n)ᵀ`, computed transposed as `dwᵀ = Σ_n im2col(x_n)·dy_nᵀ` so that
/// the per-image im2col matrix is the (packed) left operand and `dy_nᵀ` (small) the dense right
/// one. Each worker accumulates a group of images into its own partial sum; the partial sums
/// are added at the end.
pub(crate) fn weight_grad<T: FastFloat>(x: &[T], dy: &[T], n: usize, g: &ConvGeometry) -> Vec<T> {
    let (k, c_out) = (g.patch_len(), g.c_out);
    #[cfg(trustdd_avx512)]
    if let (Some(x), Some(dy), true) = (T::as_f32(x), T::as_f32(dy), super::avx512::available()) {
        let dw_t = accumulate_over_groups(n, k * c_out, |images, acc: &mut [T]| {
            // T is f32 here (x was), so the accumulator always converts.
            if let Some(acc) = T::as_f32_mut(acc) {
                weight_grad_avx512(x, dy, images, g, acc);
            }
        });
        let mut dw = vec![T::zero(); c_out * k];
        transpose(&dw_t, k, c_out, &mut dw);
        return dw;
    }
    let p = g.positions();
    let par = inner_parallelism(n.min(rayon::current_num_threads()));
    let dw_t = accumulate_over_groups(n, k * c_out, |images, acc| {
        T::with_scratch(k * p + p * c_out, |scratch| {
            let (col, dy_t) = scratch.split_at_mut(k * p);
            for img in images {
                im2col(&x[img * g.in_len()..(img + 1) * g.in_len()], g, col);
                transpose(
                    &dy[img * g.out_len()..(img + 1) * g.out_len()],
                    c_out,
                    p,
                    dy_t,
                );
                let lhs = Lhs::new(MatRef::row_major(&*col, k, p));
                matmul_lhs(acc, &lhs, MatRef::row_major(&*dy_t, p, c_out), true, par);
            }
        })
    });
    let mut dw = vec![T::zero(); c_out * k];
    transpose(&dw_t, k, c_out, &mut dw);
    dw
}

/// `dwᵀ += im2col(x_n)·dy_nᵀ` for `images`, with im2col written straight into the AVX-512
/// kernel's packed layout.
#[cfg(trustdd_avx512)]
fn weight_grad_avx512(
    x: &[f32],
    dy: &[f32],
    images: std::ops::Range<usize>,
    g: &ConvGeometry,
    acc: &mut [f32],
) {
    use super::avx512::{gemm, PackedA, MR};
    let (p, k, c_out) = (g.positions(), g.patch_len(), g.c_out);
    let mut panels = vec![0.0f32; k.div_ceil(MR) * MR * p];
    let mut dy_t = vec![0.0f32; p * c_out];
    for img in images {
        super::im2col::im2col_panels(
            &x[img * g.in_len()..(img + 1) * g.in_len()],
            g,
            MR,
            &mut panels,
        );
        transpose(
            &dy[img * g.out_len()..(img + 1) * g.out_len()],
            c_out,
            p,
            &mut dy_t,
        );
        let packed = PackedA::from_panels(panels, k, p);
        gemm(&packed, &dy_t, c_out, c_out, acc, c_out, true);
        panels = packed.into_buffer();
    }
}

/// Most partial sums of [`accumulate_over_groups`]: a fixed count (not one tied to the pool
/// size), so a weight gradient has the same bits whatever the number of threads. 8 is what the
/// old `4 × threads` gave on the 2-core machines the whole-job figures come from (32 made the
/// main job 8% slower: every partial is zeroed and added); more than 8 threads then share 8
/// groups of the weight gradient.
const MAX_GROUPS: usize = 8;

/// Splits `0..n` into `min(n, MAX_GROUPS)` groups of consecutive images, runs
/// `work(images, partial)` on each (in parallel) with a zeroed partial sum of `len` values, and
/// adds the partial sums in group order. Neither the grouping nor the order of the additions
/// depends on the pool, so the result is bit-identical at any thread count.
fn accumulate_over_groups<T: FastFloat>(
    n: usize,
    len: usize,
    work: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
) -> Vec<T> {
    let per_group = n.div_ceil(n.clamp(1, MAX_GROUPS)).max(1);
    let partials: Vec<Vec<T>> = (0..n.div_ceil(per_group))
        .into_par_iter()
        .map(|group| {
            let mut acc = vec![T::zero(); len];
            work(
                group * per_group..((group + 1) * per_group).min(n),
                &mut acc,
            );
            acc
        })
        .collect();
    // Each element is the sum of its partials in group order; elements are split over threads.
    let mut partials = partials.into_iter();
    let mut total = partials.next().unwrap_or_else(|| vec![T::zero(); len]);
    let rest: Vec<Vec<T>> = partials.collect();
    const CHUNK: usize = 4096;
    total
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, out)| {
            for partial in &rest {
                let src = &partial[chunk * CHUNK..chunk * CHUNK + out.len()];
                out.iter_mut().zip(src).for_each(|(s, &v)| *s += v);
            }
        });
    total
}

/// Writes the transpose of the dense `rows×cols` matrix `src` into `dst` (`cols×rows`).
///
/// In 16×16 tiles: the element-by-element loop wrote each value a cache line away from the
/// last (stride `rows`) and took a tenth of an evaluation epoch's time (docs/performance.md).
fn transpose<T: Copy>(src: &[T], rows: usize, cols: usize, dst: &mut [T]) {
    const TILE: usize = 16;
    assert!(src.len() >= rows * cols && dst.len() >= rows * cols);
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            for r in r0..r1 {
                let row = &src[r * cols..r * cols + c1];
                for c in c0..c1 {
                    dst[c * rows + r] = row[c];
                }
            }
        }
    }
}

/// `Σ_{n, position} dy[n, c, position]` per channel `c` of an `N×C×positions` tensor.
pub(crate) fn channel_sums<T: FastFloat>(dy: &[T], channels: usize, positions: usize) -> Vec<T> {
    let mut out = vec![T::zero(); channels];
    for image in dy.chunks_exact((channels * positions).max(1)) {
        for (o, plane) in out.iter_mut().zip(image.chunks_exact(positions.max(1))) {
            *o += super::elem::sum(plane);
        }
    }
    out
}

impl CustomOp3 for Conv2dBias {
    fn name(&self) -> &'static str {
        "trustdd-fast-conv2d"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        super::calls::count_forward(super::calls::Kernel::Conv);
        let (n, g) = self.geometry(xl.dims(), wl.dims())?;
        let name = self.name();
        let out = dispatch_float!(name, xs.dtype(), T => {
            let (x, w, b) = (contiguous::<T>(xs, xl, name)?, contiguous::<T>(ws, wl, name)?,
                contiguous::<T>(bs, bl, name)?);
            T::to_cpu_storage_owned(forward(x, w, b, n, &g))
        });
        Ok((out, Shape::from((n, g.c_out, g.oh, g.ow))))
    }

    /// Gradients only for operands that track them (a frozen network's weights or a data batch
    /// get `None`, which saves a GEMM per image).
    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        super::calls::count_backward(super::calls::Kernel::Conv);
        let (n, g) = self.geometry(x.dims(), w.dims())?;
        let name = self.name();
        let dev = x.device();
        dispatch_float!(name, x.dtype(), T => {
            with_cpu_slice::<T, _>(dy, name, |dy_s| {
                let dx = match x.track_op() {
                    true => Some(with_cpu_slice::<T, _>(w, name, |w_s| {
                        Tensor::from_vec(input_grad(dy_s, w_s, n, &g), x.shape(), dev)
                    })?),
                    false => None,
                };
                let dw = match w.track_op() {
                    true => Some(with_cpu_slice::<T, _>(x, name, |x_s| {
                        Tensor::from_vec(weight_grad(x_s, dy_s, n, &g), w.shape(), dev)
                    })?),
                    false => None,
                };
                let db = match b.track_op() {
                    true => Some(Tensor::from_vec(channel_sums(dy_s, g.c_out, g.positions()), g.c_out, dev)?),
                    false => None,
                };
                Ok((dx, dw, db))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::transpose;

    #[test]
    fn tiled_transpose_equals_the_definition() {
        for (rows, cols) in [(1, 1), (3, 40), (128, 1024), (17, 33), (32, 5)] {
            let src: Vec<u32> = (0..(rows * cols) as u32).collect();
            let mut dst = vec![u32::MAX; rows * cols];
            transpose(&src, rows, cols, &mut dst);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(
                        dst[c * rows + r],
                        src[r * cols + c],
                        "{rows}x{cols} at {r},{c}"
                    );
                }
            }
        }
    }
}
