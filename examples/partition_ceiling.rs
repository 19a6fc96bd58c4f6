//! How precise can any trust partition be on this data, and what does a partition at that
//! ceiling distil to? Issue 18's diagnostic for the pair swaps: a bound, not a method, since it
//! reads the clean labels.
//!
//! The ceiling partitioner knows what no real partitioner knows: it trains TAD's proxy
//! architecture on the *clean* labels (two folds, each network scoring the fold it never saw, so
//! no sample's score comes from a network that memorised it), takes the realised noise
//! transition `T[c][j] = P(observed j | clean c)` from the ground truth, and scores every sample
//! by Bayes' rule, `P(clean = observed | x, observed) ∝ p(observed | x) · T[observed][observed]`.
//! Ranking by that score is the most precise split at every trusted-set size that the proxy's
//! knowledge of the images allows (the expected number of correct labels in a set of size m is
//! maximised by the m highest posteriors). It prints the precision of that ranking at fixed
//! recalls, the same with labels corrected to the posterior's argmax, and the agreement rule;
//! then it distils with the split at `RECALL` (or, with `ORACLE=1`, with exactly the correctly
//! labelled samples) through the same pipeline as `trustdd distill`. `HELD_OUT=1` reads no clean
//! label: the two folds' proxies train on the observed labels and TAD's class split runs on
//! their held-out losses (cross-fitting, as INCV does), a candidate method measured beside the
//! bound. `ITERATIONS=n` repeats that as INCV iterates: each new pair of folds trains only on
//! what the last pair kept (TAD's split where the held-out proxy agrees with the label), and
//! `BALANCE=1` draws each class of the kept set with replacement back to its size in the fold.
//! Every iteration also prints the Bayes ranking of its held-out rows under a transition
//! estimated by anchor points (the first iteration's rows backward-corrected, later ones, from
//! proxies trained on a cleaned set, used as clean posteriors under that same estimate), and
//! `BAYES_CUT=p` distils the samples whose posterior is at least `p` instead of TAD's split;
//! with `RELABEL=1` it also recalls, as TAD's inner loop does, the samples whose posterior puts
//! at least `p` on another class, under that class. With `trust.diversion = "soft"` in the
//! config, DM also draws each untrusted sample at that posterior (the partitioner's clean
//! weights). `BAYES_SELECT=p` trains the third and later iterations on the last posterior at or
//! above `p` instead of TAD's split where the proxy agrees.
//!
//! ```sh
//! trustdd distill $F --noise map:0.4:0:6,6:0,2:4,4:2,5:7,7:5 --trust tad --val-split 0.1 \
//!   --print-config > run.toml
//! TRUSTDD_DATA=../shared/data CONFIG=run.toml RECALL=0.9 EPOCHS=10 \
//!   cargo run --release --example partition_ceiling
//! TRUSTDD_DATA=../shared/data CONFIG=run.toml HELD_OUT=1 ITERATIONS=2 BALANCE=1 EPOCHS=10 \
//!   cargo run --release --example partition_ceiling
//! # issue 18's configuration that meets both targets (run.toml with `--set trust.diversion=soft`)
//! TRUSTDD_DATA=../shared/data CONFIG=run.toml HELD_OUT=1 ITERATIONS=3 BALANCE=1 \
//!   BAYES_SELECT=0.5 BAYES_CUT=0.8 EPOCHS=10 cargo run --release --example partition_ceiling
//! ```

use anyhow::Context;
use trustdd::core::{Figure, PartitionContext, Silent, TrustPartition, TrustPartitioner, TrustRng};
use trustdd::pipeline::{PartitionerConfig, RunConfig};
use trustdd::train::{train, TrainConfig};
use trustdd::trust::{
    bayes_split, new_proxy, proxy_outputs, split_classes, top_up, ProxyConfig, SplitConfig,
    SplitInput, Transition,
};

/// Recalls at which the ceiling's precision is printed.
const RECALLS: [f64; 8] = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0];

/// Cuts on the backward-corrected Bayes posterior whose sets are printed.
const BAYES_CUTS: [f64; 4] = [0.5, 0.7, 0.8, 0.9];

