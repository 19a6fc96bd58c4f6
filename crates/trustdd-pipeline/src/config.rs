//! [`RunConfig`]: a whole run as typed data, nesting the libraries' own config structs. A TOML
//! or JSON file is a serialised `RunConfig`; `Default` is the main job (the embedded digits
//! with 40% asymmetric label noise, DM + TAD beside DM on noisy and on clean labels), sized to
//! finish in a few minutes on a 2-core CPU.

use crate::data::DataConfig;
use crate::ranking::RankingConfig;
use crate::soft_diversion::Diversion;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use trustdd_core::{Error, Result, TrustRng};
use trustdd_distill::{DmConfig, ExpertConfig, GradientMatchingConfig, MttConfig};
use trustdd_nn::{ArchConfig, ConvNetConfig};
use trustdd_noise::{MapChoice, NoiseConfig};
use trustdd_train::dsa::DsaConfig;
use trustdd_train::{DcAugmentConfig, EvalConfig, TrainConfig};
use trustdd_trust::{CrossFitConfig, TadConfig};

/// Every setting of a run. Unknown fields are errors, missing ones take the main job's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Where the real data comes from.
    pub data: DataConfig,
    /// Fraction of each class of the training split held out as a validation split (0: none),
    /// before noise: the run distils from the rest and reports every set's accuracy on it
    /// beside the test accuracy, so settings can be chosen without the test split.
    pub val_split: f64,
    /// The label-noise model applied to the training labels first.
    pub noise: NoiseConfig,
    /// Synthetic images per class.
    pub ipc: usize,
    /// How the synthetic set starts.
    pub init: Init,
    /// Distillation iterations.
    pub iterations: usize,
    /// The distillation objective and its settings.
    pub objective: ObjectiveConfig,
    /// The trust partitioner (TAD's place in the pipeline).
    pub partitioner: PartitionerConfig,
    /// When the partitioner refits.
    pub trust: TrustSchedule,
    /// With label noise, also distil with the clean labels and (with a partitioner) with the
    /// noisy labels and no partitioner, for a side-by-side table.
    pub compare: bool,
    /// The evaluation protocol (networks trained from scratch on the set, tested on the test
    /// split).
    pub eval: EvalConfig,
    /// Evaluate every this many iterations (0: only at the end).
    pub eval_every: usize,
    /// Also evaluate the initial set (random real images).
    pub baseline: bool,
    /// DD-Ranking's metrics for the run's set (`None`: not computed): hard-label recovery
    /// against the full training set, improvement over random real subsets, label-robust score.
    pub ranking: Option<RankingConfig>,
    /// Outliers distilled beside the set (TrustDD) and the OOD evaluation.
    pub outliers: OutlierConfig,
    /// Whether DSA settings follow the dataset ([`Augmentation::DatasetDefault`]) or are taken
    /// as written.
    pub augmentation: Augmentation,
    /// The evaluation's augmentation protocol: `dsa` (per-sample DSA, the DSA/DM/MTT
    /// references) or `dc` (DC's `get_daparam`: its crop/scale/rotate for MNIST, crop/noise
    /// for batch-norm ConvNets, no augmentation otherwise).
    pub eval_protocol: EvalProtocol,
    /// The DSA groups, as the references' `--dsa_strategy` (for example
    /// `"color_crop_cutout_flip_scale_rotate"`), used for every DSA setting that is on when
    /// `augmentation` is the dataset default (`None`: the dataset's standard, [`dataset_dsa`]).
    pub dsa_strategy: Option<String>,
    /// ZCA-whiten the data (fitted on the raw training images with ε = 0.1, as the MTT reference
    /// does for CIFAR-10/100 and Tiny ImageNet with `--zca`; [`trustdd_data::fit_zca`]): every
    /// objective, MTT's experts and students, evaluation and OOD sets then see whitened images,
    /// and PNG grids undo it. Default off, as DC, DSA and DM.
    pub zca: bool,
    /// Write a checkpoint every this many iterations (0: never); a rerun resumes from it.
    pub checkpoint_every: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// The random streams derived from the seed, by part.
    pub streams: Streams,
    /// `cpu`, `cuda`, `cuda:N` or `auto`.
    pub device: String,
    /// Output folder (`None`: write nothing; the CLI picks `runs/<...>`).
    pub out: Option<PathBuf>,
}

