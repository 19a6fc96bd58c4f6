//! [`TrustAware`]: diverts any distillation objective to the trusted data (ALGORITHMS.md §6,
//! "Diversion"): every `refresh_every` iterations the partitioner refits and the objective's
//! real sampler becomes the trusted samples grouped by working label (or, with
//! [`Diversion::Soft`], those and the others at their clean weights).

use crate::soft_diversion::{diverted_sampler, Diversion};
use crate::RoundSeeds;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::sync::Arc;
use trustdd_core::{
    observe_round, DistillContext, DistillObjective, Error, ImageDataset, PartitionContext,
    PartitionRound, Progress, RealSampler, Result, StepReport, SyntheticSet, TrustPartitioner,
    TrustRng,
};

const INNER: &str = "inner.";
const PARTITIONER: &str = "partitioner.";

/// An objective with a partitioner in front of its real data.
///
/// Refit `r` (at iteration `r·refresh_every`) draws from `TrustRng::for_item(seed, r)`, never
/// from the distillation stream, so the objective sees the same random numbers as without the
/// wrapper and a resumed run refits exactly as an uninterrupted one. The checkpointed state is
/// the inner objective's (`inner.*`) and the partitioner's (`partitioner.*`).
pub struct TrustAware {
    inner: Box<dyn DistillObjective>,
    partitioner: Box<dyn TrustPartitioner>,
    dataset: Arc<ImageDataset>,
    device: Device,
    refresh_every: usize,
    seed: u64,
    diversion: Diversion,
    sampler: Option<Box<dyn RealSampler>>,
    partitioner_state: Vec<(String, Tensor)>,
    primed: bool,
    rounds: Vec<PartitionRound>,
}

impl TrustAware {
    /// Wraps `inner`; the partitioner refits every `refresh_every` (≥ 1) iterations on `dataset`.
    ///
    /// A partitioner that already holds a partition (the pipeline ran its warm-up rounds first,
    /// to initialise the synthetic set from trusted images) is not refitted at iteration 0.
    ///
    /// # Errors
    /// An invalid-parameter error for `refresh_every = 0`; the partitioner's state errors.
    pub fn new(
        inner: Box<dyn DistillObjective>,
        partitioner: Box<dyn TrustPartitioner>,
        dataset: Arc<ImageDataset>,
        device: Device,
        refresh_every: usize,
        seed: u64,
    ) -> Result<Self> {
        if refresh_every == 0 {
            return Err(Error::invalid("refresh_every", 0, "at least 1 iteration"));
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
            diversion: Diversion::Hard,
            sampler: None,
            partitioner_state,
            primed,
            rounds: Vec::new(),
        })
    }

    /// The same wrapper handing the objective its partition by `diversion` (default
    /// [`Diversion::Hard`]).
    pub fn with_diversion(mut self, diversion: Diversion) -> Self {
        self.diversion = diversion;
        self.sampler = None;
        self
    }

    /// The partitioner (for its partition).
    pub fn partitioner(&self) -> &dyn TrustPartitioner {
        self.partitioner.as_ref()
    }

    /// The refits this wrapper ran, in order (rounds of a resumed run's earlier process are
    /// not repeated).
    pub fn rounds(&self) -> &[PartitionRound] {
        &self.rounds
    }
}

impl DistillObjective for TrustAware {
    fn name(&self) -> String {
        format!("{}+{}", self.inner.name(), self.partitioner.name())
    }

    fn step(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<StepReport> {
        let due = ctx.iteration % self.refresh_every == 0 && !(self.primed && ctx.iteration == 0);
        if due || self.partitioner.partition().is_none() {
            let round = ctx.iteration / self.refresh_every;
            let report = fit_round(
                self.partitioner.as_mut(),
                &self.dataset,
                &self.device,
                round,
                &mut TrustRng::for_item(self.seed, round as u64),
                ctx.progress,
            )?;
            self.rounds.push(report);
            self.partitioner_state = self.partitioner.state()?;
            self.sampler = None;
        }
        let sampler = match self.sampler.take() {
            Some(s) => s,
            None => diverted_sampler(
                self.diversion,
                self.partitioner.as_ref(),
                self.dataset.clone(),
                self.device.clone(),
            )?,
        };
        let inner_ctx = DistillContext {
            real: sampler.as_ref(),
            iteration: ctx.iteration,
            progress: ctx.progress,
        };
        let report = self.inner.step(syn, &inner_ctx, rng);
        self.sampler = Some(sampler);
        report
    }

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

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let (mut inner, mut part) = (HashMap::new(), HashMap::new());
        for (k, t) in state {
            if let Some(short) = k.strip_prefix(INNER) {
                inner.insert(short.to_string(), t.clone());
            } else if let Some(short) = k.strip_prefix(PARTITIONER) {
                part.insert(short.to_string(), t.clone());
            } else {
                return Err(Error::invalid(
                    "trust-aware state tensor",
                    k,
                    "an inner.* or partitioner.* name",
                ));
            }
        }
        self.inner.load_state(&inner)?;
        self.partitioner.load_state(&part)?;
        self.partitioner_state = self.partitioner.state()?;
        self.sampler = None;
        Ok(())
    }
}

/// Fits one partition round (`round` as the partitioner sees it) from `rng`: the one code path
/// of [`TrustAware`]'s refits, the warm-up rounds, MTT's expert refits and
/// [`crate::Pipeline::partition`].
pub(crate) fn fit_round(
    partitioner: &mut dyn TrustPartitioner,
    dataset: &ImageDataset,
    device: &Device,
    round: usize,
    rng: &mut TrustRng,
    progress: &dyn Progress,
) -> Result<PartitionRound> {
    let ctx = PartitionContext {
        dataset,
        device,
        round,
        progress,
    };
    observe_round(partitioner, &ctx, rng)
}

/// The rounds `0..rounds` of a run (its warm-up rounds before the synthetic set is
/// initialised, or the first rounds of `trustdd partition`), round `r` from `seeds.rng(r)`.
pub(crate) fn fit_rounds(
    partitioner: &mut dyn TrustPartitioner,
    dataset: &ImageDataset,
    device: &Device,
    seeds: &RoundSeeds,
    rounds: usize,
    progress: &dyn Progress,
) -> Result<Vec<PartitionRound>> {
    (0..rounds)
        .map(|r| fit_round(partitioner, dataset, device, r, &mut seeds.rng(r), progress))
        .collect()
}

/// Numbers a run's rounds 0, 1, … in order: warm-up rounds and refits count from their own
/// starts, a report counts the run's refits.
pub(crate) fn number_rounds(rounds: &mut [PartitionRound]) {
    for (k, r) in rounds.iter_mut().enumerate() {
        r.round = k;
    }
}
