//! Progress reporting: libraries never print; they emit events a front end renders.

/// One progress update from a long-running stage.
#[derive(Debug, Clone, Copy)]
pub struct ProgressEvent<'a> {
    /// The stage, for example `"train"`, `"distill"` or `"evaluate"`.
    pub stage: &'a str,
    /// Steps completed so far.
    pub done: u64,
    /// Total steps in the stage (0 when unknown).
    pub total: u64,
    /// Named figures at this point, for example `[("loss", 0.31)]`.
    pub metrics: &'a [(&'a str, f64)],
}

/// Receives progress events. Closures `Fn(ProgressEvent)` implement it.
pub trait Progress: Send + Sync {
    /// Called after each step of a stage.
    fn report(&self, event: ProgressEvent<'_>);
}

impl<F: Fn(ProgressEvent<'_>) + Send + Sync> Progress for F {
    fn report(&self, event: ProgressEvent<'_>) {
        self(event)
    }
}

/// A [`Progress`] that discards every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn report(&self, _event: ProgressEvent<'_>) {}
}