/// What the partitioner distils with.
#[derive(Clone, Copy)]
enum Choice {
    /// The Bayes ranking's split at this recall (observed labels kept).
    Ceiling(f64),
    /// Exactly the correctly labelled samples.
    Oracle,
    /// No clean label: TAD's class split on held-out losses of proxies trained on the observed
    /// labels (cross-fitting, as INCV does: Chen et al., ICML 2019), so no loss comes from a
    /// network that memorised the sample's label.
    HeldOut,
}

/// The ceiling partitioner: fits once, keeps its partition through every refit.
struct Ceiling {
    proxy: ProxyConfig,
    split: SplitConfig,
    /// TAD's guard: every class keeps at least this many trusted samples.
    min_trusted_per_class: usize,
    epochs: usize,
    /// `HELD_OUT`'s cross-fitting iterations (INCV's).
    iterations: usize,
    /// Iterations after the first train on their selection resampled to the classes' sizes.
    balance: bool,
    /// `HELD_OUT` distils the samples whose backward-corrected posterior is at least this,
    /// instead of TAD's split.
    bayes_cut: Option<f64>,
    /// Iterations after the second train on the last posterior at or above this instead of
    /// TAD's split where the proxy agrees.
    bayes_select: Option<f64>,
    /// With `bayes_cut`, also recall the samples whose posterior puts at least the cut on
    /// another class, relabelled to it.
    relabel: bool,
    choice: Choice,
    current: Option<TrustPartition>,
    heldout_accuracy: f64,
    /// With `bayes_cut`: each sample's posterior that its observed label is clean, the
    /// estimate `trust.diversion = "soft"` weights the untrusted samples by.
    clean_weights: Option<Vec<f64>>,
}

/// Precision (working label = clean) and recall (correctly observed samples kept) of the set
/// `members` with `labels`, as the pipeline measures any partition.
fn precision_recall(
    members: &[usize],
    labels: &[u32],
    observed: &[u32],
    clean: &[u32],
) -> (f64, f64) {
    let mut trusted = vec![false; observed.len()];
    members.iter().for_each(|&i| trusted[i] = true);
    let set = TrustPartition {
        trusted,
        working_labels: labels.to_vec(),
    };
    set.precision_recall(observed, clean).unwrap_or((0.0, 0.0))
}

/// The class with the highest probability in `row`.
fn argmax(row: &[f64]) -> usize {
    (0..row.len())
        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
        .unwrap_or(0)
}

/// Share of the rows of `probs` (n × k) whose argmax is the clean label.
fn accuracy(probs: &[f64], k: usize, clean: &[u32]) -> f64 {
    let right = probs
        .chunks(k)
        .zip(clean)
        .filter(|(row, &c)| argmax(row) == c as usize)
        .count();
    right as f64 / clean.len().max(1) as f64
}

/// The realised transition `T[c][j] = P(observed j | clean c)`, row-major (reads the clean
/// labels).
fn realised_transition(observed: &[u32], clean: &[u32], k: usize) -> Vec<f64> {
    let mut t = vec![0.0f64; k * k];
    for (&o, &c) in observed.iter().zip(clean) {
        t[c as usize * k + o as usize] += 1.0;
    }
    for row in t.chunks_mut(k) {
        let s: f64 = row.iter().sum();
        row.iter_mut().for_each(|v| *v /= s.max(1.0));
    }
    t
}

/// How many of the first samples of `rank` hold the share `recall` of the correctly labelled
/// ones.
fn size_at_recall(rank: &[usize], observed: &[u32], clean: &[u32], recall: f64) -> usize {
    let correct = observed.iter().zip(clean).filter(|(o, c)| o == c).count();
    let mut kept = 0usize;
    rank.iter()
        .position(|&i| {
            kept += usize::from(observed[i] == clean[i]);
            kept as f64 >= recall * correct as f64
        })
        .map_or(rank.len(), |p| p + 1)
}

/// Samples by decreasing `score`, ties by index.
fn ranked(n: usize, score: impl Fn(usize) -> f64) -> Vec<usize> {
    let mut ids: Vec<usize> = (0..n).collect();
    ids.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
    ids
}

