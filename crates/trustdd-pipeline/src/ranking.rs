//! DD-Ranking's metrics for a run's set ([`RankingConfig`], computed when
//! [`RunConfig::ranking`] is set): the set, random real subsets of the same size and a network
//! trained on the full training set, all under the run's evaluation protocol, scored by
//! [`LabelRobustScore`]. The full-data accuracy is the expensive part, so it is cached per
//! dataset, labels and protocol.

use crate::config::RunConfig;
use crate::report::VariantReport;
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use trustdd_core::{
    write_atomic, Error, ImageDataset, Progress, Result, SyntheticLabels, SyntheticSet, TrustRng,
};
use trustdd_distill::{bytes_hash, config_hash, evaluate_set};
use trustdd_nn::ArchConfig;
use trustdd_train::{
    train_and_test, EvalConfig, LabelRobustScore, ScoreSummary, Targets, TensorSource, TrainConfig,
    DEFAULT_LRS_WEIGHT,
};

/// Which labels the reference networks (random subsets and full data) train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceLabels {
    /// The labels the set was distilled from (noisy ones under label noise): what a user of
    /// the noisy data could train on.
    Observed,
    /// The clean labels (needs a dataset that knows them, as every noise model's output does).
    Clean,
}

/// DD-Ranking's label-robust score, on request (`RunConfig::ranking`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RankingConfig {
    /// How the full-data network trains. Default DD-Ranking's `REAL_DATA_TRAINING_CONFIG` for
    /// ConvNet-3 (CIFAR-10/100): 200 epochs, batch 512, SGD lr 0.01, momentum 0.9, weight decay
    /// 5e-4, ×0.1 at epoch 100, no augmentation.
    pub full_data: TrainConfig,
    /// Labels of the random subsets and of the full data (default observed).
    pub labels: ReferenceLabels,
    /// The weight `w` of IOR in LRS (default 0.5, DD-Ranking's `lrs_lambda`).
    pub weight: f64,
    /// Folder of the full-data accuracy cache (`None`: no cache, trained every time).
    pub cache_dir: Option<PathBuf>,
}

impl Default for RankingConfig {
    fn default() -> Self {
        Self {
            full_data: TrainConfig {
                epochs: 200,
                batch_size: 512,
                lr: 0.01,
                momentum: 0.9,
                weight_decay: 5e-4,
                lr_decay_epochs: Some(vec![100]),
                lr_decay_factor: 0.1,
                augment: None,
                dc_augment: None,
            },
            labels: ReferenceLabels::Observed,
            weight: DEFAULT_LRS_WEIGHT,
            cache_dir: None,
        }
    }
}

impl RankingConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error for a weight outside [0, 1] or a bad full-data schedule.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.weight) {
            return Err(Error::invalid(
                "ranking.weight",
                self.weight,
                "a number in [0, 1]",
            ));
        }
        self.full_data.validate()
    }
}

/// DD-Ranking's metrics for the run's set, on its first evaluation architecture. Accuracies
/// and scores are fractions in [0, 1]; round `r` pairs evaluation network `r` of the set with
/// random subset `r`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankingReport {
    /// The architecture every network here is.
    pub architecture: String,
    /// The labels of the random subsets and of the full data.
    pub labels: ReferenceLabels,
    /// Test accuracy of the network trained on the full training set.
    pub full_data_accuracy: f64,
    /// The set's accuracy per round under its own evaluation (its labels, soft or hard).
    pub set_accuracies: Vec<f64>,
    /// The set's accuracy per round with hard labels (its classes); the same as
    /// `set_accuracies` for a hard-label set.
    pub set_hard_accuracies: Vec<f64>,
    /// Accuracy per round of a fresh random real subset of the same size per class.
    pub random_accuracies: Vec<f64>,
    /// The scores of each round.
    pub rounds: Vec<LabelRobustScore>,
    /// Their means and standard deviations.
    pub summary: ScoreSummary,
    /// Whether the full-data accuracy came from the cache (not serialised: a cached and an
    /// uncached run write the same report).
    #[serde(skip)]
    pub full_data_cached: bool,
}

