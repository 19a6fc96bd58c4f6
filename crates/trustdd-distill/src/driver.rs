//! The driver: runs an objective for a number of iterations with evaluation and checkpoints.

use crate::checkpoint::{self, CheckpointSpec, RunState};
use crate::Result;
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use trustdd_core::{
    DistillContext, DistillObjective, ImageDataset, Progress, ProgressEvent, RealSampler,
    SyntheticLabels, SyntheticSet, TrustRng,
};
use trustdd_train::{evaluate_synthetic, EvalConfig, EvalReport, Targets};

/// Driver settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriverConfig {
    /// Distillation iterations (default 1000).
    pub iterations: usize,
    /// Evaluate every this many iterations (0: only at the end, when `final_eval`).
    pub eval_every: usize,
    /// Evaluate after the last iteration (default true; needs a test set).
    pub final_eval: bool,
    /// Write a checkpoint every this many iterations (0: never); the last iteration always
    /// writes one when checkpointing is on.
    pub checkpoint_every: usize,
    /// The evaluation protocol.
    pub eval: EvalConfig,
    /// Seed of every evaluation (network inits, batches, augmentation).
    pub eval_seed: u64,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            iterations: 1000,
            eval_every: 0,
            final_eval: true,
            checkpoint_every: 0,
            eval: EvalConfig::default(),
            eval_seed: 0,
        }
    }
}

impl DriverConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error for zero iterations or a bad evaluation config.
    pub fn validate(&self) -> Result<()> {
        if self.iterations == 0 {
            return Err(trustdd_core::Error::invalid("iterations", 0, "at least 1"));
        }
        self.eval.validate()?;
        Ok(())
    }
}

/// One evaluation during a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    /// Iterations completed when it ran.
    pub iteration: usize,
    /// Its results.
    pub report: EvalReport,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistillReport {
    /// The objective's name.
    pub objective: String,
    /// Iterations completed.
    pub iterations: usize,
    /// Iteration the run resumed from, if it loaded a checkpoint.
    pub resumed_from: Option<usize>,
    /// Loss of every iteration (including those before a resume).
    pub losses: Vec<f64>,
    /// Seconds spent in objective steps in this process (not serialised: report files must not
    /// depend on the machine's speed).
    #[serde(skip)]
    pub distill_seconds: f64,
    /// Seconds spent evaluating in this process (not serialised either).
    #[serde(skip)]
    pub eval_seconds: f64,
    /// Evaluations in order.
    pub evaluations: Vec<EvalPoint>,
    /// The learning rate the objective learnt and reported (MTT's α), if any: what a set file
    /// records for later evaluations.
    pub learnt_lr: Option<f64>,
    /// Learning rate evaluation used (the rate the objective last reported in its
    /// [`StepReport`](trustdd_core::StepReport), else the eval config's).
    pub eval_lr: f64,
}

/// Runs objectives; see [`Driver::run`].
#[derive(Debug, Clone)]
pub struct Driver {
    config: DriverConfig,
    checkpoint: Option<CheckpointSpec>,
}

impl Driver {
    /// A driver with `config` (validated) and optional checkpointing.
    ///
    /// # Errors
    /// As [`DriverConfig::validate`].
    pub fn new(config: DriverConfig, checkpoint: Option<CheckpointSpec>) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, checkpoint })
    }

    /// Runs `objective` on `syn` for the configured iterations, drawing all randomness from
    /// `rng`. If the checkpoint file exists, the run first resumes from it (same configuration
    /// required), which gives exactly the synthetic set of an uninterrupted run.
    ///
    /// Emits `("distill", iteration, iterations, [loss])` after each iteration, and the
    /// evaluation's own events.
    ///
    /// # Errors
    /// [`crate::DistillError::CheckpointMismatch`]; objective, evaluation and I/O errors.
    pub fn run(
        &self,
        objective: &mut dyn DistillObjective,
        syn: &mut SyntheticSet,
        real: &dyn RealSampler,
        test: Option<&ImageDataset>,
        rng: &mut TrustRng,
        progress: &dyn Progress,
    ) -> Result<DistillReport> {
        let cfg = &self.config;
        let mut state = RunState {
            iteration: 0,
            rng: rng.clone(),
            losses: Vec::new(),
            evaluations: Vec::new(),
            eval_lr: None,
        };
        let mut resumed_from = None;
        if let Some(spec) = self.checkpoint.as_ref().filter(|s| s.path.exists()) {
            state = checkpoint::load(spec, syn, objective, real.device())?;
            resumed_from = Some(state.iteration);
        }
        let (mut distill_seconds, mut eval_seconds) = (0.0, 0.0);
        while state.iteration < cfg.iterations {
            let start = Instant::now();
            let ctx = DistillContext {
                real,
                iteration: state.iteration,
                progress,
            };
            let step = objective.step(syn, &ctx, &mut state.rng)?;
            distill_seconds += start.elapsed().as_secs_f64();
            state.losses.push(step.loss);
            state.eval_lr = step.eval_lr.or(state.eval_lr);
            state.iteration += 1;
            progress.report(ProgressEvent {
                stage: "distill",
                done: state.iteration as u64,
                total: cfg.iterations as u64,
                metrics: &[("loss", step.loss)],
            });
            let last = state.iteration == cfg.iterations;
            let periodic = cfg.eval_every > 0 && state.iteration % cfg.eval_every == 0;
            if let Some(test) = test.filter(|_| periodic || (last && cfg.final_eval)) {
                let start = Instant::now();
                let report = self.evaluate(state.eval_lr, syn, test, real.device(), progress)?;
                eval_seconds += start.elapsed().as_secs_f64();
                state.evaluations.push(EvalPoint {
                    iteration: state.iteration,
                    report,
                });
            }
            if let Some(spec) = &self.checkpoint {
                let due = cfg.checkpoint_every > 0 && state.iteration % cfg.checkpoint_every == 0;
                if due || last {
                    checkpoint::save(spec, syn, objective, &state)?;
                }
            }
        }
        *rng = state.rng;
        Ok(DistillReport {
            objective: objective.name(),
            iterations: state.iteration,
            resumed_from,
            losses: state.losses,
            distill_seconds,
            eval_seconds,
            evaluations: state.evaluations,
            learnt_lr: state.eval_lr,
            eval_lr: state.eval_lr.unwrap_or(cfg.eval.train.lr),
        })
    }

    fn evaluate(
        &self,
        learnt_lr: Option<f64>,
        syn: &SyntheticSet,
        test: &ImageDataset,
        device: &Device,
        progress: &dyn Progress,
    ) -> Result<EvalReport> {
        let mut eval = self.config.eval.clone();
        if let Some(lr) = learnt_lr {
            eval.train.lr = lr;
        }
        evaluate_set(syn, test, &eval, self.config.eval_seed, device, progress)
    }
}

/// Trains fresh networks on `syn` (hard labels, or the softmax of soft ones) and tests them on
/// `test` ([`evaluate_synthetic`]).
///
/// # Errors
/// Evaluation errors.
pub fn evaluate_set(
    syn: &SyntheticSet,
    test: &ImageDataset,
    eval: &EvalConfig,
    seed: u64,
    device: &Device,
    progress: &dyn Progress,
) -> Result<EvalReport> {
    let targets = match &syn.labels {
        SyntheticLabels::Hard(l) => Targets::hard(l, device)?,
        SyntheticLabels::Soft(v) => Targets::soft_from_logits(v.as_tensor())?,
    };
    let images = syn.images.as_tensor().detach();
    evaluate_synthetic(&images, &targets, test, eval, seed, device, progress)
}