/// The library's clean posterior ([`Transition::clean_posterior`], `n × k` rows) under the
/// row-major transition `t`; `None` on its errors, of which only a singular `T` under the
/// backward correction can arise from the example's own inputs.
fn bayes_posterior(
    probs: &[f64],
    observed: &[u32],
    t: &[f64],
    k: usize,
    backward: bool,
) -> Option<Vec<f64>> {
    Transition::new(k, t.to_vec())
        .and_then(|t| t.clean_posterior(probs, observed, backward))
        .ok()
}

/// The posterior that each sample's observed label is its clean one: the observed entry of
/// every row of [`bayes_posterior`]'s output.
fn observed_entry(posterior: &[f64], observed: &[u32], k: usize) -> Vec<f64> {
    posterior
        .chunks(k)
        .zip(observed)
        .map(|(row, &y)| row[y as usize])
        .collect()
}

/// Prints the precision of the Bayes ranking of held-out softmax rows at [`RECALLS`] and of cuts
/// on its posterior. `label_transition` is `None` for proxies trained on the observed labels:
/// the transition is then estimated from `probs` by anchor points and the rows are
/// backward-corrected. For proxies trained on a cleaned set it is the first iteration's
/// estimate, applied forward. The second column uses the realised transition instead (reads the
/// clean labels: what a perfect estimate gives). Returns the estimated transition and the
/// posterior rows it gives.
fn bayes_table(
    probs: &[f64],
    observed: &[u32],
    clean: &[u32],
    k: usize,
    label_transition: Option<&[f64]>,
) -> trustdd::core::Result<(Vec<f64>, Option<Vec<f64>>)> {
    let anchor = trustdd::trust::ForwardCorrection::default().anchor_quantile;
    let backward = label_transition.is_none();
    let estimated = match label_transition {
        Some(t) => t.to_vec(),
        None => trustdd::trust::Transition::estimate(probs, k, anchor)?
            .rows()
            .to_vec(),
    };
    let realised = realised_transition(observed, clean, k);
    let diagonal = |t: &[f64]| {
        (0..k)
            .map(|c| format!("{:.2}", t[c * k + c]))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "label transition diagonal, estimated (anchor quantile {anchor}{}): {}; realised: {}",
        if backward {
            ", rows backward-corrected"
        } else {
            ", the first iteration's, rows used as they are"
        },
        diagonal(&estimated),
        diagonal(&realised)
    );
    let posterior = bayes_posterior(probs, observed, &estimated, k, backward);
    let ranks: Vec<Option<Vec<usize>>> = [
        posterior.clone(),
        bayes_posterior(probs, observed, &realised, k, backward),
    ]
    .into_iter()
    .map(|rows| {
        rows.map(|rows| {
            let score = observed_entry(&rows, observed, k);
            ranked(observed.len(), |i| score[i])
        })
    })
    .collect();
    println!("| recall | Bayes ranking, estimated T: trusted, precision | realised T: trusted, precision |");
    println!("|---|---|---|");
    for &r in &RECALLS {
        let cells: Vec<String> = ranks
            .iter()
            .map(|rank| match rank {
                None => "T singular".to_string(),
                Some(rank) => {
                    let size = size_at_recall(rank, observed, clean, r);
                    let (p, _) = precision_recall(&rank[..size], observed, observed, clean);
                    format!("{size}, {:.2}%", 100.0 * p)
                }
            })
            .collect();
        println!("| {:.0}% | {} |", 100.0 * r, cells.join(" | "));
    }
    if let Some(rows) = &posterior {
        println!("| cut on the estimated-T posterior | trusted | precision | recall | with relabelling: trusted | precision | recall |");
        println!("|---|---|---|---|---|---|---|");
        for cut in BAYES_CUTS {
            let cells: Vec<String> = [false, true]
                .into_iter()
                .map(
                    |relabel| match bayes_split(rows, observed, k, cut, relabel) {
                        Err(e) => format!("{e} | | "),
                        Ok(split) => {
                            let part = &split.partition;
                            let members: Vec<usize> = (0..part.trusted.len())
                                .filter(|&i| part.trusted[i])
                                .collect();
                            let (p, r) =
                                precision_recall(&members, &part.working_labels, observed, clean);
                            format!("{} | {:.2}% | {:.2}%", members.len(), 100.0 * p, 100.0 * r)
                        }
                    },
                )
                .collect();
            println!("| ≥ {cut} | {} |", cells.join(" | "));
        }
    }
    Ok((estimated, posterior))
}

