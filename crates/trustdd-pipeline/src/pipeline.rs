//! [`Pipeline`]: a [`RunConfig`] built into its parts (`Box<dyn …>` of the core traits) and
//! run: noise, trust partitioning, distillation (with comparison runs), outlier distillation,
//! evaluation, files.

use crate::config::{Init, ObjectiveConfig, OutlierSource, PartitionerConfig, RunConfig};
use crate::created_dirs::CreatedDirs;
use crate::data::load_dataset;
use crate::joint::{JointInner, JointOutliers};
use crate::objectives::{build_objective, build_outlier_objective, ObjectiveInputs};
use crate::ood_sets::{build_ood_sets, default_ood_sets};
use crate::outlier_set::{distill_outliers, save_outliers};
use crate::pictures::{ood_picture, partition_picture};
use crate::ranking::{rank_set, RankingData};
use crate::report::{OutlierReport, RunReport, VariantReport};
use crate::round_seeds::RoundSeeds;
use crate::trust_aware::{fit_rounds, number_rounds, TrustAware};
use crate::trusted_experts::train_trusted_experts;
use candle_core::{DType, Device};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use trustdd_core::{
    select_device, write_atomic, DatasetSampler, DistillObjective, Error, ImageDataset, NoiseModel,
    PartitionRound, Preprocess, Progress, RealSampler, Result, SyntheticSet, TrustPartitioner,
    TrustRng,
};
use trustdd_data::{embedded_mnist, fit_zca, DatasetName, Split, DEFAULT_ZCA_EPSILON};
use trustdd_distill::{
    config_hash, evaluate_set, save_png_grid, save_set, save_trajectories, train_experts,
    CheckpointSpec, Companion, DistillReport, Dm, Driver, DriverConfig, GradientMatching,
    MatchTargets, MomentumSgd, SetMetadata, Trajectories,
};
use trustdd_noise::{apply_with_report, NoiseConfig, NoiseReport};
use trustdd_ood::{evaluate_ood, GeneratorList, OodEvalConfig, OutlierSlots, PseudoOutlierSampler};
use trustdd_train::EvalConfig;
use trustdd_trust::{CrossFit, Tad};

