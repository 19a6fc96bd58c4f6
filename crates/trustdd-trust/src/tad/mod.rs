//! [`Tad`]: Trust-Aware Diversion's outer round (ALGORITHMS.md §6) as a
//! [`TrustPartitioner`].
//!
//! One `observe` = train the proxy (warm-up on the first call, then one round on the trusted set
//! with the consistency term), per-sample losses (averaged over `loss_window` rounds), the
//! class-wise GMM split, then the inner recall (previous recalls kept while their reliability
//! stays ≥ δ/2, new ones accepted at ≥ δ with three-way agreement, capped per class).
//! Finally every class is topped up to `min_trusted_per_class` with its smallest-loss samples
//! (by observed label), so distillation never meets an empty class (a class with no observed
//! sample at all stays empty). Which parts follow the paper and which are reconstructed is said
//! in each module's docs.

use crate::class_split::{split_classes, ClassSplit, SplitInput, SplitRule};
use crate::config::TadConfig;
use crate::diagnostics::{ClassDiagnostics, RoundDiagnostics};
use crate::error::Result;
use crate::losses::{proxy_outputs, LossHistory, ProxyOutputs};
use crate::proxy::{new_proxy, train_forward_corrected, train_round, warm_up};
use crate::recall::{keep_previous, select_recalls};
use crate::reliability::ReliabilityModel;
use crate::transition::Transition;
use candle_core::Tensor;
use std::collections::HashMap;
use std::time::Instant;
use trustdd_core::{
    Figure, ImageDataset, PartitionContext, SplitView, TrustPartition, TrustPartitioner, TrustRng,
};
use trustdd_nn::Network;

mod checkpoint;
mod co_divide;
mod split_view;
mod top_up;

use checkpoint::load_network;
pub use co_divide::CoDivideDiagnostics;
use co_divide::{split_precision, training_view, Peer};
pub use top_up::top_up;

/// The proxy network, or its saved tensors until the dataset is known again.
#[derive(Debug, Clone)]
enum Proxy {
    None,
    Pending {
        params: Vec<Tensor>,
        buffers: Vec<Tensor>,
    },
    Ready(Network),
}

/// The TAD partitioner. Draws every random choice from the `rng` given to `observe`.
#[derive(Debug, Clone)]
pub struct Tad {
    config: TadConfig,
    proxy: Proxy,
    history: LossHistory,
    /// The proxy's probability margins of the observed labels, over the same window.
    margins: LossHistory,
    partition: Option<TrustPartition>,
    recalled: Vec<bool>,
    rounds: usize,
    diagnostics: Vec<RoundDiagnostics>,
    /// The transition matrix estimated after the warm-up, until the round's diagnostics take it.
    transition: Option<Transition>,
    /// Co-divide's second proxy (`TadConfig::co_divide`).
    peer: Option<Peer>,
}

impl Tad {
    /// Validates `config`.
    ///
    /// # Errors
    /// As [`TadConfig::validate`].
    pub fn new(config: TadConfig) -> Result<Self> {
        config.validate()?;
        let history = LossHistory::new(config.loss_window);
        Ok(Self {
            proxy: Proxy::None,
            history,
            margins: LossHistory::new(config.loss_window),
            partition: None,
            recalled: Vec::new(),
            rounds: 0,
            diagnostics: Vec::new(),
            transition: None,
            peer: config.co_divide.then(|| Peer::new(config.loss_window)),
            config,
        })
    }

    /// The settings.
    pub fn config(&self) -> &TadConfig {
        &self.config
    }

    /// One record per completed round.
    pub fn diagnostics(&self) -> &[RoundDiagnostics] {
        &self.diagnostics
    }

    /// The proxy classifier, once trained.
    pub fn proxy(&self) -> Option<&Network> {
        match &self.proxy {
            Proxy::Ready(n) => Some(n),
            _ => None,
        }
    }