impl Ceiling {
    /// Held-out class probabilities of every sample (n × k, row-major) from proxies trained on
    /// `targets` (the clean or the observed labels).
    fn heldout_probabilities(
        &self,
        ctx: &PartitionContext<'_>,
        targets: &[u32],
        selected: Option<&[bool]>,
        rng: &mut TrustRng,
    ) -> trustdd::core::Result<Vec<f64>> {
        let ds = ctx.dataset;
        let (n, k) = (ds.len(), ds.num_classes());
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let folds = [&order[..n / 2], &order[n / 2..]];
        let mut probs = vec![0.0; n * k];
        for (f, scored) in folds.iter().enumerate() {
            let fitted: Vec<usize> = match selected {
                None => folds[1 - f].to_vec(),
                Some(s) => self.balanced(folds[1 - f], s, targets, k, rng),
            };
            let fitted = fitted.as_slice();
            let labels = fitted.iter().map(|&i| targets[i]).collect();
            let fit = ds.subset(fitted)?.relabel(labels)?;
            let mut net = new_proxy(&self.proxy, &fit, ctx.device, rng)?;
            let config = TrainConfig {
                epochs: self.epochs,
                batch_size: self.proxy.batch_size,
                lr: self.proxy.lr,
                momentum: self.proxy.momentum,
                weight_decay: self.proxy.weight_decay,
                lr_decay_epochs: Some(vec![self.epochs / 2]),
                lr_decay_factor: 0.1,
                augment: self.proxy.augment.clone(),
                dc_augment: None,
            };
            train(&mut net, &fit, &config, rng, ctx.device, ctx.progress)?;
            let out = proxy_outputs(&net, &ds.subset(scored)?, ctx.device, 512)?;
            for (row, &i) in scored.iter().enumerate() {
                probs[i * k..(i + 1) * k]
                    .copy_from_slice(&out.probabilities[row * k..(row + 1) * k]);
            }
        }
        Ok(probs)
    }

    /// The selected samples of `fold`, each class (by `targets`) drawn with replacement back up
    /// to its size in the fold when `self.balance` is set (so a class the selection thinned
    /// keeps its prior in training), else just the selected samples.
    fn balanced(
        &self,
        fold: &[usize],
        selected: &[bool],
        targets: &[u32],
        k: usize,
        rng: &mut TrustRng,
    ) -> Vec<usize> {
        let kept: Vec<usize> = fold.iter().copied().filter(|&i| selected[i]).collect();
        if !self.balance {
            return kept;
        }
        let mut out = Vec::with_capacity(fold.len());
        for c in 0..k as u32 {
            let size = fold.iter().filter(|&&i| targets[i] == c).count();
            let mut ids: Vec<usize> = kept.iter().copied().filter(|&i| targets[i] == c).collect();
            if ids.is_empty() {
                continue;
            }
            rng.shuffle(&mut ids);
            out.extend(ids.iter().cycle().take(size.max(ids.len())));
        }
        out
    }