/// Builds a run's objective; replaces the configured one ([`Pipeline::with_objective`]).
pub type ObjectiveFactory =
    Box<dyn Fn(ObjectiveInputs<'_>) -> Result<Box<dyn DistillObjective>> + Send + Sync>;

/// Builds a run's partitioner (a fresh one per distillation of the run); replaces the
/// configured one ([`Pipeline::with_partitioner`]).
pub type PartitionerFactory =
    Box<dyn Fn(&RunConfig) -> Result<Box<dyn TrustPartitioner>> + Send + Sync>;

/// The set file of each distillation, in its output folder.
const SET_FILE: &str = "synthetic.safetensors";

/// The picture of a trust-aware distillation's last split, in its output folder.
pub const PARTITION_PICTURE: &str = "partition.png";

/// A run ready to go: the configuration and any part a downstream crate replaced.
pub struct Pipeline {
    config: RunConfig,
    noise: Option<Box<dyn NoiseModel>>,
    objective: Option<(String, ObjectiveFactory)>,
    partitioner: Option<(String, PartitionerFactory)>,
    generators: Option<GeneratorList>,
}

impl RunConfig {
    /// Validates the configuration and builds its pipeline.
    ///
    /// # Errors
    /// As [`RunConfig::validate`].
    pub fn build(&self) -> Result<Pipeline> {
        self.validate()?;
        Ok(Pipeline {
            config: self.clone(),
            noise: None,
            objective: None,
            partitioner: None,
            generators: None,
        })
    }
}

/// One distillation of a run.
struct Variant {
    label: String,
    dataset: Arc<ImageDataset>,
    partitioner: Option<Box<dyn TrustPartitioner>>,
    out: Option<PathBuf>,
    baseline: bool,
}

impl Pipeline {
    /// The configuration it was built from.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Replaces the configured noise model.
    pub fn with_noise(mut self, model: Box<dyn NoiseModel>) -> Self {
        self.noise = Some(model);
        self
    }

    /// Replaces the configured objective: `factory` builds it for every distillation of the
    /// run (after MTT's experts when the configured objective is MTT). `name` is recorded in
    /// the report's overrides.
    pub fn with_objective(
        mut self,
        name: impl Into<String>,
        factory: impl Fn(ObjectiveInputs<'_>) -> Result<Box<dyn DistillObjective>>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.objective = Some((name.into(), Box::new(factory)));
        self
    }

    /// Puts a partitioner in TAD's place (refitted on the configured
    /// [`TrustSchedule`](crate::TrustSchedule)), whatever the configured one. `name` is
    /// recorded in the report's overrides.
    pub fn with_partitioner(
        mut self,
        name: impl Into<String>,
        factory: impl Fn(&RunConfig) -> Result<Box<dyn TrustPartitioner>> + Send + Sync + 'static,
    ) -> Self {
        self.partitioner = Some((name.into(), Box::new(factory)));
        self
    }

    /// Distils the outlier set from pseudo-outliers made by `generators` (any
    /// [`trustdd_core::OutlierGenerator`]s), whatever the configured source.
    pub fn with_outlier_generators(mut self, generators: GeneratorList) -> Self {
        self.generators = Some(generators);
        self
    }

    /// Loads the configured data and runs ([`Pipeline::run_on`]).
    ///
    /// # Errors
    /// Data loading errors and those of [`Pipeline::run_on`].
    pub fn run(&self, progress: &dyn Progress) -> Result<RunReport> {
        let (train, test) = self.config.data.load()?;
        self.run_on(train, test, progress)
    }

    /// Runs on in-memory data: noise on `train`'s labels, then every distillation of the run,
    /// the outlier set, the evaluations, and (when `out` is set) the files. Output folders the
    /// run made are removed again if it fails before writing into them.
    ///
    /// # Errors
    /// Any part's error, unchanged (a downstream strategy's own error type comes back inside
    /// [`Error::Strategy`]).
    pub fn run_on(
        &self,
        train: ImageDataset,
        test: ImageDataset,
        progress: &dyn Progress,
    ) -> Result<RunReport> {
        let mut created = CreatedDirs::default();
        let result = self.run_creating(train, test, progress, &mut created);
        if result.is_err() {
            created.remove_empty();
        }
        result
    }

    fn run_creating(
        &self,
        train: ImageDataset,
        test: ImageDataset,
        progress: &dyn Progress,
        created: &mut CreatedDirs,
    ) -> Result<RunReport> {
        let start = Instant::now();
        let Prepared {
            config,
            device,
            clean,
            noisy,
            noise,
            validation,
            whitening,
        } = self.prepare(train)?;
        let test = match whitening {
            Some(w) => test.with_preprocess(w)?,
            None => test,
        };
        // The clean labels stay at hand for the ranking after `clean` went to its variant.
        let clean_data = clean.clone();
        let mut variants = Vec::new();
        let noisy_label = if noise.is_some() {
            "noisy labels"
        } else {
            "clean labels"
        };
        let primary = self.partitioner(&config)?;
        let subdir = |name: &str| config.out.as_ref().map(|o| o.join(name));
        if config.compare && noise.is_some() {
            variants.push(Variant {
                label: "clean labels".into(),
                dataset: clean,
                partitioner: None,
                out: subdir("clean-labels"),
                baseline: false,
            });
            if primary.is_some() {
                variants.push(Variant {
                    label: noisy_label.into(),
                    dataset: noisy.clone(),
                    partitioner: None,
                    out: subdir("noisy-labels"),
                    baseline: false,
                });
            }
        }
        let label = match &primary {
            Some(p) => format!("{noisy_label} + {}", p.name().to_uppercase()),
            None => noisy_label.to_string(),
        };
        variants.push(Variant {
            label,
            dataset: noisy.clone(),
            partitioner: primary,
            out: config.out.clone(),
            baseline: config.baseline,
        });
        let outlier_source = self.outlier_source(&config, &noisy, &device)?;
        // Fail before the long run if an output folder cannot be made.
        for dir in variants.iter().filter_map(|v| v.out.as_ref()) {
            created.create(dir)?;
        }
        let meta = SetMetadata {
            objective: String::new(),
            dataset: noisy.name().to_string(),
            class_names: noisy.class_names().to_vec(),
            shape: noisy.shape(),
            preprocess: noisy.preprocess().clone(),
            seed: config.seed,
            eval_lr: None,
        };
        let mut runs = Vec::new();
        let mut joint = None;
        let count = variants.len();
        for (k, v) in variants.into_iter().enumerate() {
            let out = v.out.clone();
            // S_o belongs to the run's set: only the primary (last) distillation carries it.
            let companion = match (&outlier_source, k + 1 == count) {
                (Some(o), true) => self.joint_companion(&config, o, &device)?,
                _ => None,
            };
            let mut run =
                self.distill_variant(&config, v, companion.as_ref(), &test, &device, progress)?;
            if let Some(val) = &validation {
                let eval = match run.distill.learnt_lr {
                    Some(lr) => EvalConfig {
                        train: trustdd_train::TrainConfig {
                            lr,
                            ..config.eval.train.clone()
                        },
                        ..config.eval.clone()
                    },
                    None => config.eval.clone(),
                };
                run.validation = Some(evaluate_set(
                    &run.syn,
                    val,
                    &eval,
                    config.seed,
                    &device,
                    progress,
                )?);
            }
            joint = joint.or(companion);
            if let Some(dir) = &out {
                let meta = set_metadata(&meta, &run);
                save_set(&dir.join(SET_FILE), &run.syn, &meta)?;
                save_png_grid(&dir.join("synthetic.png"), &run.syn, &meta.preprocess)?;
            }
            runs.push(run);
        }
        let primary = runs.last().expect("the primary run is always there");
        let outliers = match outlier_source {
            Some(OutlierData { sampler, groups }) => Some(self.distill_outlier_set(
                &config,
                sampler.as_ref(),
                groups,
                joint,
                primary,
                &set_metadata(&meta, primary),
                &test,
                &device,
                progress,
            )?),
            None => None,
        };
        let ranking = match &config.ranking {
            Some(r) => Some(rank_set(
                &config,
                r,
                primary,
                &RankingData {
                    observed: &noisy,
                    clean: &clean_data,
                    test: &test,
                },
                &device,
                progress,
            )?),
            None => None,
        };
        let report = RunReport {
            validation_size: validation.as_ref().map_or(0, ImageDataset::len),
            config,
            overrides: self.overrides(),
            noise,
            runs,
            outliers,
            ranking,
            total_seconds: start.elapsed().as_secs_f64(),
        };
        if let Some(out) = &report.config.out {
            let json = serde_json::to_vec_pretty(&report)
                .map_err(|e| Error::invalid("run report", e, "serialisable to JSON"))?;
            write_atomic(&out.join("report.json"), &json)?;
        }
        Ok(report)
    }

    /// The part of a run before any partitioning or distillation, shared by [`Pipeline::run`]
    /// and [`Pipeline::partition`]: the effective configuration, the device, ZCA (fitted on the
    /// training images), the validation split carved out, and the noise applied.
    pub(crate) fn prepare(&self, train: ImageDataset) -> Result<Prepared> {
        let config = self.config.resolved(train.name());
        let device = select_device(&config.device)?;
        let (train, whitening) = if config.zca {
            let whitening = fit_zca(&train, DEFAULT_ZCA_EPSILON)?;
            (train.with_preprocess(whitening.clone())?, Some(whitening))
        } else {
            (train, None)
        };
        let (train, validation) = carve_validation(train, &config)?;
        let clean = Arc::new(train.clone());
        let (noisy, noise) = match self.noise_model(&config, &train)? {
            Some(model) => {
                let (noisy, report) = apply_with_report(train, model.as_ref(), config.seed)?;
                (Arc::new(noisy), Some(report))
            }
            None => (clean.clone(), None),
        };
        Ok(Prepared {
            config,
            device,
            clean,
            noisy,
            noise,
            validation,
            whitening,
        })
    }

    pub(crate) fn overrides(&self) -> Vec<(String, String)> {
        let mut o = Vec::new();
        if let Some(n) = &self.noise {
            o.push(("noise".to_string(), n.name()));
        }
        if let Some((name, _)) = &self.objective {
            o.push(("objective".to_string(), name.clone()));
        }
        if let Some((name, _)) = &self.partitioner {
            o.push(("partitioner".to_string(), name.clone()));
        }
        if let Some(g) = &self.generators {
            o.push(("outlier generators".to_string(), g.names().join(",")));
        }
        o
    }

    fn noise_model<'s>(
        &'s self,
        config: &RunConfig,
        train: &ImageDataset,
    ) -> Result<Option<Box<dyn NoiseModel + 's>>> {
        if let Some(model) = &self.noise {
            return Ok(Some(Box::new(Shared(model.as_ref()))));
        }
        if config.noise == NoiseConfig::None {
            return Ok(None);
        }
        let mut noise = config.noise.clone();
        if let Some(dir) = config.data.folder() {
            noise = noise.with_data_dir(&dir);
        }
        Ok(Some(noise.with_dataset_name(train.name()).build()?))
    }

    /// A fresh partitioner for the run's trust-aware distillation, if any.
    pub(crate) fn partitioner(
        &self,
        config: &RunConfig,
    ) -> Result<Option<Box<dyn TrustPartitioner>>> {
        if let Some((_, factory)) = &self.partitioner {
            return factory(config).map(Some);
        }
        Ok(match &config.partitioner {
            PartitionerConfig::None => None,
            PartitionerConfig::Tad(c) => Some(Box::new(Tad::new(c.clone())?)),
            PartitionerConfig::CrossFit(c) => Some(Box::new(CrossFit::new(c.clone())?)),
        })
    }

    /// Distils one variant: the partitioner's warm-up rounds (or trusted MTT experts) first,
    /// the initial set from the (trusted) data, then the driver with the objective diverted to
    /// the trusted data.
    fn distill_variant(
        &self,
        config: &RunConfig,
        v: Variant,
        joint: Option<&JointOutcome>,
        test: &ImageDataset,
        device: &Device,
        progress: &dyn Progress,
    ) -> Result<VariantReport> {
        let streams = &config.streams;
        let plain = DatasetSampler::new(v.dataset.clone(), device.clone());
        let mut partitioner = v.partitioner;
        let partitioner_name = partitioner.as_ref().map(|p| p.name());
        // The partitioner's rounds draw from their own streams, apart from the distillation's.
        let seeds = RoundSeeds::of(config);
        let mut rounds: Vec<PartitionRound> = Vec::new();
        let trajectories: Option<Trajectories> = match &config.objective {
            ObjectiveConfig::Mtt(mtt) => {
                let mut rng = TrustRng::for_item(config.seed, streams.experts);
                let t = match partitioner.as_mut() {
                    Some(p) => {
                        let (t, r) = train_trusted_experts(
                            &mtt.experts,
                            p.as_mut(),
                            v.dataset.clone(),
                            device,
                            config.trust.refresh_epochs,
                            &seeds,
                            DType::F32,
                            &mut rng,
                            progress,
                        )?;
                        rounds = r;
                        t
                    }
                    None => train_experts(&mtt.experts, &plain, DType::F32, &mut rng, progress)?,
                };
                if let Some(dir) = &v.out {
                    save_trajectories(&dir.join("experts.safetensors"), &t)?;
                }
                Some(t)
            }
            _ => {
                if let Some(p) = partitioner.as_mut() {
                    // Rounds before the initial set, so that it is drawn from trusted images.
                    rounds = fit_rounds(
                        p.as_mut(),
                        &v.dataset,
                        device,
                        &seeds,
                        seeds.warmup_rounds,
                        progress,
                    )?;
                }
                None
            }
        };
        let init = match partitioner.as_ref().and_then(|p| p.partition()) {
            Some(partition) => {
                DatasetSampler::from_partition(v.dataset.clone(), partition, device.clone())?
            }
            None => plain.clone(),
        };
        let mut rng = TrustRng::new(config.seed);
        let mut syn = match config.init {
            Init::Real => SyntheticSet::from_real(&init, config.ipc, &mut rng)?,
            Init::Noise => SyntheticSet::from_noise(
                v.dataset.shape(),
                test.num_classes(),
                config.ipc,
                device,
                &mut rng,
            )?,
        };
        let baseline = if v.baseline {
            Some(evaluate_set(
                &syn,
                test,
                &config.eval,
                config.seed,
                device,
                progress,
            )?)
        } else {
            None
        };
        let inputs = ObjectiveInputs {
            real: &init,
            syn: &mut syn,
            trajectories,
        };
        let inner = match (&self.objective, joint) {
            (Some((_, factory)), _) => factory(inputs)?,
            (None, None) => build_objective(&config.objective, inputs)?,
            (None, Some(j)) => Box::new(JointOutliers::new(
                joint_inner(&config.objective, syn.ipc)?,
                j.companion.clone(),
                j.losses.clone(),
            )),
        };
        // MTT reads no real data while distilling: its diversion is the experts'.
        let diverts = !matches!(config.objective, ObjectiveConfig::Mtt(_));
        let (mut chosen, kept) = match partitioner {
            Some(p) if diverts => (
                Chosen::Diverted(
                    TrustAware::new(
                        inner,
                        p,
                        v.dataset.clone(),
                        device.clone(),
                        config.trust.refresh,
                        seeds.refit_seed,
                    )?
                    .with_diversion(config.trust.diversion),
                ),
                None,
            ),
            other => (Chosen::Plain(inner), other),
        };
        let objective: &mut dyn DistillObjective = match &mut chosen {
            Chosen::Diverted(t) => t,
            Chosen::Plain(o) => o.as_mut(),
        };
        let driver = Driver::new(
            DriverConfig {
                iterations: config.iterations,
                eval_every: config.eval_every,
                final_eval: true,
                checkpoint_every: config.checkpoint_every,
                eval: config.eval.clone(),
                eval_seed: config.seed,
            },
            self.checkpoint(config, &v.label, v.out.as_deref())?,
        )?;
        let distill = driver.run(objective, &mut syn, &plain, Some(test), &mut rng, progress)?;
        if let Chosen::Diverted(t) = &chosen {
            rounds.extend_from_slice(t.rounds());
        }
        let last_partitioner = match &chosen {
            Chosen::Diverted(t) => Some(t.partitioner()),
            Chosen::Plain(_) => kept.as_deref(),
        };
        if let (Some(dir), Some(p)) = (&v.out, last_partitioner) {
            if let Some(view) = p.split_view(&v.dataset)? {
                write_atomic(
                    &dir.join(PARTITION_PICTURE),
                    &partition_picture(&view, &v.dataset)?,
                )?;
            }
        }
        number_rounds(&mut rounds);
        Ok(VariantReport {
            label: v.label,
            partitioner: partitioner_name,
            distill,
            baseline,
            validation: None,
            rounds,
            syn,
        })
    }

    /// Checkpointing for a variant writing into `out`: the hash covers everything that
    /// determines the synthetic set (not the iteration count, the evaluation or the outputs).
    fn checkpoint(
        &self,
        config: &RunConfig,
        variant: &str,
        out: Option<&Path>,
    ) -> Result<Option<CheckpointSpec>> {
        let Some(out) = out.filter(|_| config.checkpoint_every > 0) else {
            return Ok(None);
        };
        let identity = RunConfig {
            iterations: 0,
            eval: EvalConfig::default(),
            eval_every: 0,
            baseline: false,
            checkpoint_every: 0,
            compare: false,
            device: String::new(),
            out: None,
            ..config.clone()
        };
        let identity = serde_json::json!({
            "config": identity, "variant": variant, "overrides": self.overrides(),
        });
        Ok(Some(CheckpointSpec {
            path: out.join("checkpoint.safetensors"),
            config_hash: config_hash(&identity)?,
        }))
    }

    /// The sampler S_o is distilled from (one "class" per slot: slot `c` from generator `c mod G`,
    /// or from the `c`-th chunk of an outlier dataset) and each slot's source, built before the
    /// long run so a bad source fails at once.
    fn outlier_source(
        &self,
        config: &RunConfig,
        dataset: &Arc<ImageDataset>,
        device: &Device,
    ) -> Result<Option<OutlierData>> {
        let generators = match (&self.generators, &config.outliers.source) {
            (Some(g), _) => Some(g.clone()),
            (None, OutlierSource::Generators { spec }) => Some(GeneratorList::parse(spec)?),
            (None, _) => None,
        };
        // S_o has one slot per class of S, each of IPC images.
        let slots = dataset.num_classes();
        if let Some(list) = generators {
            let names = list.names();
            let inner = Arc::new(DatasetSampler::new(dataset.clone(), device.clone()));
            let pool =
                PseudoOutlierSampler::new(inner, list, dataset.preprocess().clone(), config.seed)?;
            let sampler = OutlierSlots::cycling(Arc::new(pool), slots, &names)?;
            return Ok(Some(OutlierData {
                groups: sampler.names().to_vec(),
                sampler: Arc::new(sampler),
            }));
        }
        let OutlierSource::Dataset { name } = &config.outliers.source else {
            return Ok(None);
        };
        let other = match name.as_str() {
            "digits" => embedded_mnist()?.0.with_name("digits"),
            name => load_dataset(
                &DatasetName::parse(name)?,
                config.data.folder().as_deref(),
                Split::Train,
                "outlier dataset",
            )?,
        };
        if other.shape() != dataset.shape() {
            return Err(Error::shape(
                format!("outlier dataset {} images", other.name()),
                format!("{} (as {})", dataset.shape(), dataset.name()),
                other.shape(),
            ));
        }
        // One group: the outliers carry no class, so every image is labelled 0.
        let one_group = ImageDataset::new(
            other.name(),
            other.shape(),
            other.pixels().to_vec(),
            vec![0; other.len()],
            vec![other.name().to_string()],
        )?
        .with_preprocess(dataset.preprocess().clone())?;
        let sampler = DatasetSampler::new(Arc::new(one_group), device.clone());
        let sampler = OutlierSlots::chunks(Arc::new(sampler), slots, other.name())?;
        Ok(Some(OutlierData {
            groups: sampler.names().to_vec(),
            sampler: Arc::new(sampler),
        }))
    }

    /// Distils S_o beside the primary set, saves it, and evaluates OOD detection with and
    /// without it.
    #[allow(clippy::too_many_arguments)]
    fn distill_outlier_set(
        &self,
        config: &RunConfig,
        sampler: &dyn RealSampler,
        groups: Vec<String>,
        joint: Option<JointOutcome>,
        primary: &VariantReport,
        meta: &SetMetadata,
        test: &ImageDataset,
        device: &Device,
        progress: &dyn Progress,
    ) -> Result<OutlierReport> {
        let o = &config.outliers;
        let classes = primary.syn.num_classes;
        let (set, distill) = match joint {
            // Distilled in the primary run's loop: read it back.
            Some(j) => {
                let companion = Arc::into_inner(j.companion)
                    .ok_or_else(|| Error::invalid("outlier set", "still shared", "released"))?
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                let losses = j
                    .losses
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                let distill = DistillReport {
                    objective: format!("{}-outliers", primary.distill.objective),
                    iterations: losses.len(),
                    resumed_from: primary.distill.resumed_from,
                    losses,
                    distill_seconds: 0.0,
                    eval_seconds: 0.0,
                    evaluations: Vec::new(),
                    learnt_lr: None,
                    eval_lr: primary.distill.eval_lr,
                };
                (companion.set, distill)
            }
            // A separate run (MTT, or a replaced objective): experts have no outlier
            // counterpart, so S_o is distilled after S by `outliers.objective`.
            None => {
                let objective_config = o.objective.as_ref().unwrap_or(&config.objective);
                let mut objective = build_outlier_objective(objective_config, classes, config.ipc)?;
                let mut rng = TrustRng::for_item(config.seed, config.streams.outliers);
                distill_outliers(
                    objective.as_mut(),
                    sampler,
                    classes,
                    config.ipc,
                    o.iterations.unwrap_or(config.iterations),
                    &mut rng,
                    progress,
                )?
            }
        };
        if let Some(out) = &config.out {
            save_outliers(out, &set, meta, groups.clone())?;
        }
        let names = if o.ood_sets.is_empty() {
            default_ood_sets(&config.data.dataset)
        } else {
            o.ood_sets.clone()
        };
        let ood_sets = build_ood_sets(
            &names,
            test,
            config.data.folder().as_deref(),
            config.seed,
            config.streams.ood_sets,
            device,
        )?;
        let mut eval = OodEvalConfig {
            eval: config.eval.clone(),
            lambda: o.lambda,
            temperature: o.temperature,
            ..OodEvalConfig::default()
        };
        if let Some(lr) = meta.eval_lr {
            eval.eval.train.lr = lr;
        }
        let syn = &primary.syn;
        let evaluate = |outliers: Option<&SyntheticSet>| {
            evaluate_ood(
                syn,
                outliers,
                test,
                &ood_sets,
                &eval,
                config.seed,
                device,
                progress,
            )
        };
        let plain = evaluate(None)?;
        let exposed = evaluate(Some(&set))?;
        if let (Some(out), Some(a), Some(b)) = (&config.out, &plain.histograms, &exposed.histograms)
        {
            let png = ood_picture(&[("distilled", a), ("distilled + outliers", b)])?;
            write_atomic(&out.join("ood.png"), &png)?;
        }
        Ok(OutlierReport {
            groups,
            distill,
            plain,
            exposed,
            set,
        })
    }
}

