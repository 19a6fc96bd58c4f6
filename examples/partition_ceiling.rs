//! How precise can any trust partition be on this data, and what does a partition at that
//! ceiling distil to? Issue 18's diagnostic for the pair swaps: a bound, not a method, since it
//! reads the clean labels.
//!
//! The ceiling partitioner knows what no real partitioner knows: it trains the cross-fitted
//! partitioner's proxies ([`trustdd::trust::heldout_probabilities`]) on the *clean* labels (two
//! folds, each network scoring the fold it never saw, so no sample's score comes from a network
//! that memorised it), takes the realised noise transition `T[c][j] = P(observed j | clean c)`
//! from the ground truth, and scores every sample by Bayes' rule, `P(clean = observed | x,
//! observed) ∝ p(observed | x) · T[observed][observed]`. Ranking by that score is the most
//! precise split at every trusted-set size that the proxy's knowledge of the images allows (the
//! expected number of correct labels in a set of size m is maximised by the m highest
//! posteriors). It prints the precision of that ranking at fixed recalls, the same with labels
//! corrected to the posterior's argmax, and the agreement rule; then it distils with the split
//! at `RECALL` (or, with `ORACLE=1`, with exactly the correctly labelled samples) through the
//! same pipeline as `trustdd distill`.
//!
//! The method that reads no clean label, which this example's `HELD_OUT=1` mode measured first,
//! is now the library's `cross_fit` partitioner (`trustdd distill --trust cross_fit`).
//!
//! ```sh
//! trustdd distill $F --noise map:0.4:0:6,6:0,2:4,4:2,5:7,7:5 --trust cross_fit --val-split 0.1 \
//!   --print-config > run.toml
//! TRUSTDD_DATA=../shared/data CONFIG=run.toml RECALL=0.9 \
//!   cargo run --release --example partition_ceiling
//! TRUSTDD_DATA=../shared/data CONFIG=run.toml ORACLE=1 \
//!   cargo run --release --example partition_ceiling
//! ```

use anyhow::Context;
use trustdd::core::{Figure, PartitionContext, Silent, TrustPartition, TrustPartitioner, TrustRng};
use trustdd::pipeline::{PartitionerConfig, RunConfig};
use trustdd::train::TrainConfig;
use trustdd::trust::{heldout_probabilities, CrossFitConfig, Transition};

/// Recalls at which the ceiling's precision is printed.
const RECALLS: [f64; 8] = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0];

/// What the partitioner distils with.
#[derive(Clone, Copy)]
enum Choice {
    /// The Bayes ranking's split at this recall (observed labels kept).
    Ceiling(f64),
    /// Exactly the correctly labelled samples.
    Oracle,
}

/// The ceiling partitioner: fits once, keeps its partition through every refit.
struct Ceiling {
    /// The proxies' architecture and training: the cross-fitted partitioner's.
    proxies: CrossFitConfig,
    choice: Choice,
    current: Option<TrustPartition>,
    heldout_accuracy: f64,
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

impl Ceiling {
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
        let probs = heldout_probabilities(&self.proxies, ctx, clean, None, rng)?;
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
            self.proxies.train.epochs
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
        self.bayes_ceiling(ctx, &clean, rng)
    }

    fn partition(&self) -> Option<&TrustPartition> {
        self.current.as_ref()
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
    let epochs: Option<usize> = match std::env::var("EPOCHS") {
        Ok(v) => Some(v.parse().context("EPOCHS: an integer")?),
        Err(_) => None,
    };
    let choice = if env("ORACLE", "0") == "1" {
        Choice::Oracle
    } else {
        let recall: f64 = env("RECALL", "0.9").parse().context("RECALL: a fraction")?;
        anyhow::ensure!(
            recall > 0.0 && recall <= 1.0,
            "RECALL: expected a fraction in (0, 1], got {recall}"
        );
        Choice::Ceiling(recall)
    };
    let pipeline = config.build()?.with_partitioner("ceiling", move |c| {
        // The configured partitioner's proxies, resolved for the dataset: the cross-fitted
        // partitioner's as they are, TAD's proxy trained as a cross-fitted one.
        let mut proxies = match &c.partitioner {
            PartitionerConfig::CrossFit(f) => f.clone(),
            PartitionerConfig::Tad(tad) => CrossFitConfig {
                arch: tad.proxy.arch.clone(),
                train: TrainConfig {
                    batch_size: tad.proxy.batch_size,
                    lr: tad.proxy.lr,
                    momentum: tad.proxy.momentum,
                    weight_decay: tad.proxy.weight_decay,
                    augment: tad.proxy.augment.clone(),
                    ..CrossFitConfig::default().train
                },
                ..CrossFitConfig::default()
            },
            PartitionerConfig::None => {
                return Err(trustdd::core::Error::invalid(
                    "partitioner",
                    "none",
                    "tad or cross_fit",
                ))
            }
        };
        if let Some(e) = epochs {
            proxies.train.epochs = e;
        }
        Ok(Box::new(Ceiling {
            proxies,
            choice,
            current: None,
            heldout_accuracy: f64::NAN,
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