/// The main job's ConvNet: width 32, depth 3 (the paper's ConvNet-3 at a quarter width, so that
/// a run fits a few minutes of two CPU cores).
pub fn main_job_convnet() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 32,
        depth: 3,
        ..ConvNetConfig::default()
    })
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            data: DataConfig::default(),
            val_split: 0.0,
            noise: NoiseConfig::Asymmetric {
                rate: 0.4,
                map: MapChoice::Auto,
            },
            ipc: 10,
            init: Init::Real,
            iterations: 100,
            objective: ObjectiveConfig::preset("dm").expect("dm is a preset"),
            partitioner: PartitionerConfig::Tad(TadConfig::default()),
            trust: TrustSchedule::default(),
            compare: true,
            eval: EvalConfig {
                architectures: vec![main_job_convnet()],
                runs: 3,
                train: TrainConfig {
                    epochs: 100,
                    augment: Some(DsaConfig::default()),
                    ..TrainConfig::default()
                },
                ..EvalConfig::default()
            },
            eval_every: 0,
            baseline: false,
            ranking: None,
            outliers: OutlierConfig::default(),
            augmentation: Augmentation::DatasetDefault,
            zca: false,
            eval_protocol: EvalProtocol::Dsa,
            dsa_strategy: None,
            checkpoint_every: 0,
            seed: 0,
            streams: Streams::default(),
            device: "cpu".into(),
            out: None,
        }
    }
}

