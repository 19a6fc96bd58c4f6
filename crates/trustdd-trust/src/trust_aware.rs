//! [`TrustAware`]: diverts any distillation objective to the trusted data (ALGORITHMS.md §6,
//! "Diversion"): every `refresh_every` iterations the partitioner refits and the objective's
//! real sampler becomes the trusted samples grouped by working label.

use crate::error::{Result, TrustError};
use crate::state::StatefulPartitioner;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::sync::Arc;
use trustdd_core::{
    DatasetSampler, DistillContext, DistillObjective, ImageDataset, PartitionContext, StepReport,
    SyntheticSet, TrustRng,
};
use trustdd_distill::Objective;

const INNER: &str = "inner.";
const PARTITIONER: &str = "partitioner.";

/// Wraps an objective `O` (a concrete one, or `dyn Objective`) with a partitioner.
///
/// Refit `r` (at iteration `r·refresh_every`) draws from `TrustRng::for_item(seed, r)`, never
/// from the distillation stream, so the objective sees the same random numbers as without the
/// wrapper and a resumed run refits exactly as an uninterrupted one. The checkpointed state is
/// the inner objective's (`inner.*`) and the partitioner's (`partitioner.*`, which includes the
/// current partition).
pub struct TrustAware<O: ?Sized> {
    inner: Box<O>,
    partitioner: Box<dyn StatefulPartitioner>,
    dataset: Arc<ImageDataset>,
    device: Device,
    refresh_every: usize,
    seed: u64,
    sampler: Option<DatasetSampler>,
    partitioner_state: Vec<(String, Tensor)>,
    primed: bool,
}

impl<O: Objective + ?Sized> TrustAware<O> {
    /// Wraps `inner`; the partitioner refits every `refresh_every` (≥ 1) iterations on `dataset`.
    ///
    /// A partitioner that already holds a partition (the caller ran round 0 first, for example
    /// to initialise the synthetic set from trusted images) is not refitted at iteration 0.
    ///
    /// # Errors
    /// An invalid-parameter error for `refresh_every = 0`; the partitioner's state errors.
    pub fn new(
        inner: Box<O>,
        partitioner: Box<dyn StatefulPartitioner>,
        dataset: Arc<ImageDataset>,
        device: Device,
        refresh_every: usize,
        seed: u64,
    ) -> Result<Self> {
        if refresh_every == 0 {
            return Err(TrustError::invalid(
                "refresh_every",
                0,
                "at least 1 iteration",
            ));
        }
        let partitioner_state = partitioner.state()?;
        let primed = partitioner.partition().is_some();
        Ok(Self {
            inner,
            partitioner,
            dataset,
            device,
            refresh_every,
            seed,
            sampler: None,
            partitioner_state,
            primed,
        })
    }

    /// The partitioner (for its partition and report).
    pub fn partitioner(&self) -> &dyn StatefulPartitioner {
        self.partitioner.as_ref()
    }

    /// The wrapped objective.
    pub fn inner(&self) -> &O {
        &self.inner
    }

    fn step_impl(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<StepReport> {
        let due = ctx.iteration % self.refresh_every == 0 && !(self.primed && ctx.iteration == 0);
        if due || self.partitioner.partition().is_none() {
            let round = ctx.iteration / self.refresh_every;
            let pctx = PartitionContext {
                dataset: &self.dataset,
                device: &self.device,
                round,
                progress: ctx.progress,
            };
            self.partitioner
                .observe(&pctx, &mut TrustRng::for_item(self.seed, round as u64))?;
            self.partitioner_state = self.partitioner.state()?;
            self.sampler = None;
        }
        let sampler = match self.sampler.take() {
            Some(s) => s,
            None => {
                let partition = self.partitioner.partition().ok_or_else(|| {
                    TrustError::invalid(
                        "partitioner",
                        self.partitioner.name(),
                        "a partition after observe",
                    )
                })?;
                DatasetSampler::from_partition(
                    self.dataset.clone(),
                    partition,
                    self.device.clone(),
                )?
            }
        };
        let inner_ctx = DistillContext {
            real: &sampler,
            iteration: ctx.iteration,
            progress: ctx.progress,
        };
        let report = self.inner.step(syn, &inner_ctx, rng);
        self.sampler = Some(sampler);
        Ok(report?)
    }
}

impl<O: Objective + ?Sized> DistillObjective for TrustAware<O> {
    fn name(&self) -> String {
        format!("{}+{}", self.inner.name(), self.partitioner.name())
    }
    fn step(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> trustdd_core::Result<StepReport> {
        Ok(self.step_impl(syn, ctx, rng)?)
    }
}

impl<O: Objective + ?Sized> Objective for TrustAware<O> {
    fn state(&self) -> Vec<(String, Tensor)> {
        let inner = self
            .inner
            .state()
            .into_iter()
            .map(|(k, t)| (format!("{INNER}{k}"), t));
        let part = self
            .partitioner_state
            .iter()
            .map(|(k, t)| (format!("{PARTITIONER}{k}"), t.clone()));
        inner.chain(part).collect()
    }

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> trustdd_distill::Result<()> {
        let (mut inner, mut part) = (HashMap::new(), HashMap::new());
        for (k, t) in state {
            if let Some(short) = k.strip_prefix(INNER) {
                inner.insert(short.to_string(), t.clone());
            } else if let Some(short) = k.strip_prefix(PARTITIONER) {
                part.insert(short.to_string(), t.clone());
            } else {
                return Err(TrustError::invalid(
                    "trust-aware state tensor",
                    k,
                    "an inner.* or partitioner.* name",
                )
                .into());
            }
        }
        self.inner.load_state(&inner)?;
        self.partitioner.load_state(&part)?;
        self.partitioner_state = self.partitioner.state()?;
        self.sampler = None;
        Ok(())
    }

    fn eval_lr(&self) -> Option<f64> {
        self.inner.eval_lr()
    }
}