    /// [`Choice::Ceiling`]: held-out clean-label proxies, the Bayes ranking under the realised
    /// transition, its table, and the split at the chosen recall.
    fn bayes_ceiling(
        &mut self,
        ctx: &PartitionContext<'_>,
        clean: &[u32],
        rng: &mut TrustRng,
    ) -> trustdd::core::Result<()> {
        let ds = ctx.dataset;
        let (n, k) = (ds.len(), ds.num_classes());
        let observed = ds.labels();
        let all: Vec<usize> = (0..n).collect();
        let probs = self.heldout_probabilities(ctx, clean, None, rng)?;
        self.heldout_accuracy = accuracy(&probs, k, clean);
        // Realised transition, row c: where the samples of clean class c were sent.
        let t = realised_transition(observed, clean, k);
        // Bayes posterior over the clean class given the image and the observed label (the
        // proxies saw clean labels, so no backward correction; the forward pass cannot fail).
        let rows = bayes_posterior(&probs, observed, &t, k, false).unwrap_or_default();
        let post: Vec<&[f64]> = rows.chunks(k).collect();
        let split_rank = ranked(n, |i| post[i][observed[i] as usize]);
        let relabelled: Vec<u32> = post.iter().map(|p| argmax(p) as u32).collect();
        let relabel_rank = ranked(n, |i| post[i][relabelled[i] as usize]);
        let swapped: Vec<bool> = (0..k).map(|c| t[c * k + c] < 0.9).collect();
        println!(
            "held-out clean-label proxy accuracy {:.2}% ({} epochs per fold)",
            100.0 * self.heldout_accuracy,
            self.epochs
        );
        println!("| recall | trusted | split ceiling precision | of which swapped classes | with relabelling, same size |");
        println!("|---|---|---|---|---|");
        let mut chosen = None;
        for &r in &RECALLS {
            let size = size_at_recall(&split_rank, observed, clean, r);
            let members = &split_rank[..size];
            let (p, rec) = precision_recall(members, observed, observed, clean);
            let in_swapped: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| swapped[observed[i] as usize])
                .collect();
            let swapped_precision = if in_swapped.is_empty() {
                "none trusted".to_string()
            } else {
                let (ps, _) = precision_recall(&in_swapped, observed, observed, clean);
                format!("{:.2}%", 100.0 * ps)
            };
            let (pr, _) = precision_recall(&relabel_rank[..size], &relabelled, observed, clean);
            println!(
                "| {:.1}% | {size} | {:.2}% | {swapped_precision} | {:.2}% |",
                100.0 * rec,
                100.0 * p,
                100.0 * pr
            );
            if let Choice::Ceiling(want) = self.choice {
                if chosen.is_none() && r >= want {
                    chosen = Some(size);
                }
            }
        }
        let agree: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| argmax(&probs[i * k..(i + 1) * k]) == observed[i] as usize)
            .collect();
        let (p, r) = precision_recall(&agree, observed, observed, clean);
        println!(
            "agreement with the clean-label proxy: {} trusted, precision {:.2}%, recall {:.2}%",
            agree.len(),
            100.0 * p,
            100.0 * r
        );
        let size = chosen.unwrap_or(n);
        let mut trusted = vec![false; n];
        split_rank[..size].iter().for_each(|&i| trusted[i] = true);
        self.current = Some(TrustPartition {
            trusted,
            working_labels: observed.to_vec(),
        });
        Ok(())
    }

    /// [`Choice::HeldOut`]: cross-fitted proxies on the observed labels, TAD's split on their
    /// held-out losses and margins, and per-class quantiles of the held-out probability.
    fn held_out_split(
        &mut self,
        ctx: &PartitionContext<'_>,
        clean: &[u32],
        rng: &mut TrustRng,
    ) -> trustdd::core::Result<()> {
        let ds = ctx.dataset;
        let (n, k) = (ds.len(), ds.num_classes());
        let observed = ds.labels();
        // INCV's iterations: each round's folds train only on the samples the previous round
        // kept (its split where the held-out proxy agrees with the observed label).
        let mut selected: Option<Vec<bool>> = None;
        let mut probs = Vec::new();
        let mut trusted = Vec::new();
        let mut losses = Vec::new();
        let mut bayes = None;
        let mut label_transition: Option<Vec<f64>> = None;
        for iteration in 1..=self.iterations {
            probs = self.heldout_probabilities(ctx, observed, selected.as_deref(), rng)?;
            let q = |i: usize| probs[i * k + observed[i] as usize];
            let other = |i: usize| {
                (0..k)
                    .filter(|&c| c != observed[i] as usize)
                    .map(|c| probs[i * k + c])
                    .fold(0.0f64, f64::max)
            };
            losses = (0..n).map(|i| -q(i).max(1e-12).ln()).collect();
            let margins: Vec<f64> = (0..n).map(|i| q(i) - other(i)).collect();
            self.heldout_accuracy = accuracy(&probs, k, clean);
            println!(
                "iteration {iteration}: held-out observed-label proxy accuracy against the clean labels {:.2}% ({} epochs per fold, trained on {} samples)",
                100.0 * self.heldout_accuracy,
                self.epochs,
                selected.as_ref().map_or(n, |s| s.iter().filter(|&&t| t).count())
            );
            let input = SplitInput {
                losses: &losses,
                margins: &margins,
            };
            let (split, classes) = split_classes(input, observed, k, &self.split)?;
            trusted = split;
            let members: Vec<usize> = (0..n).filter(|&i| trusted[i]).collect();
            let (p, r) = precision_recall(&members, observed, observed, clean);
            let rules: Vec<String> = classes.iter().map(|c| format!("{:?}", c.rule)).collect();
            println!(
                "TAD's split on held-out losses: {} trusted, precision {:.2}%, recall {:.2}% (rules {})",
                members.len(),
                100.0 * p,
                100.0 * r,
                rules.join(", ")
            );
            let agree: Vec<usize> = (0..n).filter(|&i| margins[i] > 0.0).collect();
            let (p, r) = precision_recall(&agree, observed, observed, clean);
            println!(
                "held-out agreement: {} trusted, precision {:.2}%, recall {:.2}%",
                agree.len(),
                100.0 * p,
                100.0 * r
            );
            let both: Vec<usize> = agree.iter().copied().filter(|&i| trusted[i]).collect();
            let (p, r) = precision_recall(&both, observed, observed, clean);
            println!(
                "split and agreement: {} trusted, precision {:.2}%, recall {:.2}%",
                both.len(),
                100.0 * p,
                100.0 * r
            );
            let (t, score) = bayes_table(&probs, observed, clean, k, label_transition.as_deref())?;
            label_transition = Some(t);
            bayes = score;
            let mut next = vec![false; n];
            match (&bayes, self.bayes_select) {
                // From the second iteration on, the posterior is from proxies trained on a
                // cleaned set, and its set at the cut is larger than the split's at a like
                // precision.
                (Some(rows), Some(select)) if iteration >= 2 => {
                    let score = observed_entry(rows, observed, k);
                    (0..n).for_each(|i| next[i] = score[i] >= select);
                }
                _ => both.iter().for_each(|&i| next[i] = true),
            }
            selected = Some(next);
        }
        let q = |i: usize| probs[i * k + observed[i] as usize];
        println!("| kept per class | trusted | precision | recall |");
        println!("|---|---|---|---|");
        for f in [0.5, 0.6, 0.7, 0.8, 0.9] {
            let mut kept = Vec::new();
            for c in 0..k {
                let mut ids: Vec<usize> = (0..n).filter(|&i| observed[i] as usize == c).collect();
                ids.sort_by(|&a, &b| q(b).total_cmp(&q(a)).then(a.cmp(&b)));
                let take = (f * ids.len() as f64).ceil() as usize;
                kept.extend_from_slice(&ids[..take.min(ids.len())]);
            }
            let (p, r) = precision_recall(&kept, observed, observed, clean);
            println!(
                "| {:.0}% | {} | {:.2}% | {:.2}% |",
                100.0 * f,
                kept.len(),
                100.0 * p,
                100.0 * r
            );
        }
        // `BAYES_CUT`: trust the last iteration's backward-corrected posterior above the cut
        // instead of TAD's split.
        let (mut part, recalled) = match self.bayes_cut {
            None => (
                TrustPartition {
                    trusted,
                    working_labels: observed.to_vec(),
                },
                vec![false; n],
            ),
            Some(cut) => {
                let rows = bayes.ok_or_else(|| {
                    trustdd::core::Error::invalid(
                        "BAYES_CUT",
                        cut,
                        "an invertible estimated transition",
                    )
                })?;
                let split = bayes_split(&rows, observed, k, cut, self.relabel)?;
                self.clean_weights = Some(observed_entry(&rows, observed, k));
                (split.partition, split.recalled)
            }
        };
        // As TAD does, so that no class reaches distillation empty.
        top_up(
            &mut part,
            &recalled,
            &losses,
            observed,
            k,
            self.min_trusted_per_class,
        );
        self.current = Some(part);
        Ok(())
    }
}

