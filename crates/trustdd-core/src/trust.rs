//! [`TrustPartitioner`]: splitting real data into trusted and untrusted parts.

use crate::{Error, ImageDataset, Progress, Result, TrustRng};
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Instant;

/// Which samples are trusted, and the label each is trusted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPartition {
    /// `trusted[i]`: sample `i` may be used for distillation.
    pub trusted: Vec<bool>,
    /// The label sample `i` is used with: its observed label, or a corrected one after recall.
    pub working_labels: Vec<u32>,
}

impl TrustPartition {
    /// Every sample trusted with its observed label.
    pub fn all_trusted(labels: &[u32]) -> Self {
        Self {
            trusted: vec![true; labels.len()],
            working_labels: labels.to_vec(),
        }
    }

    /// Number of trusted samples.
    pub fn trusted_count(&self) -> usize {
        self.trusted.iter().filter(|&&t| t).count()
    }

    /// Trusted sample ids grouped by working label.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the partition does not have `n` entries,
    /// [`Error::LabelOutOfRange`] for a working label ≥ `num_classes`.
    pub fn members_by_class(&self, n: usize, num_classes: usize) -> Result<Vec<Vec<usize>>> {
        if self.trusted.len() != n || self.working_labels.len() != n {
            return Err(Error::shape(
                "trust partition",
                format!("{n} samples"),
                format!(
                    "{} flags, {} labels",
                    self.trusted.len(),
                    self.working_labels.len()
                ),
            ));
        }
        crate::dataset::check_labels(&self.working_labels, num_classes, "working labels")?;
        let mut out = vec![Vec::new(); num_classes];
        for (i, (&t, &l)) in self.trusted.iter().zip(&self.working_labels).enumerate() {
            if t {
                out[l as usize].push(i);
            }
        }
        Ok(out)
    }

    /// Precision (trusted samples whose working label is correct) and recall (correctly-labelled
    /// samples that are trusted) against ground truth. `None` when nothing is trusted or nothing
    /// is correct, where the ratio is undefined.
    pub fn precision_recall(&self, observed: &[u32], clean: &[u32]) -> Option<(f64, f64)> {
        let trusted = self.trusted_count();
        let correct_trusted = self
            .trusted
            .iter()
            .zip(&self.working_labels)
            .zip(clean)
            .filter(|((&t, w), c)| t && w == c)
            .count();
        let correct = observed.iter().zip(clean).filter(|(o, c)| o == c).count();
        let correct_and_trusted = self
            .trusted
            .iter()
            .zip(observed.iter().zip(clean))
            .filter(|(&t, (o, c))| t && o == c)
            .count();
        if trusted == 0 || correct == 0 {
            return None;
        }
        Some((
            correct_trusted as f64 / trusted as f64,
            correct_and_trusted as f64 / correct as f64,
        ))
    }
}

/// What a partitioner sees when it refits.
pub struct PartitionContext<'a> {
    /// The (possibly noisy) real data.
    pub dataset: &'a ImageDataset,
    /// Where to run proxy networks.
    pub device: &'a Device,
    /// How many refits happened before this one.
    pub round: usize,
    /// Where to report progress.
    pub progress: &'a dyn Progress,
}

/// Decides which real samples to trust (the outer loop of TAD) and with which labels.
///
/// `observe` mutates (trains a proxy, refits thresholds, recalls samples); `partition` only
/// queries. Wrap the result in a [`DatasetSampler`](crate::DatasetSampler) to divert any
/// objective to the trusted data. Implementations must draw randomness only from the `rng`
/// given to `observe`; those with state beyond the partition (proxy weights, loss history)
/// override [`state`](Self::state) and [`load_state`](Self::load_state) for bit-exact resume.
pub trait TrustPartitioner: Send {
    /// A short name, for example `"tad"`.
    fn name(&self) -> String;
    /// Refits the partition on the data.
    fn observe(&mut self, ctx: &PartitionContext<'_>, rng: &mut TrustRng) -> Result<()>;
    /// The current partition; `None` before the first [`observe`](Self::observe).
    fn partition(&self) -> Option<&TrustPartition>;

    /// Named state tensors for checkpoints. Default: the current partition
    /// ([`partition_tensors`]), which is all a partitioner without other state needs.
    fn state(&self) -> Result<Vec<(String, Tensor)>> {
        self.partition().map_or(Ok(Vec::new()), partition_tensors)
    }

    /// Restores state saved by [`state`](Self::state). Default: checks a saved partition
    /// and keeps it only as a check, since the next `observe` refits; unknown names are errors.
    ///
    /// # Errors
    /// Shape or format errors for missing, unknown or malformed tensors.
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        if let Some(k) = state
            .keys()
            .find(|k| *k != "trusted" && *k != "working_labels")
        {
            return Err(Error::invalid(
                format!("{} state tensor", self.name()),
                k,
                "trusted or working_labels",
            ));
        }
        partition_from(state).map(|_| ())
    }