/// The data the reference networks train on, and the test split.
pub(crate) struct RankingData<'a> {
    /// The training data with the labels the set was distilled from.
    pub observed: &'a ImageDataset,
    /// The same images with their clean labels.
    pub clean: &'a ImageDataset,
    /// The test split.
    pub test: &'a ImageDataset,
}

/// Scores `run`'s set: its final evaluation (or a fresh one with the same protocol), its
/// hard-label evaluation when it has soft labels, a random subset per round and the full data.
///
/// # Errors
/// Invalid settings, an unreadable or foreign cache file, training and network errors.
pub(crate) fn rank_set(
    config: &RunConfig,
    ranking: &RankingConfig,
    run: &VariantReport,
    data: &RankingData<'_>,
    device: &Device,
    progress: &dyn Progress,
) -> Result<RankingReport> {
    ranking.validate()?;
    let arch = config.eval.architectures.first().ok_or_else(|| {
        Error::invalid("eval architectures", "[]", "at least one for the ranking")
    })?;
    // The protocol the run evaluated its set with (MTT's learnt rate included).
    let eval = EvalConfig {
        architectures: vec![arch.clone()],
        train: TrainConfig {
            lr: run.distill.eval_lr,
            ..config.eval.train.clone()
        },
        ..config.eval.clone()
    };
    let schedule = eval.train_for(arch).reference_evaluation();
    let syn = &run.syn;
    let own = match run.distill.evaluations.last() {
        Some(point) => point.report.architectures[0].accuracies.clone(),
        // The driver's own evaluation of a set (its labels, soft or hard).
        None => evaluate_set(syn, data.test, &eval, config.seed, device, progress)?.architectures
            [0]
        .accuracies
        .clone(),
    };
    let hard = match &syn.labels {
        SyntheticLabels::Hard(_) => own.clone(),
        SyntheticLabels::Soft(_) => {
            let labels = class_labels(syn);
            evaluate(
                syn,
                &Targets::hard(&labels, device)?,
                data.test,
                &eval,
                config.seed,
                device,
                progress,
            )?
        }
    };
    let reference = match ranking.labels {
        ReferenceLabels::Observed => data.observed,
        ReferenceLabels::Clean => data.clean,
    };
    let subset_seed = TrustRng::for_item(config.seed, config.streams.ranking).next_u64();
    let mut random = Vec::with_capacity(eval.runs);
    let mut architecture = String::new();
    for r in 0..eval.runs {
        let mut rng = TrustRng::for_item(subset_seed, r as u64);
        let mut ids = Vec::with_capacity(syn.num_classes * syn.ipc);
        for class in 0..syn.num_classes {
            ids.extend(reference.sample_class(class, syn.ipc, &mut rng)?);
        }
        let labels: Vec<u32> = ids.iter().map(|&i| reference.labels()[i]).collect();
        let source = TensorSource::new(
            &reference.batch(&ids, device)?,
            Targets::hard(&labels, device)?,
        )?;
        let (acc, name) = train_and_test(
            &source,
            data.test,
            arch,
            &schedule,
            eval.test_batch_size,
            (config.seed, r),
            device,
            progress,
        )?;
        random.push(acc);
        architecture = name;
    }
    let (full, cached) = full_data_accuracy(
        ranking,
        reference,
        data.test,
        arch,
        eval.test_batch_size,
        config.seed,
        device,
        progress,
    )?;
    let rounds: Vec<LabelRobustScore> = (0..eval.runs)
        .map(|r| LabelRobustScore::new(full, hard[r], own[r], random[r], ranking.weight))
        .collect();
    Ok(RankingReport {
        architecture,
        labels: ranking.labels,
        full_data_accuracy: full,
        set_accuracies: own,
        set_hard_accuracies: hard,
        random_accuracies: random,
        summary: ScoreSummary::of(&rounds),
        rounds,
        full_data_cached: cached,
    })
}

