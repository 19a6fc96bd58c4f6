//! Invocation counters of the fast kernels, a diagnostic for tests: they show that a fast
//! kernel actually ran (rather than the stock op the mode switch falls back to), so a dispatch
//! regression cannot make a fast-versus-stock comparison compare stock with stock.
//!
//! The per-op counters are thread-local `Cell`s bumped once per forward or backward call (on the
//! thread that applies the op or runs `backward`), so tests running concurrently in one process
//! do not see each other's calls, and the cost is one thread-local add per kernel call, nothing
//! next to the kernel. The AVX-512 GEMM counter is one process-wide `Relaxed` atomic, because
//! that GEMM runs on rayon worker threads; it only ever grows.

use std::cell::Cell;
#[cfg(trustdd_avx512)]
use std::sync::atomic::{AtomicU64, Ordering};

/// Forward and backward calls of one fast kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpCalls {
    /// `cpu_fwd` calls.
    pub forward: u64,
    /// `bwd` calls.
    pub backward: u64,
}

/// Calls of every fast kernel made on the current thread since it started
/// ([`fast_kernel_calls`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FastKernelCalls {
    /// The im2col + GEMM convolution with bias.
    pub conv: OpCalls,
    /// Instance norm.
    pub instance_norm: OpCalls,
    /// The fused instance norm → ReLU → 2×2 average pooling.
    pub norm_relu_pool: OpCalls,
    /// ReLU.
    pub relu: OpCalls,
    /// 2×2 average pooling.
    pub avg_pool: OpCalls,
    /// The twice-differentiable convolution family (convolution, input and weight gradient).
    pub conv_twice: OpCalls,
    /// The twice-differentiable instance norm → ReLU → pooling block and its gradient ops.
    pub norm_relu_pool_twice: OpCalls,
}

/// The kernels counted per thread.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kernel {
    Conv,
    InstanceNorm,
    NormReluPool,
    Relu,
    AvgPool,
    ConvTwice,
    NormReluPoolTwice,
}

const KERNELS: usize = 7;

thread_local! {
    /// `[kernel][0 = forward, 1 = backward]`.
    static CALLS: [[Cell<u64>; 2]; KERNELS] = const {
        [const { [const { Cell::new(0) }, const { Cell::new(0) }] }; KERNELS]
    };
}

fn bump(kernel: Kernel, pass: usize) {
    CALLS.with(|c| {
        let cell = &c[kernel as usize][pass];
        cell.set(cell.get().wrapping_add(1));
    });
}

/// Counts one forward call of `kernel` on this thread.
pub(crate) fn count_forward(kernel: Kernel) {
    bump(kernel, 0);
}

/// Counts one backward call of `kernel` on this thread.
pub(crate) fn count_backward(kernel: Kernel) {
    bump(kernel, 1);
}

/// Fast-kernel calls made on the current thread so far (a diagnostic: tests compare two
/// snapshots to check that the fast path, not the stock fallback, ran).
pub fn fast_kernel_calls() -> FastKernelCalls {
    CALLS.with(|c| {
        let op = |k: Kernel| OpCalls {
            forward: c[k as usize][0].get(),
            backward: c[k as usize][1].get(),
        };
        FastKernelCalls {
            conv: op(Kernel::Conv),
            instance_norm: op(Kernel::InstanceNorm),
            norm_relu_pool: op(Kernel::NormReluPool),
            relu: op(Kernel::Relu),
            avg_pool: op(Kernel::AvgPool),
            conv_twice: op(Kernel::ConvTwice),
            norm_relu_pool_twice: op(Kernel::NormReluPoolTwice),
        }
    })
}

#[cfg(trustdd_avx512)]
static AVX512_GEMM_CALLS: AtomicU64 = AtomicU64::new(0);

/// Counts one call of the AVX-512 GEMM (any thread).
#[cfg(trustdd_avx512)]
pub(crate) fn count_avx512_gemm() {
    AVX512_GEMM_CALLS.fetch_add(1, Ordering::Relaxed);
}

/// Calls of the AVX-512 f32 GEMM in this process so far, on any thread (it runs on rayon
/// workers), or `None` when this build does not contain the kernel (`cfg(trustdd_avx512)` is
/// off: not x86-64, or a compiler older than 1.89). The kernel runs only when the CPU has
/// AVX-512F as well.
pub fn avx512_gemm_calls() -> Option<u64> {
    #[cfg(trustdd_avx512)]
    return Some(AVX512_GEMM_CALLS.load(Ordering::Relaxed));
    #[cfg(not(trustdd_avx512))]
    None
}