/// `train` without its validation split, and the split: `round(val_split · n_c)` images of each
/// class `c` (by label, at least one when the fraction is positive and the class holds two),
/// drawn from the validation stream, in their original order.
fn carve_validation(
    train: ImageDataset,
    config: &RunConfig,
) -> Result<(ImageDataset, Option<ImageDataset>)> {
    if config.val_split <= 0.0 {
        return Ok((train, None));
    }
    let mut rng = TrustRng::for_item(config.seed, config.streams.validation);
    let mut held = vec![false; train.len()];
    for c in 0..train.num_classes() {
        let members = train.class_members(c);
        let k = (config.val_split * members.len() as f64).round() as usize;
        let k = k
            .max(usize::from(members.len() >= 2))
            .min(members.len().saturating_sub(1));
        for j in rng.choose_indices(members.len(), k) {
            held[members[j]] = true;
        }
    }
    let (val_ids, keep_ids): (Vec<usize>, Vec<usize>) = (0..train.len()).partition(|&i| held[i]);
    Ok((train.subset(&keep_ids)?, Some(train.subset(&val_ids)?)))
}

/// A run's data and settings before partitioning or distillation ([`Pipeline::prepare`]).
pub(crate) struct Prepared {
    pub(crate) config: RunConfig,
    pub(crate) device: Device,
    /// The training images with clean labels (after ZCA and the validation split).
    pub(crate) clean: Arc<ImageDataset>,
    /// The same images with the noise applied (`clean` itself without noise).
    pub(crate) noisy: Arc<ImageDataset>,
    pub(crate) noise: Option<NoiseReport>,
    pub(crate) validation: Option<ImageDataset>,
    /// The ZCA fitted on the training images, for the test split.
    pub(crate) whitening: Option<Preprocess>,
}