    fn observe_impl(&mut self, ctx: &PartitionContext<'_>, rng: &mut TrustRng) -> Result<()> {
        let start = Instant::now();
        let ds = ctx.dataset;
        let (n, classes) = (ds.len(), ds.num_classes());
        if n == 0 {
            return Err(trustdd_core::Error::NotEnough {
                what: "tad dataset".into(),
                requested: 1,
                available: 0,
            });
        }
        if self
            .partition
            .as_ref()
            .is_some_and(|p| p.trusted.len() != n)
        {
            return Err(trustdd_core::Error::shape(
                "tad dataset size",
                self.recalled.len(),
                n,
            ));
        }
        // With co-divide the first proxy trains on the second's split, not on the partition.
        let view = match (&self.peer, &self.partition) {
            (Some(peer), Some(p)) => Some(training_view(&peer.peer_split, p, &self.recalled)),
            _ => None,
        };
        let proxy = std::mem::replace(&mut self.proxy, Proxy::None);
        let on = view.as_ref().or(self.partition.as_ref());
        let (net, stats, transition) = train_proxy(proxy, on, &self.config, ctx, rng)?;
        self.transition = transition;
        let out = proxy_outputs(&net, ds, ctx.device, self.config.eval_batch_size)?;
        self.proxy = Proxy::Ready(net);
        self.history.push(out.losses.clone());
        self.margins.push(out.margins.clone());
        let losses = self.history.mean();
        let margins = self.margins.mean();
        let labels = ds.labels();
        let input = SplitInput {
            losses: &losses,
            margins: &margins,
        };
        let (base, splits) = split_classes(input, labels, classes, &self.config.split)?;
        let (base, co_divide) = match self.peer.take() {
            Some(mut peer) => {
                let (agreed, diag) = self.co_divide(&mut peer, base, ctx, rng)?;
                self.peer = Some(peer);
                (agreed, Some(diag))
            }
            None => (base, None),
        };
        let mut part = TrustPartition {
            trusted: base.clone(),
            working_labels: labels.to_vec(),
        };
        let mut recalled = vec![false; n];
        if let Some(prev) = &self.partition {
            for i in (0..n).filter(|&i| self.recalled[i] && !base[i]) {
                part.trusted[i] = true;
                part.working_labels[i] = prev.working_labels[i];
                recalled[i] = true;
            }
        }
        let (new, dropped) = self.recall(&out, labels, classes, &mut part, &mut recalled)?;
        let topped = top_up(
            &mut part,
            &recalled,
            &losses,
            labels,
            classes,
            self.config.min_trusted_per_class,
        );
        let diag = self.diagnose(
            &part,
            co_divide,
            &recalled,
            &splits,
            &topped,
            ds,
            (new, dropped),
            stats,
            start,
        );
        self.partition = Some(part);
        self.recalled = recalled;
        self.diagnostics.push(diag);
        self.rounds += 1;
        Ok(())
    }

