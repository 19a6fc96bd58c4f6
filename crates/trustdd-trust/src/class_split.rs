//! The class-wise dynamic threshold of TAD's outer loop (ALGORITHMS.md §6): for each observed
//! class, min–max normalise its samples' losses, fit a two-component GMM, trust the low-loss
//! side. Refitted every round, so each class gets its own threshold as the proxy changes.
//!
//! Follows the paper's description: class-wise GMM on normalised per-sample losses, trusted =
//! posterior of the low-mean component > τ, guards for clean classes. Reconstructed details:
//! - the decision is made monotone in the loss: a sample is trusted iff its normalised loss is
//!   below the point in `[mean_low, mean_high]` where the posterior crosses τ (found by
//!   bisection). Without this, unequal variances let the far low tail of a narrow clean
//!   component, or the far high tail of a wide one, land on the wrong side;
//! - the guards' fallback trusts the `fallback_quantile` smallest losses of the class, and of
//!   those only samples whose raw loss is at most `fallback_max_loss` [ln 2: the proxy gives the
//!   observed label probability ≥ 1/2]. The cap matters under heavy pair noise (MNIST 5↔6 at
//!   40%): such a class holds two modes of similar size, the proxy cannot make its losses
//!   bimodal, the guard fires, and a quantile alone would trust most of the wrong half.
//! - with `agreement` (issue 18), a sample is trusted only where the proxy predicts its observed
//!   label (its probability margin is positive), whatever side of the threshold it falls on: under
//!   pair swaps the swapped samples' losses overlap the clean ones', but the proxy, trained on a
//!   60/40 mixture of the pair, still predicts the majority (true) class for most of them.

use crate::error::Result;
use crate::gmm::{Gmm2, GmmConfig};
use serde::{Deserialize, Serialize};

/// Settings of the class-wise split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplitConfig {
    /// Trust when the low-loss component's posterior exceeds τ (default 0.5).
    pub tau: f64,
    /// The mixture's EM settings.
    pub gmm: GmmConfig,
    /// Means (of normalised losses, in [0, 1]) closer than this mean no noisy mode: fall back
    /// (default 0.15).
    pub min_mean_gap: f64,
    /// A component lighter than this means no noisy mode: fall back (default 0.05).
    pub min_component_weight: f64,
    /// The fallback trusts the `⌈q·n⌉` smallest losses of the class (default 0.9)...
    pub fallback_quantile: f64,
    /// ... that are at most this raw loss (default ln 2: the proxy's probability of the observed
    /// label is at least 1/2; `inf` turns the cap off).
    pub fallback_max_loss: f64,
    /// What the mixture is fitted to, per sample, before the per-class min–max normalisation
    /// (default: the loss).
    pub score: SplitScore,
    /// The mixture's threshold never trusts a raw loss above this (default `None`: no cap;
    /// ln 2 keeps only samples whose observed label the proxy gives probability ≥ 1/2).
    pub max_trusted_loss: Option<f64>,
    /// Trust only samples whose observed label is the proxy's prediction (a positive
    /// probability margin), on every rule: prediction–label agreement as a veto on the
    /// threshold (default false).
    pub agreement: bool,
}

/// The per-sample figures a split reads (the proxy's, averaged over the loss window).
#[derive(Debug, Clone, Copy)]
pub struct SplitInput<'a> {
    /// Cross-entropy of the observed label.
    pub losses: &'a [f64],
    /// Probability margin of the observed label, `p(y~) − max_{c ≠ y~} p(c)` ([`ProxyOutputs::margins`](crate::ProxyOutputs::margins)).
    pub margins: &'a [f64],
}

/// The per-sample score a class's mixture is fitted to (higher means less trustworthy, so the
/// low component is the trusted one; all but `Margin` increase with the loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitScore {
    /// The cross-entropy loss `ℓ` of the observed label (DivideMix's choice).
    #[default]
    Loss,
    /// `1 − p(observed label) = 1 − e^(−ℓ)`: bounded, so a few very wrong samples (loss 10
    /// and more) cannot squeeze every other sample into the bottom tenth of the normalised
    /// scale, where the clean and the swapped modes merge (`partition.png` of issue 18).
    Probability,
    /// The negated probability margin `max_{c ≠ y~} p(c) − p(y~)` in `[−1, 1]` (the margin of
    /// Pleiss et al.'s AUM, NeurIPS 2020, on probabilities so that it is bounded): it compares
    /// the observed label with the proxy's best other class, so a sample whose label lost to
    /// the other class of a swapped pair scores high even when both probabilities are middling.
    Margin,
}