impl RunConfig {
    /// Checks every setting that can be checked without data.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if self.iterations == 0 {
            return Err(Error::invalid("iterations", 0, "at least 1"));
        }
        if self.ipc == 0 {
            return Err(Error::invalid("ipc", 0, "at least 1 image per class"));
        }
        if !(0.0..1.0).contains(&self.val_split) {
            return Err(Error::invalid(
                "val_split",
                self.val_split,
                "a fraction in [0, 1)",
            ));
        }
        self.objective.validate()?;
        match &self.partitioner {
            PartitionerConfig::None => {}
            PartitionerConfig::Tad(tad) => tad.validate()?,
            PartitionerConfig::CrossFit(c) => c.validate()?,
        }
        self.trust.validate()?;
        if self.trust.diversion == Diversion::Soft
            && matches!(self.objective, ObjectiveConfig::Mtt(_))
        {
            return Err(Error::invalid(
                "trust.diversion",
                "soft",
                "hard for mtt (its experts train on the trusted set; soft diversion weights the \
                 real batches of dm, dc and dsa)",
            ));
        }
        self.eval.validate()?;
        self.outliers.validate(&self.objective)?;
        if let Some(ranking) = &self.ranking {
            ranking.validate()?;
        }
        if let Some(strategy) = &self.dsa_strategy {
            DsaConfig::from_strategy(strategy)?;
        }
        Ok(())
    }

    /// This configuration with [`Augmentation::DatasetDefault`] applied for the dataset named
    /// `dataset` (the loaded data's [`ImageDataset::name`](trustdd_core::ImageDataset::name)),
    /// and TAD's minimum trusted samples per class raised to the IPC (the initial set is drawn
    /// from trusted images): the effective configuration, which a run records in its report.
    pub fn resolved(&self, dataset: &str) -> RunConfig {
        let mut c = self.clone();
        if c.augmentation == Augmentation::DatasetDefault {
            let standard = match &c.dsa_strategy {
                // Checked by `validate`; an invalid one leaves the dataset's standard.
                Some(s) => DsaConfig::from_strategy(s).unwrap_or_else(|_| dataset_dsa(dataset)),
                None => dataset_dsa(dataset),
            };
            let set = |d: &mut Option<DsaConfig>| {
                if d.is_some() {
                    *d = Some(standard.clone());
                }
            };
            match &mut c.objective {
                ObjectiveConfig::Dm(o) => set(&mut o.dsa),
                ObjectiveConfig::Dc(_) => {}
                ObjectiveConfig::Dsa(o) => o.dsa = Some(standard.clone()),
                ObjectiveConfig::Mtt(o) => {
                    set(&mut o.mtt.dsa);
                    set(&mut o.experts.dsa);
                }
            }
            match &mut c.partitioner {
                PartitionerConfig::None => {}
                PartitionerConfig::Tad(t) => set(&mut t.proxy.augment),
                PartitionerConfig::CrossFit(f) => set(&mut f.train.augment),
            }
            if let Some(o) = &mut c.outliers.objective {
                match o {
                    ObjectiveConfig::Dm(o) => set(&mut o.dsa),
                    ObjectiveConfig::Dsa(o) => o.dsa = Some(standard.clone()),
                    ObjectiveConfig::Dc(_) | ObjectiveConfig::Mtt(_) => {}
                }
            }
            set(&mut c.eval.train.augment);
            c.augmentation = Augmentation::AsConfigured;
        }
        match &mut c.partitioner {
            PartitionerConfig::None => {}
            PartitionerConfig::Tad(t) => {
                t.min_trusted_per_class = t.min_trusted_per_class.max(c.ipc);
            }
            PartitionerConfig::CrossFit(f) => {
                f.min_trusted_per_class = f.min_trusted_per_class.max(c.ipc);
            }
        }
        if c.eval_protocol == EvalProtocol::Dc {
            // DC's `get_daparam`: crop/scale/rotate for MNIST, crop/noise for ConvNetBN (it
            // takes precedence, as there), nothing otherwise.
            c.eval.train.augment = None;
            c.eval.train.dc_augment = is_mnist(dataset).then(DcAugmentConfig::mnist);
            c.eval.batch_norm_augment = Some(DcAugmentConfig::batch_norm());
        }
        c
    }
}

/// The standard DSA of the dataset named `dataset`: without flip for digits (MNIST and its
/// subsets such as `mnist-10k`, SVHN), where a mirrored digit is another symbol, as the
/// reference drops it for MNIST and SVHN only; the full strategy (flip included) for every
/// other dataset, Fashion-MNIST and KMNIST included.
pub fn dataset_dsa(dataset: &str) -> DsaConfig {
    if is_mnist(dataset) || dataset == "svhn" {
        DsaConfig::digits()
    } else {
        DsaConfig::default()
    }
}

/// MNIST or one of its subsets (`mnist-10k`), by the loaded data's name.
fn is_mnist(dataset: &str) -> bool {
    dataset.starts_with("mnist")
}

/// How DSA settings are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Augmentation {
    /// Every DSA setting that is on (objective, experts, TAD's proxy, evaluation) becomes the
    /// dataset's standard one ([`dataset_dsa`]: no flip for digits); settings that are off stay
    /// off.
    DatasetDefault,
    /// Every DSA setting as written.
    AsConfigured,
}

/// The evaluation's augmentation protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalProtocol {
    /// Per-sample DSA on the training batches (DSA, DM, MTT references).
    Dsa,
    /// DC's protocol (`get_daparam`): DC's own augmentation, crop/scale/rotate for MNIST and
    /// crop/noise for batch-norm ConvNets; none otherwise.
    Dc,
}

/// How the synthetic set starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// Random real images of each class (trusted ones when a partitioner is on).
    Real,
    /// Pixels from N(0, 1).
    Noise,
}