/// What the outlier set is distilled from: a sampler with one "class" per slot of S_o, and
/// each slot's source.
struct OutlierData {
    sampler: Arc<dyn RealSampler>,
    groups: Vec<String>,
}

/// S_o distilled in the primary run's loop, read back after it.
struct JointOutcome {
    companion: Arc<Mutex<Companion>>,
    losses: Arc<Mutex<Vec<f64>>>,
}

impl Pipeline {
    /// S_o as the primary run's companion, when the run distils it jointly: the configured
    /// objective is DM, DC or DSA (not replaced). Initialised like S (`init`), slot `c` from
    /// its slot's outliers, from the outlier stream.
    fn joint_companion(
        &self,
        config: &RunConfig,
        outliers: &OutlierData,
        device: &Device,
    ) -> Result<Option<JointOutcome>> {
        let (lr, momentum) = match (&self.objective, &config.objective) {
            (None, ObjectiveConfig::Dm(c)) => (c.lr_img, c.momentum),
            (None, ObjectiveConfig::Dc(c) | ObjectiveConfig::Dsa(c)) => (c.lr_img, c.momentum),
            _ => return Ok(None),
        };
        let sampler = &outliers.sampler;
        let mut rng = TrustRng::for_item(config.seed, config.streams.outliers);
        let set = match config.init {
            Init::Real => SyntheticSet::from_real(sampler.as_ref(), config.ipc, &mut rng)?,
            Init::Noise => SyntheticSet::from_noise(
                sampler.image_shape(),
                sampler.num_classes(),
                config.ipc,
                device,
                &mut rng,
            )?,
        };
        let companion = Companion {
            set,
            real: sampler.clone(),
            targets: MatchTargets::Uniform {
                outputs: sampler.num_classes(),
            },
            optimizer: MomentumSgd::new(lr, momentum),
            weight: config.outliers.lambda,
        };
        Ok(Some(JointOutcome {
            companion: Arc::new(Mutex::new(companion)),
            losses: Arc::default(),
        }))
    }
}