impl SplitScore {
    /// The score of a sample with loss `loss` and probability margin `margin`.
    pub fn of(self, loss: f64, margin: f64) -> f64 {
        match self {
            SplitScore::Loss => loss,
            SplitScore::Probability => -(-loss).exp_m1(),
            SplitScore::Margin => -margin,
        }
    }

    /// Whether the score increases with the loss alone (so a cap on the loss is a cap on the
    /// normalised score).
    fn follows_the_loss(self) -> bool {
        !matches!(self, SplitScore::Margin)
    }

    /// The name of the score, for pictures.
    pub fn name(self) -> &'static str {
        match self {
            SplitScore::Loss => "loss",
            SplitScore::Probability => "1 - p(observed label)",
            SplitScore::Margin => "negated margin",
        }
    }
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            tau: 0.5,
            gmm: GmmConfig::default(),
            min_mean_gap: 0.15,
            min_component_weight: 0.05,
            fallback_quantile: 0.9,
            fallback_max_loss: std::f64::consts::LN_2,
            score: SplitScore::Loss,
            max_trusted_loss: None,
            agreement: false,
        }
    }
}

impl SplitConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// An invalid-parameter error naming the field.
    pub fn validate(&self) -> Result<()> {
        let unit = |name: &str, v: f64, open_low: bool| -> Result<()> {
            let ok = v.is_finite() && v <= 1.0 && if open_low { v > 0.0 } else { v >= 0.0 };
            if ok {
                Ok(())
            } else {
                let range = if open_low { "(0, 1]" } else { "[0, 1]" };
                Err(trustdd_core::Error::invalid(
                    name,
                    v,
                    format!("a number in {range}"),
                ))
            }
        };
        if !(self.tau.is_finite() && self.tau > 0.0 && self.tau < 1.0) {
            return Err(trustdd_core::Error::invalid(
                "tau",
                self.tau,
                "a number in (0, 1)",
            ));
        }
        unit("min_mean_gap", self.min_mean_gap, false)?;
        unit("min_component_weight", self.min_component_weight, false)?;
        unit("fallback_quantile", self.fallback_quantile, true)?;
        if let Some(m) = self.max_trusted_loss.filter(|m| m.is_nan() || *m <= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "max_trusted_loss",
                m,
                "a positive number",
            ));
        }
        if self.fallback_max_loss.is_nan() || self.fallback_max_loss <= 0.0 {
            return Err(trustdd_core::Error::invalid(
                "fallback_max_loss",
                self.fallback_max_loss,
                "a positive number (inf: no cap)",
            ));
        }
        self.gmm.validate()
    }
}

/// How a class was split this round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitRule {
    /// The GMM threshold.
    Gmm,
    /// A guard fired (means too close or a component too light): loss quantile, capped at
    /// `fallback_max_loss`.
    QuantileFallback,
    /// All losses equal: the whole class is trusted.
    Constant,
    /// One sample: trusted.
    Single,
}

/// One class's split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSplit {
    /// The observed class.
    pub class: usize,
    /// Samples observed with this label.
    pub size: usize,
    /// How many of them the split trusts.
    pub trusted: usize,
    /// The normalised score at or below which samples are trusted (`None` for constant or
    /// single).
    pub threshold: Option<f64>,
    /// Which rule decided.
    pub rule: SplitRule,
    /// Samples the rule trusted that the agreement veto (or, for the margin score, the loss
    /// cap) took out.
    #[serde(default)]
    pub vetoed: usize,
    /// The fitted mixture (means and weights are on normalised scores), when one was fitted.
    pub gmm: Option<Gmm2>,
}