    /// Trains the second proxy on the first's previous split, splits its losses, and returns
    /// where the two splits agree; both splits are kept for the next round's training views.
    fn co_divide(
        &self,
        peer: &mut Peer,
        main_split: Vec<bool>,
        ctx: &PartitionContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<(Vec<bool>, CoDivideDiagnostics)> {
        let ds = ctx.dataset;
        let view = self
            .partition
            .as_ref()
            .map(|p| training_view(&peer.main_split, p, &self.recalled));
        let proxy = std::mem::replace(&mut peer.proxy, Proxy::None);
        // The second proxy's warm-up estimates no transition of its own for the diagnostics:
        // the first proxy's is the one recorded.
        let (net, stats, _) = train_proxy(proxy, view.as_ref(), &self.config, ctx, rng)?;
        let out = proxy_outputs(&net, ds, ctx.device, self.config.eval_batch_size)?;
        peer.proxy = Proxy::Ready(net);
        peer.history.push(out.losses);
        peer.margins.push(out.margins);
        let labels = ds.labels();
        let (losses, margins) = (peer.history.mean(), peer.margins.mean());
        let input = SplitInput {
            losses: &losses,
            margins: &margins,
        };
        let (peer_split, _) = split_classes(input, labels, ds.num_classes(), &self.config.split)?;
        let agreed: Vec<bool> = main_split
            .iter()
            .zip(&peer_split)
            .map(|(&a, &b)| a && b)
            .collect();
        let count = |s: &[bool]| s.iter().filter(|&&t| t).count();
        let diag = CoDivideDiagnostics {
            main_trusted: count(&main_split),
            peer_trusted: count(&peer_split),
            agreed: count(&agreed),
            main_precision: split_precision(&main_split, labels, ds.clean_labels()),
            peer_precision: split_precision(&peer_split, labels, ds.clean_labels()),
            peer_ce: stats.ce,
        };
        peer.main_split = main_split;
        peer.peer_split = peer_split;
        Ok((agreed, diag))
    }

    /// Keeps or drops previous recalls, then recalls new samples; returns (new, dropped).
    fn recall(
        &self,
        out: &ProxyOutputs,
        labels: &[u32],
        num_classes: usize,
        part: &mut TrustPartition,
        recalled: &mut [bool],
    ) -> Result<(usize, usize)> {
        let cfg = &self.config;
        if cfg.recall.iterations == 0 {
            return Ok((0, 0));
        }
        let fit = |part: &TrustPartition| -> Result<ReliabilityModel> {
            let ids: Vec<usize> = (0..part.trusted.len())
                .filter(|&i| part.trusted[i])
                .collect();
            ReliabilityModel::fit(
                &out.features,
                out.feature_dim,
                &ids,
                &part.working_labels,
                num_classes,
                &cfg.reliability,
            )
        };
        let mut dropped = 0;
        let previous: Vec<usize> = (0..recalled.len()).filter(|&i| recalled[i]).collect();
        if !previous.is_empty() {
            let scores = fit(part)?.score(&out.features, &previous)?;
            let pseudo: Vec<u32> = previous.iter().map(|&i| part.working_labels[i]).collect();
            for (&i, keep) in previous
                .iter()
                .zip(keep_previous(&scores, &pseudo, cfg.recall.delta))
            {
                if !keep {
                    part.trusted[i] = false;
                    part.working_labels[i] = labels[i];
                    recalled[i] = false;
                    dropped += 1;
                }
            }
        }
        let mut new = 0;
        for _ in 0..cfg.recall.iterations {
            let candidates: Vec<usize> = (0..labels.len()).filter(|&i| !part.trusted[i]).collect();
            if candidates.is_empty() || part.trusted_count() == 0 {
                break;
            }
            let scores = fit(part)?.score(&out.features, &candidates)?;
            let mut per_class = vec![0usize; num_classes];
            for i in (0..labels.len()).filter(|&i| part.trusted[i]) {
                per_class[part.working_labels[i] as usize] += 1;
            }
            let picks = select_recalls(
                &candidates,
                &scores,
                &out.predictions,
                &per_class,
                &cfg.recall,
            );
            if picks.is_empty() {
                break;
            }
            for (i, y) in picks {
                part.trusted[i] = true;
                part.working_labels[i] = y;
                recalled[i] = true;
                new += 1;
            }
        }
        Ok((new, dropped))
    }

    #[allow(clippy::too_many_arguments)]
    fn diagnose(
        &mut self,
        part: &TrustPartition,
        co_divide: Option<CoDivideDiagnostics>,
        recalled: &[bool],
        splits: &[ClassSplit],
        topped: &[usize],
        ds: &trustdd_core::ImageDataset,
        (new, dropped): (usize, usize),
        stats: crate::ProxyTrainStats,
        start: Instant,
    ) -> RoundDiagnostics {
        let labels = ds.labels();
        let clean = ds.clean_labels();
        let pr = clean.and_then(|c| part.precision_recall(labels, c));
        let recalled_ids: Vec<usize> = (0..recalled.len()).filter(|&i| recalled[i]).collect();
        let recalled_accuracy = clean.filter(|_| !recalled_ids.is_empty()).map(|c| {
            let right = recalled_ids
                .iter()
                .filter(|&&i| part.working_labels[i] == c[i])
                .count();
            right as f64 / recalled_ids.len() as f64
        });
        let classes = (0..ds.num_classes())
            .map(|c| {
                let split = splits.iter().find(|s| s.class == c);
                ClassDiagnostics {
                    class: c,
                    observed: ds.class_members(c).len(),
                    trusted: (0..part.trusted.len())
                        .filter(|&i| part.trusted[i] && part.working_labels[i] as usize == c)
                        .count(),
                    threshold: split.and_then(|s| s.threshold),
                    rule: split.map(|s| s.rule),
                    topped_up: topped.get(c).copied().unwrap_or(0),
                    vetoed: split.map_or(0, |s| s.vetoed),
                }
            })
            .collect();
        let trusted = part.trusted_count();
        RoundDiagnostics {
            round: self.rounds,
            trusted,
            untrusted: part.trusted.len() - trusted,
            precision: pr.map(|p| p.0),
            recall: pr.map(|p| p.1),
            recalled_new: new,
            recalled_total: recalled_ids.len(),
            recalled_dropped: dropped,
            recalled_accuracy,
            fallbacks: splits.iter().filter(|s| s.rule != SplitRule::Gmm).count(),
            proxy_ce: stats.ce,
            proxy_consistency: stats.consistency,
            transition: self.transition.take(),
            co_divide,
            classes,
            seconds: start.elapsed().as_secs_f64(),
        }
    }
}

/// A proxy for this round, trained: the warm-up (then the forward-corrected stage, when set) when
/// new, else one round on `on`. Returns the network, its stage's figures and the transition
/// matrix a forward-corrected warm-up estimated.
fn train_proxy(
    proxy: Proxy,
    on: Option<&TrustPartition>,
    config: &TadConfig,
    ctx: &PartitionContext<'_>,
    rng: &mut TrustRng,
) -> Result<(Network, crate::ProxyTrainStats, Option<Transition>)> {
    let (ds, device, cfg) = (ctx.dataset, ctx.device, &config.proxy);
    let (mut net, trained) = match proxy {
        Proxy::Ready(net) => (net, true),
        // Built from a fixed stream: the loaded weights replace the draw, and `rng` must
        // advance exactly as in the uninterrupted run.
        Proxy::Pending { params, buffers } => {
            let mut net = new_proxy(cfg, ds, device, &mut TrustRng::new(0))?;
            load_network(&mut net, &params, &buffers, device)?;
            (net, true)
        }
        Proxy::None => (new_proxy(cfg, ds, device, &mut rng.fork())?, false),
    };
    if let (Some(p), true) = (on, trained) {
        let stats = train_round(&mut net, cfg, ds, p, device, rng, ctx.progress)?;
        return Ok((net, stats, None));
    }
    let stats = warm_up(&mut net, cfg, ds, device, rng, ctx.progress)?;
    let Some(fc) = cfg.forward_correction else {
        return Ok((net, stats, None));
    };
    let out = proxy_outputs(&net, ds, device, config.eval_batch_size)?;
    let t = Transition::estimate(&out.probabilities, ds.num_classes(), fc.anchor_quantile)?;
    let stats =
        train_forward_corrected(&mut net, cfg, ds, &t, fc.epochs, device, rng, ctx.progress)?;
    Ok((net, stats, Some(t)))
}

impl TrustPartitioner for Tad {
    fn name(&self) -> String {
        "tad".into()
    }
    fn observe(
        &mut self,
        ctx: &PartitionContext<'_>,
        rng: &mut TrustRng,
    ) -> trustdd_core::Result<()> {
        self.observe_impl(ctx, rng)
    }
    fn partition(&self) -> Option<&TrustPartition> {
        self.partition.as_ref()
    }
    fn state(&self) -> trustdd_core::Result<Vec<(String, Tensor)>> {
        self.save_state()
    }
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> trustdd_core::Result<()> {
        self.restore_state(state)
    }
    /// The last round's [`RoundDiagnostics`] (wall-clock seconds left out).
    fn round_details(&self) -> Option<serde_json::Value> {
        self.diagnostics
            .last()
            .and_then(|d| serde_json::to_value(d).ok())
    }
    fn split_view(&self, dataset: &ImageDataset) -> trustdd_core::Result<Option<SplitView>> {
        self.split_view_of(dataset)
    }
    fn clean_weights(&self, dataset: &ImageDataset) -> trustdd_core::Result<Option<Vec<f64>>> {
        self.clean_weights_of(dataset)
    }
    /// Recalled samples (new, kept, dropped) and their accuracy, split fallbacks, proxy losses;
    /// with co-divide, the agreement and each proxy's split precision; the estimated noise rate
    /// in a forward-corrected warm-up round.
    fn round_figures(&self) -> Vec<(String, Figure)> {
        let Some(d) = self.diagnostics.last() else {
            return Vec::new();
        };
        let mut figures = vec![
            ("recalled".into(), Figure::Count(d.recalled_total)),
            ("recalled new".into(), Figure::Count(d.recalled_new)),
            ("recalled dropped".into(), Figure::Count(d.recalled_dropped)),
            (
                "recalled correct".into(),
                Figure::Fraction(d.recalled_accuracy),
            ),
            ("split fallbacks".into(), Figure::Count(d.fallbacks)),
            ("proxy ce".into(), Figure::Value(d.proxy_ce)),
        ];
        if let Some(c) = &d.co_divide {
            figures.extend([
                ("splits agreed".into(), Figure::Count(c.agreed)),
                (
                    "first split precision".into(),
                    Figure::Fraction(c.main_precision),
                ),
                (
                    "second split precision".into(),
                    Figure::Fraction(c.peer_precision),
                ),
            ]);
        }
        if let Some(t) = &d.transition {
            figures.push((
                "estimated noise rate".into(),
                Figure::Fraction(Some(t.noise_rate())),
            ));
        }
        figures
    }
}