/// The distillation objective: the tag `kind` names it, the other fields are its library
/// config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectiveConfig {
    /// Distribution matching ([`trustdd_distill::Dm`]).
    Dm(DmConfig),
    /// Gradient matching without augmentation ([`trustdd_distill::GradientMatching`]).
    Dc(GradientMatchingConfig),
    /// Gradient matching with Siamese augmentation (its `dsa` defaults to the dataset's).
    Dsa(GradientMatchingConfig),
    /// Trajectory matching over expert trajectories.
    Mtt(MttRunConfig),
}

/// MTT's settings: the objective, its experts, and DATM's soft labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MttRunConfig {
    /// The trajectory-matching objective.
    pub mtt: MttConfig,
    /// How the expert trajectories are trained.
    pub experts: ExpertConfig,
    /// Learn soft labels initialised from an expert's logits (DATM).
    pub soft_labels: bool,
}

impl ObjectiveConfig {
    /// The main job's settings for the objective named `name` (`dm`, `dc`, `dsa`, `mtt`): the
    /// library defaults with the main job's ConvNet and real batch, sized for a 2-core CPU.
    ///
    /// # Errors
    /// An invalid-parameter error for another name.
    pub fn preset(name: &str) -> Result<Self> {
        let arch = main_job_convnet();
        let gm = GradientMatchingConfig {
            arch: arch.clone(),
            real_batch: 64,
            ..GradientMatchingConfig::default()
        };
        Ok(match name {
            "dm" => Self::Dm(DmConfig {
                arch,
                real_batch: 64,
                ..DmConfig::default()
            }),
            "dc" => Self::Dc(gm),
            "dsa" => Self::Dsa(GradientMatchingConfig {
                dsa: Some(DsaConfig::default()),
                ..gm
            }),
            "mtt" => Self::Mtt(MttRunConfig {
                mtt: MttConfig {
                    arch: arch.clone(),
                    syn_steps: 10,
                    expert_epochs: 2,
                    max_start_epoch: 3,
                    ..MttConfig::default()
                },
                experts: ExpertConfig {
                    arch,
                    ..ExpertConfig::default()
                },
                soft_labels: false,
            }),
            other => {
                return Err(Error::invalid(
                    "objective",
                    format!("{other:?}"),
                    "dm, dc, dsa or mtt",
                ))
            }
        })
    }

    /// The tag, as written in files.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Dm(_) => "dm",
            Self::Dc(_) => "dc",
            Self::Dsa(_) => "dsa",
            Self::Mtt(_) => "mtt",
        }
    }

    /// The distillation network.
    pub fn arch(&self) -> &ArchConfig {
        match self {
            Self::Dm(c) => &c.arch,
            Self::Dc(c) | Self::Dsa(c) => &c.arch,
            Self::Mtt(c) => &c.mtt.arch,
        }
    }

    /// Mutable access to the distillation network (and MTT's experts' network, which must be
    /// the same).
    pub fn set_arch(&mut self, arch: ArchConfig) {
        match self {
            Self::Dm(c) => c.arch = arch,
            Self::Dc(c) | Self::Dsa(c) => c.arch = arch,
            Self::Mtt(c) => {
                c.mtt.arch = arch.clone();
                c.experts.arch = arch;
            }
        }
    }

    /// Checks the library config.
    ///
    /// # Errors
    /// The library's validation error; an invalid-parameter error for `dc` with a `dsa` table,
    /// or MTT experts on another network than the student.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Dm(c) => c.validate(),
            Self::Dc(c) => {
                if c.dsa.is_some() {
                    return Err(Error::invalid(
                        "objective.dsa",
                        "a table",
                        "none for kind = \"dc\" (kind = \"dsa\" augments)",
                    ));
                }
                c.validate()
            }
            Self::Dsa(c) => c.validate(),
            Self::Mtt(c) => {
                if c.experts.arch != c.mtt.arch {
                    return Err(Error::invalid(
                        "objective.experts.arch",
                        "another network than objective.mtt.arch",
                        "the student's network (trajectories are its parameters)",
                    ));
                }
                c.mtt.validate()
            }
        }
    }
}