    /// Figures of the last [`observe`](Self::observe) beyond the trusted count, precision and
    /// recall, which [`observe_round`] measures for every partitioner (TAD: recalled samples
    /// and their accuracy, fallbacks, proxy loss). Default: none.
    fn round_figures(&self) -> Vec<(String, Figure)> {
        Vec::new()
    }

    /// The last [`observe`](Self::observe)'s full record as JSON, kept in reports (`trustdd
    /// partition --json`, a run's report) beside the figures: for TAD, the per-class thresholds,
    /// rules and top-ups, the transition estimate and the co-divide splits. Default: `None`.
    fn round_details(&self) -> Option<serde_json::Value> {
        None
    }

    /// The last split class by class, for a picture (`partition.png`): each observed class's
    /// samples with the score it split them on, the fitted model and the threshold. Default:
    /// `None` (a partitioner without per-class scores).
    ///
    /// # Errors
    /// The partitioner's, when the view cannot be computed from its state and `dataset`.
    fn split_view(&self, dataset: &ImageDataset) -> Result<Option<SplitView>> {
        let _ = dataset;
        Ok(None)
    }

    /// Each sample's estimated probability, in `[0, 1]`, that its observed label is correct
    /// after the last [`observe`](Self::observe) (TAD: the posterior of its class's low-loss
    /// component), for a soft diversion that keeps untrusted samples at that weight. Default:
    /// `None` (no estimate).
    ///
    /// # Errors
    /// The partitioner's, when the estimate cannot be computed from its state and `dataset`.
    fn clean_weights(&self, dataset: &ImageDataset) -> Result<Option<Vec<f64>>> {
        let _ = dataset;
        Ok(None)
    }
}

/// A partitioner's last split, class by class ([`TrustPartitioner::split_view`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitView {
    /// What the scores are (the picture's axis), for example "normalised loss".
    pub score: String,
    /// Every class with observed samples, in class order.
    pub classes: Vec<ClassSplitView>,
}

/// One class of a [`SplitView`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSplitView {
    /// The observed class.
    pub class: usize,
    /// `(sample index, score)` of every sample observed with this label.
    pub samples: Vec<(usize, f64)>,
    /// The Gaussian components fitted to the scores, as `(weight, mean, variance)` (empty when
    /// none was fitted).
    pub components: Vec<(f64, f64, f64)>,
    /// Samples scoring at or below this were trusted by the split (`None`: all of them).
    pub threshold: Option<f64>,
    /// How the threshold was chosen (for example `gmm` or `quantile_fallback`).
    pub rule: String,
}

/// A figure a partitioner reports about a round, typed so that any front end renders it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Figure {
    /// A number of samples or classes.
    Count(usize),
    /// A ratio in [0, 1] (rendered as a percentage); `None` where it is undefined.
    Fraction(Option<f64>),
    /// Any other number (a loss).
    Value(f64),
}

/// What one refit of any partitioner did: measured by [`observe_round`], so a downstream
/// partitioner's rounds are reported like TAD's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionRound {
    /// The round (the context's `round`).
    pub round: usize,
    /// Trusted samples.
    pub trusted: usize,
    /// All samples.
    pub total: usize,
    /// Trusted samples whose working label is correct, when clean labels are known.
    pub precision: Option<f64>,
    /// Correctly-observed samples that are trusted, when clean labels are known.
    pub recall: Option<f64>,
    /// The partitioner's own figures ([`TrustPartitioner::round_figures`]).
    pub figures: Vec<(String, Figure)>,
    /// The partitioner's full record of the round ([`TrustPartitioner::round_details`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    /// Wall-clock seconds of the refit; not part of any output file, which must not depend on
    /// the machine's speed.
    #[serde(skip)]
    pub seconds: f64,
}