/// The configured objective as one that carries a companion set.
fn joint_inner(objective: &ObjectiveConfig, ipc: usize) -> Result<JointInner> {
    Ok(match objective {
        ObjectiveConfig::Dm(c) => JointInner::Dm(Dm::new(c.clone())?),
        ObjectiveConfig::Dc(c) | ObjectiveConfig::Dsa(c) => {
            let mut c = c.clone();
            if matches!(objective, ObjectiveConfig::Dsa(_)) {
                c.dsa
                    .get_or_insert_with(trustdd_train::dsa::DsaConfig::default);
            }
            c.loops(ipc)?;
            JointInner::GradientMatching(GradientMatching::new(c)?)
        }
        ObjectiveConfig::Mtt(_) => {
            return Err(Error::invalid(
                "objective",
                "mtt",
                "dm, dc or dsa to distil outliers jointly",
            ))
        }
    })
}

/// The objective a variant runs: diverted to the trusted data, or as built.
enum Chosen {
    Diverted(TrustAware),
    Plain(Box<dyn DistillObjective>),
}

/// The set file's metadata for a run: its objective and the rate it learnt (MTT's α).
fn set_metadata(base: &SetMetadata, run: &VariantReport) -> SetMetadata {
    SetMetadata {
        objective: run.distill.objective.clone(),
        eval_lr: run.distill.learnt_lr,
        ..base.clone()
    }
}

