//! Second-order autodiff on candle 0.11.1 without asking the user to set anything.
//!
//! Gradient matching (DC/DSA) differentiates a loss that contains ∇θ, and trajectory matching
//! (MTT) differentiates through unrolled SGD steps. candle 0.11.1 detaches every intermediate
//! gradient during `backward()` unless `CANDLE_GRAD_DO_NOT_DETACH` is set (non-empty, not "0");
//! the variable is read into a THREAD-LOCAL the first time a thread runs backward and never again.
//! With the default, the second-order gradient is silently wrong (tests/second_order.rs shows it).
//!
//! [`run`] therefore executes second-order work on a worker thread that sets the variable,
//! forces candle's thread-local to read it with a one-element backward, restores the previous
//! value (so other threads, and candle's memory use elsewhere, are unaffected), and then runs the
//! work in [`OpsMode::Differentiable`](trustdd_nn::ops::OpsMode) because the fused first-order
//! kernels of `trustdd-nn` have a backward that is not differentiable again.
//!
//! The worker is persistent: one per calling thread, started at its first call and joined when
//! the calling thread ends. A fresh thread per call (as before) gave every gradient-matching
//! step a fresh allocator heap, so the kernel zeroed every page the step touched again: 26% of
//! a DC step's time (docs/performance.md).
//!
//! The set/restore window is guarded by a process-wide lock so concurrent workers cannot restore
//! each other's value. During that window (microseconds) `std::env::var` in another thread sees
//! the variable too; the only readers are candle (another thread starting its first backward
//! would keep the graph: correct results, more memory) and `trustdd-nn`'s fast-path switch (which
//! reads it once per process, before the first change).

use crate::{DistillError, Result};
use candle_core::{Device, Var};
use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Mutex;

const DO_NOT_DETACH: &str = "CANDLE_GRAD_DO_NOT_DETACH";

/// Stack of the worker: candle's backward walks the graph recursively, and an unrolled MTT graph
/// is deep. The size is reserved address space; only touched pages use memory.
const WORKER_STACK_BYTES: usize = 1 << 30;

static ENV_LOCK: Mutex<()> = Mutex::new(());

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The calling thread's worker: a job queue and the thread draining it.
struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the queue ends the worker's loop; every queued job has run by then.
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

fn start_worker() -> Result<Worker> {
    let (tx, rx) = mpsc::channel::<Job>();
    let (ready_tx, ready_rx) = mpsc::channel::<Result<()>>();
    let thread = std::thread::Builder::new()
        .name("trustdd-second-order".into())
        .stack_size(WORKER_STACK_BYTES)
        .spawn(move || {
            let primed = keep_graph_on_this_thread();
            let ok = primed.is_ok();
            let _ = ready_tx.send(primed);
            if ok {
                for job in rx {
                    job();
                }
            }
        })
        .map_err(|e| trustdd_core::Error::from(DistillError::Worker(e.to_string())))?;
    ready_rx.recv().map_err(|_| {
        trustdd_core::Error::from(DistillError::Worker(
            "the second-order worker did not start".into(),
        ))
    })??;
    Ok(Worker {
        jobs: Some(tx),
        thread: Some(thread),
    })
}

/// A job's closure and the channel its result goes back on. Fields drop in declaration order,
/// so a job that is dropped without running releases `work` (and whatever it borrows) before
/// the sender, whose drop is what lets [`run`] return.
struct Payload<W, R> {
    work: Option<W>,
    done: mpsc::Sender<std::thread::Result<R>>,
}

/// Runs `work` on this thread's second-order worker, where candle keeps the graph of backward
/// passes and `trustdd-nn` uses its twice-differentiable ops; returns its result.
///
/// Tensors may be passed in and out (they are `Send`); detach results that should not carry the
/// worker's graph further. Calls from the worker itself (nested work) get a worker of their own.
///
/// # Errors
/// [`DistillError::Worker`] when the worker cannot be started; otherwise whatever `work`
/// returns. A panic inside `work` is resumed on the caller's thread.
pub fn run<R: Send>(work: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    let (done, result) = mpsc::channel();
    let mut payload = Payload {
        work: Some(work),
        done,
    };
    let job = move || {
        let work = payload.work.take().expect("a job runs once");
        let _mode = trustdd_nn::ops::DifferentiableGuard::new();
        let out = catch_unwind(AssertUnwindSafe(work));
        let _ = payload.done.send(out);
    };
    let job: Box<dyn FnOnce() + Send + '_> = Box::new(job);
    // SAFETY: the job borrows from the caller's frame ('_). This function does not return before
    // the job is finished with those borrows: it blocks on `result` until the job sends its
    // output (after `work` has been consumed) or until the job is dropped unrun, in which case
    // `Payload` drops `work` before `done` (declaration order), and `recv` only fails once `done`
    // is gone. The worker never drops a queued job without running it: its loop drains the queue
    // until this thread's `Worker` closes it.
    let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
    WORKER.with(|cell| -> Result<()> {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(start_worker()?);
        }
        let queue = slot.as_ref().and_then(|w| w.jobs.as_ref());
        queue
            .expect("a started worker has a queue")
            .send(job)
            .map_err(|_| {
                trustdd_core::Error::from(DistillError::Worker(
                    "the second-order worker has stopped".into(),
                ))
            })
    })?;
    match result.recv() {
        Ok(Ok(out)) => out,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => Err(trustdd_core::Error::from(DistillError::Worker(
            "the second-order worker dropped a job".into(),
        ))),
    }
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
