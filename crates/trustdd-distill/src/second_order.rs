//! Second-order autodiff on candle 0.11.1 without asking the user to set anything.
//!
//! Gradient matching (DC/DSA) differentiates a loss that contains ∇θ, and trajectory matching
//! (MTT) differentiates through unrolled SGD steps. candle 0.11.1 detaches every intermediate
//! gradient during `backward()` unless `CANDLE_GRAD_DO_NOT_DETACH` is set (non-empty, not "0");
//! the variable is read into a THREAD-LOCAL the first time a thread runs backward and never again.
//! With the default, the second-order gradient is silently wrong (tests/second_order.rs shows it).
//!
//! [`run`] therefore executes second-order work on a fresh worker thread that sets the variable,
//! forces candle's thread-local to read it with a one-element backward, restores the previous
//! value (so other threads, and candle's memory use elsewhere, are unaffected), and then runs the
//! work in [`OpsMode::Differentiable`](trustdd_nn::ops::OpsMode) because the fast CPU kernels of
//! `trustdd-nn` are custom ops whose backward is not differentiable again.
//!
//! The set/restore window is guarded by a process-wide lock so concurrent workers cannot restore
//! each other's value. During that window (microseconds) `std::env::var` in another thread sees
//! the variable too; the only readers are candle (another thread starting its first backward
//! would keep the graph: correct results, more memory) and `trustdd-nn`'s fast-path switch (which
//! then takes the stock ops: correct, slower).

use crate::{DistillError, Result};
use candle_core::{Device, Var};
use std::sync::Mutex;

const DO_NOT_DETACH: &str = "CANDLE_GRAD_DO_NOT_DETACH";

/// Stack of the worker: candle's backward walks the graph recursively, and an unrolled MTT graph
/// is deep. The size is reserved address space; only touched pages use memory.
const WORKER_STACK_BYTES: usize = 1 << 30;

static ENV_LOCK: Mutex<()> = Mutex::new(());

/// Runs `work` on a worker thread where candle keeps the graph of backward passes and
/// `trustdd-nn` uses its twice-differentiable ops; returns its result.
///
/// Tensors may be passed in and out (they are `Send`); detach results that should not carry the
/// worker's graph further.
///
/// # Errors
/// [`DistillError::Worker`] when the thread cannot be spawned; otherwise whatever `work` returns.
/// A panic inside `work` is resumed on the caller's thread.
pub fn run<R: Send>(work: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("trustdd-second-order".into())
            .stack_size(WORKER_STACK_BYTES)
            .spawn_scoped(scope, || {
                keep_graph_on_this_thread()?;
                let _mode = trustdd_nn::ops::DifferentiableGuard::new();
                work()
            })
            .map_err(|e| DistillError::Worker(e.to_string()))?;
        handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Makes candle's thread-local "do not detach" flag true on the calling thread (a no-op if this
/// thread already ran a backward: the flag is then fixed for the thread's life).
fn keep_graph_on_this_thread() -> Result<()> {
    // A poisoned lock only means another worker panicked while holding it; the guard protects
    // no data, so carry on.
    let _lock = ENV_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    // Fix the fast path's reading of the user's environment before the variable changes.
    trustdd_nn::ops::second_order_requested();
    let previous = std::env::var_os(DO_NOT_DETACH);
    std::env::set_var(DO_NOT_DETACH, "1");
    let forced = Var::new(1f32, &Device::Cpu)
        .and_then(|v| v.as_tensor().sqr())
        .and_then(|t| t.backward());
    match previous {
        Some(v) => std::env::set_var(DO_NOT_DETACH, v),
        None => std::env::remove_var(DO_NOT_DETACH),
    }
    forced?;
    Ok(())
}