/// Runs one refit of `partitioner` and measures it: trusted count, precision and recall
/// against the dataset's clean labels (when it has them), the partitioner's own figures and the
/// time taken.
///
/// # Errors
/// The partitioner's; an invalid-parameter error when it holds no partition after `observe`.
pub fn observe_round(
    partitioner: &mut dyn TrustPartitioner,
    ctx: &PartitionContext<'_>,
    rng: &mut TrustRng,
) -> Result<PartitionRound> {
    let start = Instant::now();
    partitioner.observe(ctx, rng)?;
    let seconds = start.elapsed().as_secs_f64();
    let partition = current_partition(partitioner)?;
    partition.members_by_class(ctx.dataset.len(), ctx.dataset.num_classes())?;
    let quality = ctx
        .dataset
        .clean_labels()
        .and_then(|clean| partition.precision_recall(ctx.dataset.labels(), clean));
    Ok(PartitionRound {
        round: ctx.round,
        trusted: partition.trusted_count(),
        total: partition.trusted.len(),
        precision: quality.map(|q| q.0),
        recall: quality.map(|q| q.1),
        figures: partitioner.round_figures(),
        details: partitioner.round_details(),
        seconds,
    })
}

/// The partition `partitioner` holds after an `observe`.
///
/// # Errors
/// An invalid-parameter error naming the partitioner when it holds none.
pub fn current_partition(partitioner: &dyn TrustPartitioner) -> Result<&TrustPartition> {
    partitioner.partition().ok_or_else(|| {
        Error::invalid(
            "partitioner",
            partitioner.name(),
            "a partition after observe",
        )
    })
}

impl std::fmt::Display for PartitionRound {
    /// `round 1: 7400 of 8000 trusted, precision 97.10%, recall 93.00%, recalled 120, ...`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let percent = |v: Option<f64>| v.map_or("-".into(), |v| format!("{:.2}%", 100.0 * v));
        write!(
            f,
            "round {}: {} of {} trusted, precision {}, recall {}",
            self.round,
            self.trusted,
            self.total,
            percent(self.precision),
            percent(self.recall)
        )?;
        for (name, figure) in &self.figures {
            match figure {
                Figure::Count(n) => write!(f, ", {name} {n}")?,
                Figure::Fraction(v) => write!(f, ", {name} {}", percent(*v))?,
                Figure::Value(v) => write!(f, ", {name} {v:.4}")?,
            }
        }
        Ok(())
    }
}

/// A partition as checkpoint tensors: `trusted` as u8 flags and `working_labels` as u32, on the
/// CPU.
///
/// # Errors
/// Candle errors while building the tensors.
pub fn partition_tensors(p: &TrustPartition) -> Result<Vec<(String, Tensor)>> {
    let n = p.trusted.len();
    let flags: Vec<u8> = p.trusted.iter().map(|&t| u8::from(t)).collect();
    Ok(vec![
        ("trusted".into(), Tensor::from_vec(flags, n, &Device::Cpu)?),
        (
            "working_labels".into(),
            Tensor::from_vec(p.working_labels.clone(), n, &Device::Cpu)?,
        ),
    ])
}

