//! The switch between the fast CPU kernels, the twice-differentiable ops and the stock candle
//! ops.

use candle_core::{DType, Device, Tensor};
use std::cell::Cell;

/// Which implementation the layers in [`crate::ops`] use on the current thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpsMode {
    /// Fused CPU kernels (candle custom ops) for f32/f64 CPU tensors: first-order gradients only,
    /// because a custom op's backward is not differentiable again. The default.
    #[default]
    Fast,
    /// Every backward differentiable again, as gradient matching and trajectory matching need:
    /// convolution runs on the fast kernels' twice-differentiable family (f32/f64 CPU tensors),
    /// everything else on stock candle ops.
    Differentiable,
    /// Stock candle ops everywhere (differentiable twice): the independent implementation the
    /// tests compare the fast kernels with.
    Stock,
}

thread_local! {
    static MODE: Cell<OpsMode> = const { Cell::new(OpsMode::Fast) };
}

/// The mode set on this thread ([`OpsMode::Fast`] unless changed).
pub fn ops_mode() -> OpsMode {
    MODE.with(Cell::get)
}

/// Sets this thread's mode and returns the previous one. Prefer [`differentiable_scope`] or
/// [`DifferentiableGuard`], which restore the previous mode even on early return.
pub fn set_ops_mode(mode: OpsMode) -> OpsMode {
    MODE.with(|m| m.replace(mode))
}

/// Forces [`OpsMode::Differentiable`] on this thread until dropped, then restores the mode that
/// was set before (guards nest).
#[derive(Debug)]
#[must_use = "the mode reverts as soon as the guard is dropped"]
pub struct DifferentiableGuard {
    previous: OpsMode,
}

impl DifferentiableGuard {
    /// Switches this thread to [`OpsMode::Differentiable`].
    pub fn new() -> Self {
        Self::with(OpsMode::Differentiable)
    }

    /// Switches this thread to `mode` (the scopes below share the restoring drop).
    fn with(mode: OpsMode) -> Self {
        Self {
            previous: set_ops_mode(mode),
        }
    }
}

impl Default for DifferentiableGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for DifferentiableGuard {
    fn drop(&mut self) {
        set_ops_mode(self.previous);
    }
}

/// Runs `f` with [`OpsMode::Differentiable`] on this thread, restoring the previous mode
/// afterwards (also on a panic).
pub fn differentiable_scope<R>(f: impl FnOnce() -> R) -> R {
    let _guard = DifferentiableGuard::new();
    f()
}

/// Runs `f` with [`OpsMode::Fast`] on this thread, restoring the previous mode afterwards: for
/// first-order work inside a second-order computation (a gradient that is detached anyway, such
/// as gradient matching's real-batch gradient), which then runs on the fused kernels and keeps
/// none of their intermediates.
pub fn fast_scope<R>(f: impl FnOnce() -> R) -> R {
    let _guard = DifferentiableGuard::with(OpsMode::Fast);
    f()
}

/// Runs `f` with [`OpsMode::Stock`] on this thread, restoring the previous mode afterwards.
pub fn stock_scope<R>(f: impl FnOnce() -> R) -> R {
    let _guard = DifferentiableGuard::with(OpsMode::Stock);
    f()
}

/// True when `CANDLE_GRAD_DO_NOT_DETACH` was set, at the first call in this process, to a value
/// candle counts as on (non-empty, not "0"): candle keeps the graph of a backward pass only then,
/// so its presence signals that the user wants second-order gradients and the fast kernels would
/// silently cut them.
///
/// Read once and cached: `trustdd_distill::second_order` sets the variable for a few
/// microseconds while it primes a worker thread; a per-call read let other threads' ops flip to
/// the stock path inside that window, which broke bit-exact determinism under concurrency.
/// Code that sets the variable itself calls this first, so the cache holds the user's value.
pub fn second_order_requested() -> bool {
    static REQUESTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REQUESTED.get_or_init(|| {
        std::env::var_os("CANDLE_GRAD_DO_NOT_DETACH").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// Whether the twice-differentiable fast ops may run on these tensors: [`OpsMode::Differentiable`]
/// on this thread, or [`OpsMode::Fast`] with a second-order request in the environment, and
/// every tensor an f32 or f64 CPU tensor (all the same).
pub(crate) fn twice_path_for(tensors: &[&Tensor]) -> bool {
    let mode = ops_mode();
    (mode == OpsMode::Differentiable || (mode == OpsMode::Fast && second_order_requested()))
        && float_cpu(tensors)
}

fn float_cpu(tensors: &[&Tensor]) -> bool {
    let Some(first) = tensors.first() else {
        return false;
    };
    let dtype = first.dtype();
    matches!(dtype, DType::F32 | DType::F64)
        && tensors
            .iter()
            .all(|t| matches!(t.device(), Device::Cpu) && t.dtype() == dtype)
}

/// Whether the fast kernels may run on these tensors: fast mode on this thread, no second-order
/// request in the environment, every tensor on the CPU and of dtype f32 or f64 (all the same).
pub(crate) fn fast_path_for(tensors: &[&Tensor]) -> bool {
    ops_mode() == OpsMode::Fast && float_cpu(tensors) && !second_order_requested()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_nest_and_restore() {
        assert_eq!(ops_mode(), OpsMode::Fast);
        {
            let _outer = DifferentiableGuard::new();
            assert_eq!(ops_mode(), OpsMode::Differentiable);
            let inner = differentiable_scope(ops_mode);
            assert_eq!(inner, OpsMode::Differentiable);
            assert_eq!(ops_mode(), OpsMode::Differentiable);
        }
        assert_eq!(ops_mode(), OpsMode::Fast);
    }

    #[test]
    fn only_float_cpu_tensors_take_the_fast_path() -> candle_core::Result<()> {
        let f32s = Tensor::zeros(2, DType::F32, &Device::Cpu)?;
        let f64s = Tensor::zeros(2, DType::F64, &Device::Cpu)?;
        let halves = Tensor::zeros(2, DType::BF16, &Device::Cpu)?;
        if second_order_requested() {
            assert!(!fast_path_for(&[&f32s]));
            return Ok(());
        }
        assert!(fast_path_for(&[&f32s, &f32s]));
        assert!(fast_path_for(&[&f64s]));
        assert!(!fast_path_for(&[&f32s, &f64s]), "mixed dtypes");
        assert!(!fast_path_for(&[&halves]));
        assert!(!differentiable_scope(|| fast_path_for(&[&f32s])));
        assert!(differentiable_scope(|| twice_path_for(&[&f32s])));
        assert!(!stock_scope(
            || twice_path_for(&[&f32s]) || fast_path_for(&[&f32s])
        ));
        assert!(
            !twice_path_for(&[&f32s]),
            "fast mode takes the first-order kernels"
        );
        Ok(())
    }
}