impl TrustPartitioner for Ceiling {
    fn name(&self) -> String {
        "ceiling".into()
    }

    fn observe(
        &mut self,
        ctx: &PartitionContext<'_>,
        rng: &mut TrustRng,
    ) -> trustdd::core::Result<()> {
        if self.current.is_some() {
            return Ok(());
        }
        let ds = ctx.dataset;
        let observed = ds.labels();
        let clean = ds
            .clean_labels()
            .ok_or_else(|| trustdd::core::Error::invalid("noise", "none", "a noisy run"))?
            .to_vec();
        if let Choice::Oracle = self.choice {
            let trusted = observed.iter().zip(&clean).map(|(o, c)| o == c).collect();
            self.current = Some(TrustPartition {
                trusted,
                working_labels: observed.to_vec(),
            });
            return Ok(());
        }
        if let Choice::HeldOut = self.choice {
            return self.held_out_split(ctx, &clean, rng);
        }
        self.bayes_ceiling(ctx, &clean, rng)
    }

    fn partition(&self) -> Option<&TrustPartition> {
        self.current.as_ref()
    }

    fn clean_weights(
        &self,
        dataset: &trustdd::core::ImageDataset,
    ) -> trustdd::core::Result<Option<Vec<f64>>> {
        match &self.clean_weights {
            Some(w) if w.len() != dataset.len() => Err(trustdd::core::Error::shape(
                "clean weights",
                dataset.len(),
                w.len(),
            )),
            w => Ok(w.clone()),
        }
    }