/// The partition saved by [`partition_tensors`] in `state`, if both of its tensors are present.
///
/// # Errors
/// An invalid-parameter error when only one is; a shape error when their lengths differ.
pub fn partition_from(state: &HashMap<String, Tensor>) -> Result<Option<TrustPartition>> {
    match (state.get("trusted"), state.get("working_labels")) {
        (None, None) => Ok(None),
        (Some(t), Some(w)) => {
            let trusted = t
                .to_dtype(candle_core::DType::U8)?
                .flatten_all()?
                .to_vec1::<u8>()?
                .into_iter()
                .map(|v| v != 0)
                .collect::<Vec<_>>();
            let working_labels = w
                .to_dtype(candle_core::DType::U32)?
                .flatten_all()?
                .to_vec1::<u32>()?;
            if trusted.len() != working_labels.len() {
                return Err(Error::shape(
                    "saved partition",
                    format!("{} working labels", trusted.len()),
                    working_labels.len(),
                ));
            }
            Ok(Some(TrustPartition {
                trusted,
                working_labels,
            }))
        }
        _ => Err(Error::invalid(
            "partitioner state",
            "one of trusted / working_labels",
            "both tensors or neither",
        )),
    }
}

/// Trusts every sample with its observed label: plain distillation.
#[derive(Debug, Clone, Default)]
pub struct TrustAll {
    current: Option<TrustPartition>,
}

impl TrustPartitioner for TrustAll {
    fn name(&self) -> String {
        "all".into()
    }
    fn observe(&mut self, ctx: &PartitionContext<'_>, _rng: &mut TrustRng) -> Result<()> {
        self.current = Some(TrustPartition::all_trusted(ctx.dataset.labels()));
        Ok(())
    }
    fn partition(&self) -> Option<&TrustPartition> {
        self.current.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observe_round_measures_any_partitioner_against_the_clean_labels() {
        use crate::{ImageShape, Silent};
        // Clean 0 0 1 1; observed 0 1 1 0: TrustAll trusts all 4, 2 with the right label.
        let ds = ImageDataset::new(
            "t",
            ImageShape::new(1, 1, 1),
            vec![0; 4],
            vec![0, 0, 1, 1],
            vec!["a".into(), "b".into()],
        )
        .unwrap()
        .relabel(vec![0, 1, 1, 0])
        .unwrap();
        let ctx = PartitionContext {
            dataset: &ds,
            device: &Device::Cpu,
            round: 3,
            progress: &Silent,
        };
        let mut all = TrustAll::default();
        assert!(current_partition(&all).is_err());
        let r = observe_round(&mut all, &ctx, &mut TrustRng::new(0)).unwrap();
        assert_eq!((r.round, r.trusted, r.total), (3, 4, 4));
        assert_eq!((r.precision, r.recall), (Some(0.5), Some(1.0)));
        assert!(r.figures.is_empty());
        assert_eq!(
            r.to_string(),
            "round 3: 4 of 4 trusted, precision 50.00%, recall 100.00%"
        );
        // The default state is the partition, and it loads back; unknown names are refused.
        let state: HashMap<String, Tensor> = all.state().unwrap().into_iter().collect();
        assert_eq!(partition_from(&state).unwrap().as_ref(), all.partition());
        all.load_state(&state).unwrap();
        let mut bad = state.clone();
        bad.insert(
            "extra".into(),
            Tensor::zeros(1, candle_core::DType::U8, &Device::Cpu).unwrap(),
        );
        assert!(all
            .load_state(&bad)
            .unwrap_err()
            .to_string()
            .contains("extra"));
    }

    #[test]
    fn precision_recall_by_hand() {
        // clean  0 0 1 1 ; observed 0 1 1 0 (samples 1 and 3 wrong)
        // trusted: 0 (correct), 1 (wrong, recalled to 0 = correct), 2 (correct). 3 untrusted.
        let p = TrustPartition {
            trusted: vec![true, true, true, false],
            working_labels: vec![0, 0, 1, 0],
        };
        let (prec, rec) = p.precision_recall(&[0, 1, 1, 0], &[0, 0, 1, 1]).unwrap();
        assert!((prec - 1.0).abs() < 1e-12); // 3 of 3 trusted have the right working label
        assert!((rec - 1.0).abs() < 1e-12); // both correctly-observed samples are trusted
        let p = TrustPartition {
            trusted: vec![false, true, false, true],
            working_labels: vec![0, 1, 1, 0],
        };
        let (prec, rec) = p.precision_recall(&[0, 1, 1, 0], &[0, 0, 1, 1]).unwrap();
        assert_eq!((prec, rec), (0.0, 0.0));
        assert!(p.members_by_class(3, 2).is_err());
    }
}