/// The trust partitioner.
// One value per run: boxing the large variant would only add noise to every literal.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartitionerConfig {
    /// Every sample trusted with its observed label (plain distillation).
    None,
    /// Trust-Aware Diversion ([`trustdd_trust::Tad`]).
    Tad(TadConfig),
    /// Cross-fitted proxies and a cut on Bayes' clean posterior ([`trustdd_trust::CrossFit`]),
    /// for class-conditional noise; pair it with `trust.diversion = "soft"`.
    CrossFit(CrossFitConfig),
}

/// When the partitioner refits, and how its partition reaches the objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustSchedule {
    /// Refit every this many distillation iterations (DM, DC, DSA).
    pub refresh: usize,
    /// Rounds before the synthetic set is initialised from trusted images (at least 1; the
    /// first round's warm-up proxy is the least precise), drawn from the warm-up stream. DM,
    /// DC, DSA; an MTT run draws its first this many expert refits from that stream, so every
    /// run's rounds are those of [`crate::Pipeline::partition`] ([`crate::RoundSeeds`]).
    pub warmup_rounds: usize,
    /// MTT: refit every this many expert epochs (counted across experts).
    pub refresh_epochs: usize,
    /// DM, DC, DSA: the trusted samples only (default), or soft, with every other sample at
    /// its estimated clean weight ([`crate::Diversion`]).
    pub diversion: Diversion,
}

impl Default for TrustSchedule {
    fn default() -> Self {
        Self {
            refresh: 50,
            warmup_rounds: 2,
            refresh_epochs: 5,
            diversion: Diversion::Hard,
        }
    }
}

impl TrustSchedule {
    fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("trust.refresh", self.refresh),
            ("trust.warmup_rounds", self.warmup_rounds),
            ("trust.refresh_epochs", self.refresh_epochs),
        ] {
            if v == 0 {
                return Err(Error::invalid(name, 0, "at least 1"));
            }
        }
        Ok(())
    }
}

/// Where the outlier set S_o is distilled from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutlierSource {
    /// No outlier set.
    None,
    /// Pseudo-outliers made from the (noisy) training images by a generator list
    /// (`"poe"`: the four corruptions of the paper; or `"jigsaw:4,pixelate:0.25,..."`).
    Generators {
        /// The generator list spec ([`trustdd_ood::GeneratorList::parse`]).
        spec: String,
    },
    /// A real outlier dataset of the same image shape (`digits`: the embedded MNIST digits,
    /// or a dataset name loaded like [`DataConfig::dataset`]).
    Dataset {
        /// Its name.
        name: String,
    },
}

/// TrustDD's outlier set and the OOD evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutlierConfig {
    /// Where S_o comes from (default none).
    pub source: OutlierSource,
    /// Only for MTT runs (and runs whose objective is replaced), where S_o cannot share S's
    /// loop: the objective (dm, dc or dsa; gradient matching with uniform targets) of a separate
    /// run that distils S_o after S. DM, DC and DSA runs distil S_o jointly with S, on the same
    /// networks, as the official code does.
    pub objective: Option<ObjectiveConfig>,
    /// Iterations of that separate run (`None`: the run's).
    pub iterations: Option<usize>,
    /// OOD sets: gaussian, rademacher, blobs, uniform, `corrupt:<generators>`, digits, mnist-10k, or a dataset name
    /// (empty: noise images, `corrupt:mix`, and the digits for Fashion-MNIST and KMNIST).
    pub ood_sets: Vec<String>,
    /// Weight λ of the outlier-exposure loss when training on S and S_o.
    pub lambda: f64,
    /// Energy temperature.
    pub temperature: f64,
}

impl Default for OutlierConfig {
    fn default() -> Self {
        Self {
            source: OutlierSource::None,
            objective: None,
            iterations: None,
            ood_sets: Vec::new(),
            lambda: trustdd_ood::DEFAULT_LAMBDA,
            temperature: 1.0,
        }
    }
}

