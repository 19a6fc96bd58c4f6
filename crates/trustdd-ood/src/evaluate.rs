//! The OOD evaluation protocol: train fresh networks on the distilled data (optionally with
//! outlier exposure), then measure test accuracy, OOD detection and misclassification detection.

use crate::metrics::misclassification_auroc;
use crate::report::{summarise, ArchOod, MeanStd, OodReport};
use crate::{ood_metrics, scores, OeSource, OodSet, Result, ScoreHistograms, ScoreKind};
use candle_core::{DType, Device, Tensor, D};
use serde::{Deserialize, Serialize};
use trustdd_core::{ImageDataset, Progress, ProgressEvent, SyntheticLabels, SyntheticSet};
use trustdd_nn::Network;
use trustdd_train::{evaluation_network, train, EvalConfig, Targets, TensorSource, TrainSource};

/// Settings of [`evaluate_ood`]; `Default` holds the paper's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OodEvalConfig {
    /// Architectures, runs and training (ALGORITHMS.md §2). For an MTT set, set
    /// `eval.train.lr` to its learnt rate.
    pub eval: EvalConfig,
    /// Weight λ of L_OE when an outlier set is given (default 0.5).
    pub lambda: f64,
    /// Scores to evaluate (default MSP, MaxLogit, Energy).
    pub scores: Vec<ScoreKind>,
    /// Energy temperature T (default 1).
    pub temperature: f64,
}

impl Default for OodEvalConfig {
    fn default() -> Self {
        Self {
            eval: EvalConfig::default(),
            lambda: crate::DEFAULT_LAMBDA,
            scores: ScoreKind::ALL.to_vec(),
            temperature: 1.0,
        }
    }
}

impl OodEvalConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        self.eval.validate()?;
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "lambda",
                self.lambda,
                "a finite number ≥ 0",
            ));
        }
        if self.scores.is_empty() {
            return Err(trustdd_core::Error::invalid(
                "scores",
                "[]",
                "at least one score kind",
            ));
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(trustdd_core::Error::invalid(
                "temperature",
                self.temperature,
                "a positive finite number",
            ));
        }
        Ok(())
    }
}

