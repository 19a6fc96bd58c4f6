//! [`CrossFit`]: a trust partition from cross-fitted proxies and Bayes' clean posterior, the
//! partitioner issue 18 built for class-conditional noise (docs/algorithms.md §5).
//!
//! Why not TAD's loss split: under 40% pair swaps a calibrated proxy puts a swapped class's
//! right and wrong labels only `ln((1−ρ)/ρ) = 0.41` nats apart, so no per-class threshold on
//! the loss separates them. What does:
//!
//! 1. **Cross-fitting** (INCV, Chen et al. ICML 2019): the samples are shuffled into folds, and
//!    each fold is scored by proxies trained on the other folds, so no score comes from a network
//!    that memorised the sample's label ([`heldout_probabilities`]).
//! 2. **A transition estimate** from the first iteration's held-out rows (anchor points,
//!    [`Transition::estimate`]), and each sample's **clean posterior** under it: the first
//!    iteration's rows backward-corrected (the proxies learnt the noisy labels), later ones used
//!    as they are (their proxies trained on a cleaned set) ([`Transition::clean_posterior`]).
//! 3. **INCV's iterations**: the second iteration trains on the first's kept set (TAD's
//!    class-wise split of the held-out losses where the held-out proxy predicts the observed
//!    label), later ones on the last posterior ≥ `select`, each class resampled to its size.
//! 4. **The cut**: the partition trusts the samples whose posterior of the observed label is ≥
//!    `cut` ([`bayes_split`]); every class is then topped up to `min_trusted_per_class`
//!    ([`top_up`]). Each sample's posterior is also its clean weight, so `trust.diversion =
//!    "soft"` draws the untrusted samples at it.
//!
//! Deviations from INCV, each measured in docs/results.md (issue 18): the kept set is TAD's
//! split ∧ agreement and then the Bayes set, not INCV's agreement alone; classes are resampled
//! back to their sizes; there is no co-teaching stage (the set goes to distillation, not to a
//! final classifier).
//!
//! The first `observe` runs every iteration; a later one (a refit during distillation) runs
//! `refit_iterations` more, each on the last posterior ≥ `select`, and cuts again, or keeps the
//! partition when that is 0.

use crate::bayes_split::bayes_split;
use crate::class_split::{split_classes, SplitInput};
use crate::error::Result;
use crate::losses::{argmax, margin};
use crate::tad::top_up;
use crate::transition::Transition;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use trustdd_core::{
    ClassSplitView, Figure, ImageDataset, PartitionContext, SplitView, TrustPartition,
    TrustPartitioner, TrustRng,
};

mod checkpoint;
mod config;
mod folds;

pub use config::CrossFitConfig;
pub use folds::heldout_probabilities;

/// One cross-fitting iteration, as reported in [`CrossFitDiagnostics`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossFitIteration {
    /// Counted over the run, from 1.
    pub iteration: usize,
    /// Samples the proxies trained on (before resampling).
    pub trained_on: usize,
    /// Share of samples whose held-out prediction is their observed label.
    pub agreement: f64,
    /// Share whose held-out prediction is their clean label (only when clean labels are known:
    /// a diagnostic, never an input).
    pub accuracy: Option<f64>,
    /// Samples the next iteration trains on.
    pub kept: usize,
}

/// What one [`CrossFit`] round did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossFitDiagnostics {
    /// The round (0 for the first `observe`).
    pub round: usize,
    /// The iterations this round ran (none in a round that kept the partition).
    pub iterations: Vec<CrossFitIteration>,
    /// The transition estimate the posteriors are taken under.
    pub transition: Transition,
    /// Trusted samples.
    pub trusted: usize,
    /// Samples trusted under another class than their observed one (`relabel`).
    pub recalled: usize,
    /// Samples each class was topped up with.
    pub topped_up: Vec<usize>,
}