    fn round_figures(&self) -> Vec<(String, Figure)> {
        // The oracle trains no proxy.
        if self.heldout_accuracy.is_nan() {
            return Vec::new();
        }
        vec![(
            "held-out proxy accuracy".into(),
            Figure::Fraction(Some(self.heldout_accuracy)),
        )]
    }
}

fn main() -> anyhow::Result<()> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let path = env("CONFIG", "run.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let config: RunConfig = toml::from_str(&text).with_context(|| format!("parsing {path}"))?;
    let epochs: usize = env("EPOCHS", "10").parse().context("EPOCHS: an integer")?;
    let iterations: usize = env("ITERATIONS", "1")
        .parse()
        .context("ITERATIONS: an integer")?;
    anyhow::ensure!(iterations >= 1, "ITERATIONS: expected at least 1");
    let balance = env("BALANCE", "0") == "1";
    let relabel = env("RELABEL", "0") == "1";
    let bayes_cut = match std::env::var("BAYES_CUT") {
        Ok(v) => {
            let cut: f64 = v.parse().context("BAYES_CUT: a probability")?;
            anyhow::ensure!(
                (0.0..=1.0).contains(&cut),
                "BAYES_CUT: expected a probability in [0, 1], got {cut}"
            );
            Some(cut)
        }
        Err(_) => None,
    };
    let bayes_select = match std::env::var("BAYES_SELECT") {
        Ok(v) => {
            let p: f64 = v.parse().context("BAYES_SELECT: a probability")?;
            anyhow::ensure!(
                p > 0.0 && p <= 1.0,
                "BAYES_SELECT: expected a probability in (0, 1], got {p}"
            );
            Some(p)
        }
        Err(_) => None,
    };
    let choice = if env("ORACLE", "0") == "1" {
        Choice::Oracle
    } else if env("HELD_OUT", "0") == "1" {
        Choice::HeldOut
    } else {
        let recall: f64 = env("RECALL", "0.9").parse().context("RECALL: a fraction")?;
        anyhow::ensure!(
            recall > 0.0 && recall <= 1.0,
            "RECALL: expected a fraction in (0, 1], got {recall}"
        );
        Choice::Ceiling(recall)
    };
    let pipeline = config.build()?.with_partitioner("ceiling", move |c| {
        let PartitionerConfig::Tad(tad) = &c.partitioner else {
            return Err(trustdd::core::Error::invalid("partitioner", "none", "tad"));
        };
        Ok(Box::new(Ceiling {
            proxy: tad.proxy.clone(),
            split: tad.split,
            min_trusted_per_class: tad.min_trusted_per_class,
            epochs,
            iterations,
            balance,
            bayes_cut,
            relabel,
            bayes_select,
            choice,
            current: None,
            heldout_accuracy: f64::NAN,
            clean_weights: None,
        }))
    });
    let report = pipeline.run(&Silent)?;
    let run = report.runs.last().context("the run's distillation")?;
    for r in &run.rounds {
        println!("{r}");
    }
    let line = |what: &str, eval: Option<&trustdd::train::EvalReport>| {
        for a in eval.map(|e| e.architectures.as_slice()).unwrap_or_default() {
            println!(
                "{what} {}: {:.2} ± {:.2}%",
                a.name,
                100.0 * a.mean,
                100.0 * a.std
            );
        }
    };
    line("test", run.distill.evaluations.last().map(|e| &e.report));
    line("validation", run.validation.as_ref());
    Ok(())
}