/// Splits every observed class; returns `trusted[i]` and the per-class record (classes with no
/// sample are omitted).
///
/// # Errors
/// A shape error when `input`'s losses, margins and `labels` differ in length; an invalid
/// configuration; non-finite losses or margins.
pub fn split_classes(
    input: SplitInput<'_>,
    labels: &[u32],
    num_classes: usize,
    config: &SplitConfig,
) -> Result<(Vec<bool>, Vec<ClassSplit>)> {
    config.validate()?;
    let SplitInput { losses, margins } = input;
    for (what, len) in [
        ("losses per label", losses.len()),
        ("margins per label", margins.len()),
    ] {
        if len != labels.len() {
            return Err(trustdd_core::Error::shape(what, labels.len(), len));
        }
    }
    crate::error::check_finite(losses, "per-sample losses")?;
    crate::error::check_finite(margins, "per-sample margins")?;
    trustdd_core::check_labels(labels, num_classes, "observed labels")?;
    let mut trusted = vec![false; losses.len()];
    let mut record = Vec::new();
    for (class, members) in trustdd_core::index_by_class(labels, num_classes)
        .into_iter()
        .enumerate()
    {
        if members.is_empty() {
            continue;
        }
        let values: Vec<f64> = members
            .iter()
            .map(|&i| config.score.of(losses[i], margins[i]))
            .collect();
        let (mut keep, mut split) = split_one(class, &values, config)?;
        for (k, &i) in keep.iter_mut().zip(&members) {
            if *k && vetoed(config, losses[i], margins[i], split.rule) {
                *k = false;
                split.vetoed += 1;
            }
        }
        split.trusted -= split.vetoed;
        for (&i, k) in members.iter().zip(keep) {
            trusted[i] = k;
        }
        record.push(split);
    }
    Ok((trusted, record))
}

/// Whether a sample on the trusted side of its class's threshold is taken out: by the
/// agreement veto, or (for a score that does not follow the loss, where the caps cannot be
/// folded into the threshold) by the rule's loss cap.
fn vetoed(config: &SplitConfig, loss: f64, margin: f64, rule: SplitRule) -> bool {
    let over_cap = !config.score.follows_the_loss()
        && match rule {
            SplitRule::Gmm => config.max_trusted_loss.is_some_and(|m| loss > m),
            SplitRule::QuantileFallback => loss > config.fallback_max_loss,
            SplitRule::Constant | SplitRule::Single => false,
        };
    over_cap || (config.agreement && margin <= 0.0)
}

fn split_one(
    class: usize,
    values: &[f64],
    config: &SplitConfig,
) -> Result<(Vec<bool>, ClassSplit)> {
    let n = values.len();
    let mut split = ClassSplit {
        class,
        size: n,
        trusted: n,
        threshold: None,
        rule: SplitRule::Single,
        gmm: None,
        vetoed: 0,
    };
    if n == 1 {
        return Ok((vec![true], split));
    }
    let Some((norm, lo, hi)) = normalise(values) else {
        split.rule = SplitRule::Constant;
        return Ok((vec![true; n], split));
    };
    let gmm = Gmm2::fit(&norm, &config.gmm)?;
    split.gmm = Some(gmm);
    let (low, high) = (gmm.low_component(), 1 - gmm.low_component());
    let clean_looking = gmm.means[high] - gmm.means[low] < config.min_mean_gap
        || gmm.weights[0].min(gmm.weights[1]) < config.min_component_weight;
    let threshold = if clean_looking {
        None
    } else {
        crossing(&gmm, config.tau)
    };
    // A loss cap in the normalised score's units (no cap where the score does not follow the
    // loss: `vetoed` applies it per sample instead).
    let cap = |loss: f64| {
        if config.score.follows_the_loss() {
            (config.score.of(loss, 0.0) - lo) / (hi - lo)
        } else {
            f64::INFINITY
        }
    };
    let (threshold, rule) = match threshold {
        Some(t) => (
            config.max_trusted_loss.map_or(t, |m| t.min(cap(m))),
            SplitRule::Gmm,
        ),
        None => (
            quantile_threshold(&norm, config.fallback_quantile).min(cap(config.fallback_max_loss)),
            SplitRule::QuantileFallback,
        ),
    };
    let keep: Vec<bool> = norm.iter().map(|&v| v <= threshold).collect();
    split.trusted = keep.iter().filter(|&&k| k).count();
    split.threshold = Some(threshold);
    split.rule = rule;
    Ok((keep, split))
}