impl OutlierConfig {
    fn validate(&self, run_objective: &ObjectiveConfig) -> Result<()> {
        if self.source == OutlierSource::None {
            return Ok(());
        }
        match (&self.objective, run_objective) {
            (Some(ObjectiveConfig::Mtt(_)), _) => {
                return Err(Error::invalid(
                    "outliers.objective",
                    "mtt",
                    "dm, dc or dsa (experts have no outlier counterpart)",
                ))
            }
            (None, ObjectiveConfig::Mtt(_)) => {
                return Err(Error::invalid(
                    "outliers.objective",
                    "unset with objective mtt",
                    "an [outliers.objective] table of kind dm, dc or dsa",
                ))
            }
            (Some(o), ObjectiveConfig::Mtt(_)) => o.validate()?,
            (Some(_), _) => {
                return Err(Error::invalid(
                    "outliers.objective",
                    "set with a dm, dc or dsa run",
                    "unset: these runs distil S_o jointly with S, in the same loop",
                ))
            }
            (None, _) => {}
        }
        match (self.iterations, run_objective) {
            (Some(0), _) => return Err(Error::invalid("outliers.iterations", 0, "at least 1")),
            (
                Some(n),
                ObjectiveConfig::Dm(_) | ObjectiveConfig::Dc(_) | ObjectiveConfig::Dsa(_),
            ) => {
                return Err(Error::invalid(
                    "outliers.iterations",
                    n,
                    "unset with a dm, dc or dsa run (S_o shares S's iterations)",
                ))
            }
            _ => {}
        }
        match &self.source {
            OutlierSource::Generators { spec } => {
                trustdd_ood::GeneratorList::parse(spec)?;
            }
            OutlierSource::Dataset { name } if name != "digits" => {
                trustdd_data::DatasetName::parse(name).map_err(|e| {
                    Error::invalid(
                        "outliers.source",
                        format!("{name:?} ({e})"),
                        "digits or a dataset name",
                    )
                })?;
            }
            _ => {}
        }
        crate::ood_sets::check_ood_sets(&self.ood_sets)?;
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(Error::invalid(
                "outliers.lambda",
                self.lambda,
                "a finite number ≥ 0",
            ));
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(Error::invalid(
                "outliers.temperature",
                self.temperature,
                "a finite number > 0",
            ));
        }
        Ok(())
    }
}

/// The random streams of a run, each `TrustRng::for_item(seed, n)` for its number `n`, so adding
/// or removing one part never changes the random numbers of another. The distillation itself
/// draws from `TrustRng::new(seed)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Streams {
    /// MTT's expert training (default 1).
    pub experts: u64,
    /// The outlier set's initialisation and distillation (default 2).
    pub outliers: u64,
    /// The partitioner's refits during distillation and expert training (default 3).
    pub trust: u64,
    /// The partitioner's rounds before the initial set (default 4).
    pub trust_warmup: u64,
    /// OOD set `k` is built from stream `ood_sets + k` (default 1000).
    pub ood_sets: u64,
    /// The validation split's draw (default 5).
    pub validation: u64,
    /// DD-Ranking's random real subsets: subset `r` is drawn from stream `(ranking seed, r)`
    /// (default 6).
    pub ranking: u64,
}

impl Default for Streams {
    fn default() -> Self {
        Self {
            experts: 1,
            outliers: 2,
            trust: 3,
            trust_warmup: 4,
            ood_sets: 1000,
            validation: 5,
            ranking: 6,
        }
    }
}

impl Streams {
    /// The seed of the partitioner's refits during distillation (and of MTT's expert refits).
    pub fn trust_seed(&self, seed: u64) -> u64 {
        TrustRng::for_item(seed, self.trust).next_u64()
    }

    /// The seed of the partitioner's warm-up rounds.
    pub fn warmup_seed(&self, seed: u64) -> u64 {
        TrustRng::for_item(seed, self.trust_warmup).next_u64()
    }
}