/// A borrowed noise model, so one replacement model serves every run of the pipeline.
struct Shared<'a>(&'a dyn NoiseModel);

impl NoiseModel for Shared<'_> {
    fn name(&self) -> String {
        self.0.name()
    }
    fn corrupt(&self, ctx: &trustdd_core::NoiseContext<'_>) -> Result<Vec<u32>> {
        self.0.corrupt(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_validation_split_is_disjoint_per_class_and_seeded() {
        let (train, _) = trustdd_data::embedded_mnist().unwrap();
        let train = train.subset(&(0..500).collect::<Vec<_>>()).unwrap();
        let config = RunConfig {
            val_split: 0.1,
            ..RunConfig::default()
        };
        let (rest, val) = carve_validation(train.clone(), &config).unwrap();
        let val = val.unwrap();
        assert_eq!(rest.len() + val.len(), train.len());
        // Every image once: the pixels of the two parts are the original's, none in both.
        let key = |d: &ImageDataset, i: usize| d.image(i).to_vec();
        let mut all: Vec<Vec<u8>> = (0..rest.len()).map(|i| key(&rest, i)).collect();
        all.extend((0..val.len()).map(|i| key(&val, i)));
        let mut original: Vec<Vec<u8>> = (0..train.len()).map(|i| key(&train, i)).collect();
        all.sort();
        original.sort();
        assert_eq!(all, original);
        for c in 0..10 {
            let n = train.class_members(c).len();
            let want = ((0.1 * n as f64).round() as usize).max(1);
            assert_eq!(val.class_members(c).len(), want, "class {c}");
        }
        // The same seed holds out the same images; another seed others.
        let (_, again) = carve_validation(train.clone(), &config).unwrap();
        assert_eq!(again.unwrap().pixels(), val.pixels());
        let other = RunConfig { seed: 9, ..config };
        let (_, other) = carve_validation(train, &other).unwrap();
        assert_ne!(other.unwrap().pixels(), val.pixels());
    }
}