/// A class's losses min–max normalised to `[0, 1]`, with the minimum and maximum; `None` when
/// they are all equal.
pub(crate) fn normalise(values: &[f64]) -> Option<(Vec<f64>, f64, f64)> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (hi - lo > 0.0).then(|| {
        (
            values.iter().map(|v| (v - lo) / (hi - lo)).collect(),
            lo,
            hi,
        )
    })
}

/// The normalised loss in `[mean_low, mean_high]` where the low component's posterior falls to
/// τ; `None` when it does not cross there (one component dominates both means).
fn crossing(gmm: &Gmm2, tau: f64) -> Option<f64> {
    let (mut a, mut b) = (
        gmm.means[gmm.low_component()],
        gmm.means[1 - gmm.low_component()],
    );
    if !(gmm.posterior_low(a) > tau && gmm.posterior_low(b) <= tau) {
        return None;
    }
    for _ in 0..60 {
        let mid = 0.5 * (a + b);
        if gmm.posterior_low(mid) > tau {
            a = mid;
        } else {
            b = mid;
        }
    }
    Some(a)
}

/// The `⌈q·n⌉`-th smallest value (so that many samples are at or below it, ties aside).
fn quantile_threshold(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits losses alone (every margin positive: the proxy agrees with every label).
    fn split_losses(
        losses: &[f64],
        labels: &[u32],
        num_classes: usize,
        config: &SplitConfig,
    ) -> Result<(Vec<bool>, Vec<ClassSplit>)> {
        let margins = vec![1.0; losses.len()];
        split_classes(
            SplitInput {
                losses,
                margins: &margins,
            },
            labels,
            num_classes,
            config,
        )
    }

    #[test]
    fn the_probability_score_is_one_minus_the_observed_labels_probability() {
        for l in [0.0, 1e-12, 0.3, std::f64::consts::LN_2, 5.0, 40.0] {
            let p = (-l).exp();
            assert!((SplitScore::Probability.of(l, 0.3) - (1.0 - p)).abs() < 1e-15);
            assert_eq!(SplitScore::Loss.of(l, 0.3), l);
        }
        assert_eq!(SplitScore::Probability.of(f64::INFINITY, 0.3), 1.0);
    }

    /// A class of 60 clean samples (loss 0.05–0.35), 40 swapped ones (1.2–2.0) and ten very
    /// wrong ones (10–28): min–max normalised losses squeeze the first two groups into the
    /// bottom 7% of the scale, and the mixture splits that bulk from the tail; the probability
    /// score keeps the groups apart and trusts exactly the clean ones.
    #[test]
    fn the_probability_score_separates_a_swapped_mode_that_a_heavy_tail_hides() {
        let mut losses: Vec<f64> = (0..60).map(|i| 0.05 + 0.005 * i as f64).collect();
        losses.extend((0..40).map(|i| 1.2 + 0.02 * i as f64));
        losses.extend((0..10).map(|i| 10.0 + 2.0 * i as f64));
        let labels = vec![0u32; losses.len()];
        let split = |score| {
            let config = SplitConfig {
                score,
                ..SplitConfig::default()
            };
            split_losses(&losses, &labels, 1, &config).unwrap().0
        };
        let by_probability = split(SplitScore::Probability);
        assert!(by_probability[..60].iter().all(|&t| t));
        assert!(!by_probability[60..].iter().any(|&t| t));
        let by_loss = split(SplitScore::Loss);
        assert!(
            by_loss[60..100].iter().any(|&t| t),
            "the loss score was expected to trust swapped samples here"
        );
    }

    #[test]
    fn noisy_class_is_split_clean_class_falls_back_and_constants_are_trusted() {
        // Class 0: 20 low losses (0.1..0.29) and 10 high (2.0..2.9): a clear noisy mode.
        // Class 1: 29 losses spread evenly over 0..2.8 and one outlier at 32.9: the "noisy"
        // component is the outlier alone, weight 1/30 < 0.05, so the weight guard falls back.
        // Class 2: constant. Class 3: a single sample. Class 4: absent.
        let mut losses = Vec::new();
        let mut labels = Vec::new();
        for i in 0..20 {
            losses.push(0.1 + 0.01 * i as f64);
            labels.push(0);
        }
        for i in 0..10 {
            losses.push(2.0 + 0.1 * i as f64);
            labels.push(0);
        }
        for i in 0..30 {
            losses.push(0.1 * i as f64 + if i == 29 { 30.0 } else { 0.0 });
            labels.push(1);
        }
        losses.extend([0.7, 0.7, 0.7, 5.0]);
        labels.extend([2, 2, 2, 3]);
        let uncapped = SplitConfig {
            fallback_max_loss: f64::INFINITY,
            ..SplitConfig::default()
        };
        let (trusted, rec) = split_losses(&losses, &labels, 5, &uncapped).unwrap();
        assert_eq!(rec.len(), 4);
        assert_eq!(rec[0].rule, SplitRule::Gmm);
        assert_eq!(trusted[..30], [vec![true; 20], vec![false; 10]].concat());
        let t0 = rec[0].threshold.unwrap();
        // Normalised: low losses in [0, 0.068], high in [0.672, 1]: the crossing lies between.
        assert!(t0 > 0.068 && t0 < 0.672, "{t0}");
        // Fallback: the ⌈0.9·30⌉ = 27 smallest losses.
        assert_eq!(rec[1].rule, SplitRule::QuantileFallback);
        assert_eq!(trusted[30..60], [vec![true; 27], vec![false; 3]].concat());
        assert_eq!(rec[2].rule, SplitRule::Constant);
        assert_eq!(rec[3].rule, SplitRule::Single);
        assert!(trusted[60..].iter().all(|&t| t));
        // With the default cap (ln 2 ≈ 0.693), class 1 keeps only losses 0.0..=0.6 (7 samples).
        let (trusted, rec) = split_losses(&losses, &labels, 5, &SplitConfig::default()).unwrap();
        assert_eq!(rec[1].rule, SplitRule::QuantileFallback);
        assert_eq!(trusted[30..60], [vec![true; 7], vec![false; 23]].concat());
        assert_eq!(trusted[..30], [vec![true; 20], vec![false; 10]].concat());
    }

    #[test]
    fn guard_fallback_keeps_the_quantile() {
        // Evenly spread losses 0..9: the GMM means are ~0.25 and ~0.75 apart by 0.5 > gap, so
        // raise the gap guard to force the fallback: ⌈0.9·10⌉ = 9 smallest are trusted.
        let losses: Vec<f64> = (0..10).map(f64::from).collect();
        let config = SplitConfig {
            min_mean_gap: 0.9,
            fallback_max_loss: f64::INFINITY,
            ..SplitConfig::default()
        };
        let (trusted, rec) = split_losses(&losses, &[0; 10], 1, &config).unwrap();
        assert_eq!(rec[0].rule, SplitRule::QuantileFallback);
        assert_eq!(trusted, [vec![true; 9], vec![false]].concat());
        assert!((rec[0].threshold.unwrap() - 8.0 / 9.0).abs() < 1e-12);
        let bad = SplitConfig { tau: 1.0, ..config };
        assert!(split_losses(&losses, &[0; 10], 1, &bad)
            .unwrap_err()
            .to_string()
            .contains("tau"));
        assert!(split_losses(&[f64::NAN], &[0], 1, &SplitConfig::default()).is_err());
        let bad = SplitConfig {
            fallback_max_loss: 0.0,
            ..config
        };
        assert!(split_losses(&losses, &[0; 10], 1, &bad)
            .unwrap_err()
            .to_string()
            .contains("fallback_max_loss"));
    }

    /// One class under a pair swap: 60 right labels and 40 swapped ones with the same spread
    /// of losses (0.4–0.9, the proxy is unsure of both), but the proxy predicts the observed
    /// label for the right ones (margins 0.05–0.35) and the other class of the pair for the
    /// swapped ones (margins −0.35 to −0.05). The loss cannot tell them apart; the agreement
    /// veto and the margin score both can.
    fn swapped_class() -> (Vec<f64>, Vec<f64>) {
        let spread = |j: i32, n: i32| 0.4 + 0.5 * f64::from(j) / f64::from(n - 1);
        let losses: Vec<f64> = (0..100)
            .map(|i| {
                if i < 60 {
                    spread(i, 60)
                } else {
                    spread(i - 60, 40)
                }
            })
            .collect();
        let margins: Vec<f64> = (0..100)
            .map(|i| {
                let step = 0.3 * f64::from((i * 37) % 60) / 59.0;
                if i < 60 {
                    0.05 + step
                } else {
                    -0.05 - step
                }
            })
            .collect();
        (losses, margins)
    }

    #[test]
    fn the_agreement_veto_and_the_margin_score_drop_labels_the_proxy_predicts_otherwise() {
        let (losses, margins) = swapped_class();
        let labels = vec![0u32; 100];
        let input = SplitInput {
            losses: &losses,
            margins: &margins,
        };
        let run = |config: SplitConfig| split_classes(input, &labels, 1, &config).unwrap();
        // On the loss alone the swapped samples are trusted with the clean ones (both groups
        // spread evenly over the same losses).
        let (by_loss, _) = run(SplitConfig::default());
        assert!(by_loss[60..].iter().any(|&t| t));
        let (vetoed, rec) = run(SplitConfig {
            agreement: true,
            ..SplitConfig::default()
        });
        assert!(
            !vetoed[60..].iter().any(|&t| t),
            "a swapped label was trusted"
        );
        let before = by_loss.iter().filter(|&&t| t).count();
        assert_eq!(rec[0].trusted, vetoed.iter().filter(|&&t| t).count());
        assert_eq!(rec[0].trusted + rec[0].vetoed, before);
        for i in (0..60).filter(|&i| by_loss[i]) {
            assert!(vetoed[i], "the veto took out a label the proxy agrees with");
        }
        // The margin score's mixture puts the two groups in separate components.
        let (by_margin, rec) = run(SplitConfig {
            score: SplitScore::Margin,
            ..SplitConfig::default()
        });
        assert_eq!(rec[0].rule, SplitRule::Gmm);
        assert_eq!(by_margin, [vec![true; 60], vec![false; 40]].concat());
        assert_eq!(SplitScore::Margin.of(5.0, 0.25), -0.25);
    }

    #[test]
    fn a_margin_split_applies_the_loss_caps_per_sample() {
        // Forced fallback (gap guard 0.9) on the margin score: the 90% quantile of the scores,
        // then the fallback's loss cap (ln 2) per sample, since the cap is not a score.
        let losses: Vec<f64> = (0..10).map(|i| 0.1 * f64::from(i)).collect(); // 0.0 ..= 0.9
        let margins: Vec<f64> = (0..10).map(|i| 0.9 - 0.1 * f64::from(i)).collect();
        let config = SplitConfig {
            score: SplitScore::Margin,
            min_mean_gap: 0.9,
            ..SplitConfig::default()
        };
        let input = SplitInput {
            losses: &losses,
            margins: &margins,
        };
        let (trusted, rec) = split_classes(input, &[0; 10], 1, &config).unwrap();
        assert_eq!(rec[0].rule, SplitRule::QuantileFallback);
        // The quantile keeps the 9 best margins (losses 0.0..=0.8); the cap drops 0.7 and 0.8.
        assert_eq!(trusted, [vec![true; 7], vec![false; 3]].concat());
        assert_eq!((rec[0].trusted, rec[0].vetoed), (7, 2));
        // Inputs of the wrong length or not finite are typed errors.
        let short = SplitInput {
            losses: &losses,
            margins: &margins[..9],
        };
        let err = split_classes(short, &[0; 10], 1, &config).unwrap_err();
        assert!(err.to_string().contains("margins"), "{err}");
        let mut bad = margins.clone();
        bad[3] = f64::NAN;
        let input = SplitInput {
            losses: &losses,
            margins: &bad,
        };
        assert!(split_classes(input, &[0; 10], 1, &config).is_err());
    }
}