/// Logits (`N×K`, f32, on `device`) of `n` inputs given by `batch_of(range)`, in evaluation mode
/// with detached parameters.
fn logits_of(
    net: &Network,
    n: usize,
    batch: usize,
    device: &Device,
    batch_of: &dyn Fn(usize, usize) -> Result<Tensor>,
) -> Result<Tensor> {
    let params = net.detached_params();
    let parts = (0..n)
        .step_by(batch)
        .map(|start| {
            let len = batch.min(n - start);
            let x = batch_of(start, len)?.to_device(device)?;
            Ok(net.forward_with(&params, &x, false)?.to_dtype(DType::F32)?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Tensor::cat(&parts, 0)?)
}

/// Trains `config.eval.runs` fresh networks of each architecture on `syn` (plain CE), or on `syn`
/// and `outliers` with `CE + λ·L_OE` ([`OeSource`]), and reports for each run the test accuracy,
/// every score's OOD metrics on each of `ood_sets` (ID = `test`), and misclassification AUROC.
///
/// Seeding is [`trustdd_train::evaluate_synthetic`]'s: run `r` draws from
/// `TrustRng::for_item(seed, r)`, network init from its first fork, so without outliers the
/// networks are exactly those `evaluate_synthetic` trains with the same seed. Accuracy and all
/// scores come from ONE pass over each set (final-epoch network; nothing is selected on test).
/// Emits each run's `"train"` events and `("evaluate", runs done, total, [acc])`.
///
/// # Errors
/// Invalid config; [`trustdd_core::Error::Empty`] for no OOD set; a shape error when the images of `syn`,
/// `outliers` or an OOD set do not match `test`; training and network errors.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_ood(
    syn: &SyntheticSet,
    outliers: Option<&SyntheticSet>,
    test: &ImageDataset,
    ood_sets: &[OodSet],
    config: &OodEvalConfig,
    seed: u64,
    device: &Device,
    progress: &dyn Progress,
) -> Result<OodReport> {
    config.validate()?;
    if ood_sets.is_empty() {
        return Err(trustdd_core::Error::empty("list of OOD sets"));
    }
    let shape = test.shape();
    for (what, dims) in std::iter::once(("synthetic images".to_string(), syn.images.dims()))
        .chain(outliers.map(|o| ("outlier images".to_string(), o.images.dims())))
        .chain(
            ood_sets
                .iter()
                .map(|s| (format!("OOD set {:?}", s.name), s.images.dims())),
        )
    {
        if dims.len() != 4 || dims[1..] != [shape.channels, shape.height, shape.width] {
            return Err(trustdd_core::Error::shape(
                format!("{what} image shape vs test set"),
                shape,
                format!("{:?}", dims.get(1..).unwrap_or(&[])),
            ));
        }
    }
    let source: Box<dyn TrainSource> = match outliers {
        Some(o) => Box::new(OeSource::new(syn, o, config.lambda)?),
        None => {
            let targets = match &syn.labels {
                SyntheticLabels::Hard(l) => Targets::hard(l, device)?,
                SyntheticLabels::Soft(v) => Targets::soft_from_logits(v.as_tensor())?,
            };
            Box::new(TensorSource::new(
                &syn.images.as_tensor().detach(),
                targets,
            )?)
        }
    };
    let eval = &config.eval;
    // The reference's schedule, as `evaluate_synthetic`: E + 1 passes, the decay after E/2 + 1.
    let schedule = eval.train.reference_evaluation();
    let total = (eval.architectures.len() * eval.runs) as u64;
    let mut done = 0;
    let batch = eval.test_batch_size;
    let mut architectures = Vec::new();
    let mut histograms = None;
    let pictured = config
        .scores
        .iter()
        .copied()
        .find(|&k| k == ScoreKind::Msp)
        .or(config.scores.first().copied());
    for arch in &eval.architectures {
        let mut name = String::new();
        let mut accuracies = Vec::new();
        // [score][set] → per-run metrics; [score] → per-run misclassification AUROC.
        let mut per_set = vec![vec![Vec::new(); ood_sets.len()]; config.scores.len()];
        let mut misclass = vec![Vec::new(); config.scores.len()];
        for run in 0..eval.runs {
            let (mut net, mut rng) =
                evaluation_network(arch, shape, test.num_classes(), seed, run, device)?;
            name = net.arch().name();
            train(
                &mut net,
                source.as_ref(),
                &schedule,
                &mut rng,
                device,
                progress,
            )?;
            let test_logits = logits_of(&net, test.len(), batch, device, &|start, len| {
                let ids: Vec<usize> = (start..start + len).collect();
                test.batch(&ids, device)
            })?;
            let predicted: Vec<u32> = test_logits.argmax(D::Minus1)?.to_vec1()?;
            let correct: Vec<bool> = predicted
                .iter()
                .zip(test.labels())
                .map(|(p, l)| p == l)
                .collect();
            let acc = correct.iter().filter(|&&c| c).count() as f64 / test.len().max(1) as f64;
            accuracies.push(acc);
            let ood_logits = ood_sets
                .iter()
                .map(|s| {
                    logits_of(&net, s.len(), batch, device, &|start, len| {
                        Ok(s.images.narrow(0, start, len)?)
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            if let (None, Some(kind)) = (&histograms, pictured) {
                let id = scores(&test_logits, kind, config.temperature)?;
                let sets = ood_sets
                    .iter()
                    .zip(&ood_logits)
                    .map(|(s, l)| Ok((s.name.clone(), scores(l, kind, config.temperature)?)))
                    .collect::<Result<Vec<_>>>()?;
                histograms = Some(ScoreHistograms::new(kind, &id, &sets));
            }
            for (k, &kind) in config.scores.iter().enumerate() {
                let id_scores = scores(&test_logits, kind, config.temperature)?;
                for (j, logits) in ood_logits.iter().enumerate() {
                    let ood_scores = scores(logits, kind, config.temperature)?;
                    per_set[k][j].push(ood_metrics(&id_scores, &ood_scores)?);
                }
                misclass[k].push(misclassification_auroc(&id_scores, &correct).ok());
            }
            done += 1;
            progress.report(ProgressEvent {
                stage: "evaluate",
                done,
                total,
                metrics: &[("acc", acc)],
            });
        }
        let scores = config
            .scores
            .iter()
            .zip(per_set)
            .zip(misclass)
            .map(|((&score, sets), misclassification_runs)| {
                summarise(score, sets, ood_sets, misclassification_runs)
            })
            .collect();
        architectures.push(ArchOod {
            name,
            config: arch.clone(),
            accuracy: MeanStd::of(&accuracies),
            accuracies,
            scores,
        });
    }
    Ok(OodReport {
        outlier_exposure: outliers.is_some(),
        lambda: if outliers.is_some() {
            config.lambda
        } else {
            0.0
        },
        architectures,
        histograms,
    })
}