/// The class of each image of a class-major set.
fn class_labels(syn: &SyntheticSet) -> Vec<u32> {
    (0..syn.num_classes * syn.ipc)
        .map(|i| (i / syn.ipc) as u32)
        .collect()
}

/// Per-run accuracies of `syn`'s images with `targets` on the first architecture.
fn evaluate(
    syn: &SyntheticSet,
    targets: &Targets,
    test: &ImageDataset,
    eval: &EvalConfig,
    seed: u64,
    device: &Device,
    progress: &dyn Progress,
) -> Result<Vec<f64>> {
    let images = syn.images.as_tensor().detach();
    let report =
        trustdd_train::evaluate_synthetic(&images, targets, test, eval, seed, device, progress)?;
    Ok(report.architectures[0].accuracies.clone())
}

/// What identifies a full-data accuracy: the data (name, size, a hash of pixels and labels,
/// the preprocessing), the network, the schedule and the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FullDataKey {
    dataset: String,
    images: usize,
    pixels: String,
    labels: String,
    preprocess: serde_json::Value,
    test_images: usize,
    arch: ArchConfig,
    schedule: TrainConfig,
    seed: u64,
}

/// A cache file's contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CacheEntry {
    key: FullDataKey,
    accuracy: f64,
}

/// The full-data accuracy and whether it came from the cache: read from
/// `cache_dir/full-data-<hash>.json` when that holds the same key, else trained (network run 0
/// of the protocol's seeds, `ranking.full_data` taken as given) and stored there atomically.
#[allow(clippy::too_many_arguments)]
fn full_data_accuracy(
    ranking: &RankingConfig,
    data: &ImageDataset,
    test: &ImageDataset,
    arch: &ArchConfig,
    test_batch_size: usize,
    seed: u64,
    device: &Device,
    progress: &dyn Progress,
) -> Result<(f64, bool)> {
    let key = FullDataKey {
        dataset: data.name().to_string(),
        images: data.len(),
        pixels: bytes_hash(data.pixels()),
        labels: config_hash(&data.labels())?,
        preprocess: serde_json::to_value(data.preprocess())
            .map_err(|e| Error::invalid("preprocess", e, "serialisable to JSON"))?,
        test_images: test.len(),
        arch: arch.clone(),
        schedule: ranking.full_data.clone(),
        seed,
    };
    let file = match &ranking.cache_dir {
        Some(dir) => Some(dir.join(format!("full-data-{}.json", config_hash(&key)?))),
        None => None,
    };
    if let Some(path) = file.as_deref().filter(|p| p.exists()) {
        if let Some(accuracy) = read_cache(path, &key)? {
            return Ok((accuracy, true));
        }
    }
    let (accuracy, _) = train_and_test(
        data,
        test,
        arch,
        &ranking.full_data,
        test_batch_size,
        (seed, 0),
        device,
        progress,
    )?;
    if let Some(path) = &file {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let entry = CacheEntry { key, accuracy };
        let json = serde_json::to_vec_pretty(&entry)
            .map_err(|e| Error::invalid("ranking cache entry", e, "serialisable to JSON"))?;
        write_atomic(path, &json)?;
    }
    Ok((accuracy, false))
}

/// The cached accuracy in `path`, or `None` when it belongs to another key (a hash collision).
fn read_cache(path: &Path, key: &FullDataKey) -> Result<Option<f64>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let entry: CacheEntry = serde_json::from_slice(&bytes).map_err(|e| {
        Error::invalid(
            format!("ranking cache file {}", path.display()),
            e,
            "a full-data cache entry written by trustdd (delete it to retrain)",
        )
    })?;
    if !(0.0..=1.0).contains(&entry.accuracy) {
        return Err(Error::invalid(
            format!("ranking cache file {} accuracy", path.display()),
            entry.accuracy,
            "an accuracy in [0, 1] (delete the file to retrain)",
        ));
    }
    Ok((entry.key == *key).then_some(entry.accuracy))
}