/// What the rounds so far established.
#[derive(Debug, Clone, PartialEq)]
struct Fitted {
    /// The transition estimate of the first iteration.
    transition: Transition,
    /// The last iteration's clean posterior, `n × classes`.
    posterior: Vec<f64>,
    /// The last iteration's held-out losses of the observed labels (the top-up's order).
    losses: Vec<f64>,
    /// The samples the next iteration trains on.
    kept: Vec<bool>,
    partition: TrustPartition,
    /// Iterations run so far.
    iterations: usize,
}

/// The cross-fitted Bayes partitioner. Draws every random choice from the `rng` given to
/// `observe`.
#[derive(Debug, Clone)]
pub struct CrossFit {
    config: CrossFitConfig,
    fitted: Option<Fitted>,
    rounds: usize,
    diagnostics: Vec<CrossFitDiagnostics>,
}

/// One iteration's held-out figures.
struct Scored {
    posterior: Vec<f64>,
    losses: Vec<f64>,
    margins: Vec<f64>,
    agreement: f64,
    accuracy: Option<f64>,
}

impl CrossFit {
    /// Validates `config`.
    ///
    /// # Errors
    /// As [`CrossFitConfig::validate`].
    pub fn new(config: CrossFitConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            fitted: None,
            rounds: 0,
            diagnostics: Vec::new(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &CrossFitConfig {
        &self.config
    }

    /// One record per completed round.
    pub fn diagnostics(&self) -> &[CrossFitDiagnostics] {
        &self.diagnostics
    }

    /// The last iteration's clean posterior (`n × classes`, row-major), once fitted.
    pub fn posterior(&self) -> Option<&[f64]> {
        self.fitted.as_ref().map(|f| f.posterior.as_slice())
    }

    /// Held-out rows of one iteration and the posterior under `transition` (estimated from
    /// these rows and backward-corrected when `None`).
    fn score(
        &self,
        ctx: &PartitionContext<'_>,
        selected: Option<&[bool]>,
        transition: Option<&Transition>,
        rng: &mut TrustRng,
    ) -> Result<(Scored, Transition)> {
        let ds = ctx.dataset;
        let (n, k, observed) = (ds.len(), ds.num_classes(), ds.labels());
        let probs = folds::heldout_probabilities(&self.config, ctx, observed, selected, rng)?;
        let (transition, noisy_trained) = match transition {
            Some(t) => (t.clone(), false),
            None => (
                Transition::estimate(&probs, k, self.config.anchor_quantile)?,
                true,
            ),
        };
        let posterior = transition.clean_posterior(&probs, observed, noisy_trained)?;
        let rows: Vec<&[f64]> = probs.chunks(k).collect();
        let mut losses = Vec::with_capacity(n);
        let mut margins = Vec::with_capacity(n);
        for (row, &y) in rows.iter().zip(observed) {
            losses.push(-row[y as usize].max(1e-12).ln());
            margins.push(margin(row, y as usize));
        }
        let share = |hits: usize| hits as f64 / n as f64;
        let agreement = share(margins.iter().filter(|&&m| m > 0.0).count());
        let accuracy = ds.clean_labels().map(|clean| {
            share(
                rows.iter()
                    .zip(clean)
                    .filter(|(row, &c)| argmax(row) == c as usize)
                    .count(),
            )
        });
        let scored = Scored {
            posterior,
            losses,
            margins,
            agreement,
            accuracy,
        };
        Ok((scored, transition))
    }

    /// Runs `count` iterations after those `fitted` holds the outcome of (none when `None`), and
    /// returns the new outcome (partition not yet cut) with the iterations' records; `fitted`
    /// itself is left as it was, so a failed refit keeps the last partition.
    fn iterate(
        &self,
        ctx: &PartitionContext<'_>,
        fitted: Option<&Fitted>,
        count: usize,
        rng: &mut TrustRng,
    ) -> Result<(Fitted, Vec<CrossFitIteration>)> {
        let ds = ctx.dataset;
        let (n, k, observed) = (ds.len(), ds.num_classes(), ds.labels());
        let mut state = fitted.cloned();
        let mut records = Vec::with_capacity(count);
        for _ in 0..count {
            let selected = state.as_ref().map(|f| f.kept.clone());
            let done = state.as_ref().map_or(0, |f| f.iterations);
            let (scored, transition) = self.score(
                ctx,
                selected.as_deref(),
                state.as_ref().map(|f| &f.transition),
                rng,
            )?;
            let kept = if done == 0 {
                // The first iteration's posterior is backward-corrected from proxies that
                // learnt the noisy labels, the least reliable one (90.8% precise at 0.5 under
                // `idn:0.4`): the next proxies train on TAD's split where the held-out proxy
                // agrees with the label instead.
                let input = SplitInput {
                    losses: &scored.losses,
                    margins: &scored.margins,
                };
                let (split, _) = split_classes(input, observed, k, &self.config.split)?;
                (0..n)
                    .map(|i| split[i] && scored.margins[i] > 0.0)
                    .collect()
            } else {
                self.above_select(&scored.posterior, observed, k)
            };
            records.push(CrossFitIteration {
                iteration: done + 1,
                trained_on: selected.map_or(n, |s| s.iter().filter(|&&t| t).count()),
                agreement: scored.agreement,
                accuracy: scored.accuracy,
                kept: kept.iter().filter(|&&t| t).count(),
            });
            state = Some(Fitted {
                transition,
                posterior: scored.posterior,
                losses: scored.losses,
                kept,
                partition: TrustPartition::all_trusted(observed),
                iterations: done + 1,
            });
        }
        let state = state
            .ok_or_else(|| trustdd_core::Error::invalid("cross-fit iterations", 0, "at least 1"))?;
        Ok((state, records))
    }

    /// `posterior(observed) ≥ select` for every sample.
    fn above_select(&self, posterior: &[f64], observed: &[u32], k: usize) -> Vec<bool> {
        posterior
            .chunks(k)
            .zip(observed)
            .map(|(row, &y)| row[y as usize] >= self.config.select)
            .collect()
    }

    fn observe_impl(&mut self, ctx: &PartitionContext<'_>, rng: &mut TrustRng) -> Result<()> {
        let ds = ctx.dataset;
        let (n, k, observed) = (ds.len(), ds.num_classes(), ds.labels());
        if n == 0 {
            return Err(trustdd_core::Error::NotEnough {
                what: "cross-fit dataset".into(),
                requested: 1,
                available: 0,
            });
        }
        if let Some(f) = &self.fitted {
            if f.losses.len() != n || f.transition.classes() != k {
                return Err(trustdd_core::Error::shape(
                    "cross-fit dataset",
                    format!(
                        "{} samples of {} classes",
                        f.losses.len(),
                        f.transition.classes()
                    ),
                    format!("{n} samples of {k} classes"),
                ));
            }
        }
        let count = match &self.fitted {
            None => self.config.iterations,
            Some(_) => self.config.refit_iterations,
        };
        if count == 0 {
            // The partition is kept, and with it the last round's recalls and top-ups.
            if let Some(f) = &self.fitted {
                let (recalled, topped) = self
                    .diagnostics
                    .last()
                    .map_or((0, vec![0; k]), |d| (d.recalled, d.topped_up.clone()));
                let record = self.record(f, Vec::new(), recalled, topped);
                self.diagnostics.push(record);
                self.rounds += 1;
            }
            return Ok(());
        }
        let (mut fitted, records) = self.iterate(ctx, self.fitted.as_ref(), count, rng)?;
        let split = bayes_split(
            &fitted.posterior,
            observed,
            k,
            self.config.cut,
            self.config.relabel,
        )?;
        let mut partition = split.partition;
        let topped = top_up(
            &mut partition,
            &split.recalled,
            &fitted.losses,
            observed,
            k,
            self.config.min_trusted_per_class,
        );
        fitted.partition = partition;
        let recalled = split.recalled.iter().filter(|&&r| r).count();
        let record = self.record(&fitted, records, recalled, topped);
        self.fitted = Some(fitted);
        self.diagnostics.push(record);
        self.rounds += 1;
        Ok(())
    }

    fn record(
        &self,
        fitted: &Fitted,
        iterations: Vec<CrossFitIteration>,
        recalled: usize,
        topped_up: Vec<usize>,
    ) -> CrossFitDiagnostics {
        CrossFitDiagnostics {
            round: self.rounds,
            iterations,
            transition: fitted.transition.clone(),
            trusted: fitted.partition.trusted_count(),
            recalled,
            topped_up,
        }
    }

    /// The posterior of each sample's observed label.
    fn observed_posterior(&self, dataset: &ImageDataset) -> Result<Option<Vec<f64>>> {
        let Some(f) = &self.fitted else {
            return Ok(None);
        };
        let k = f.transition.classes();
        if f.losses.len() != dataset.len() || dataset.num_classes() != k {
            return Err(trustdd_core::Error::shape(
                "cross-fit posterior",
                format!("{} samples of {k} classes", f.losses.len()),
                format!("{} samples of {}", dataset.len(), dataset.num_classes()),
            ));
        }
        Ok(Some(
            f.posterior
                .chunks(k)
                .zip(dataset.labels())
                .map(|(row, &y)| row[y as usize])
                .collect(),
        ))
    }
}

impl TrustPartitioner for CrossFit {
    fn name(&self) -> String {
        "cross_fit".into()
    }

    fn observe(
        &mut self,
        ctx: &PartitionContext<'_>,
        rng: &mut TrustRng,
    ) -> trustdd_core::Result<()> {
        self.observe_impl(ctx, rng)
    }

    fn partition(&self) -> Option<&TrustPartition> {
        self.fitted.as_ref().map(|f| &f.partition)
    }

    fn state(&self) -> trustdd_core::Result<Vec<(String, Tensor)>> {
        self.save_state()
    }

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> trustdd_core::Result<()> {
        self.restore_state(state)
    }

    /// The last round's [`CrossFitDiagnostics`].
    fn round_details(&self) -> Option<serde_json::Value> {
        self.diagnostics
            .last()
            .and_then(|d| serde_json::to_value(d).ok())
    }

    /// Per observed class, `1 − posterior` of the observed label (the chance it is wrong),
    /// split at `1 − cut`; no mixture is fitted.
    fn split_view(&self, dataset: &ImageDataset) -> trustdd_core::Result<Option<SplitView>> {
        let Some(p) = self.observed_posterior(dataset)? else {
            return Ok(None);
        };
        let classes = trustdd_core::index_by_class(dataset.labels(), dataset.num_classes())
            .into_iter()
            .enumerate()
            .filter(|(_, members)| !members.is_empty())
            .map(|(class, members)| ClassSplitView {
                class,
                samples: members.iter().map(|&i| (i, 1.0 - p[i])).collect(),
                components: Vec::new(),
                threshold: Some(1.0 - self.config.cut),
                rule: "bayes_cut".into(),
            })
            .collect();
        Ok(Some(SplitView {
            score: "1 − clean posterior of the observed label".into(),
            classes,
        }))
    }

    /// The clean posterior of each sample's observed label.
    fn clean_weights(&self, dataset: &ImageDataset) -> trustdd_core::Result<Option<Vec<f64>>> {
        self.observed_posterior(dataset)
    }

    /// Iterations run, the last iteration's held-out agreement (and accuracy against clean
    /// labels, when known), the estimated noise rate, recalled and topped-up samples.
    fn round_figures(&self) -> Vec<(String, Figure)> {
        let (Some(d), Some(f)) = (self.diagnostics.last(), &self.fitted) else {
            return Vec::new();
        };
        let mut figures = vec![
            ("iterations".into(), Figure::Count(f.iterations)),
            (
                "estimated noise rate".into(),
                Figure::Fraction(Some(d.transition.noise_rate())),
            ),
            ("recalled".into(), Figure::Count(d.recalled)),
            ("topped up".into(), Figure::Count(d.topped_up.iter().sum())),
        ];
        if let Some(last) = d.iterations.last() {
            figures.push((
                "held-out agreement".into(),
                Figure::Fraction(Some(last.agreement)),
            ));
            if last.accuracy.is_some() {
                figures.push(("held-out accuracy".into(), Figure::Fraction(last.accuracy)));
            }
        }
        figures
    }
}
