//! MTT: matching training trajectories (ALGORITHMS.md §3.3), unrolled second-order, with a
//! learnable student learning rate α and optional learnable soft labels (DATM).

use crate::class_batches::check_finite;
use crate::dm::check_common;
use crate::experts::Trajectories;
use crate::take_buffer;
use crate::{trajectory_gradients, MomentumSgd, Result};
use candle_core::{DType, Tensor, Var};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use trustdd_core::{
    DistillContext, DistillObjective, StepReport, SyntheticLabels, SyntheticSet, TrustRng,
};
use trustdd_nn::{ArchConfig, Network};
use trustdd_train::dsa::{Dsa, DsaConfig, DsaTransform};
use trustdd_train::{soft_cross_entropy, Targets};

/// MTT settings. Defaults follow the paper except `lr_img` (100, the low end of the paper's
/// 100–1000, for small CPU runs) and `syn_steps` (20, the low end of 20–80).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MttConfig {
    /// The student network (must be the experts' architecture).
    pub arch: ArchConfig,
    /// Student steps N unrolled per iteration (default 20).
    pub syn_steps: usize,
    /// Expert epochs M the student must cover (default 2).
    pub expert_epochs: usize,
    /// Start epochs are drawn from `0..max_start_epoch` (default 20).
    pub max_start_epoch: usize,
    /// Synthetic images per student step (`None`: the whole set).
    pub batch_syn: Option<usize>,
    /// Image learning rate (default 100).
    pub lr_img: f64,
    /// Learning rate of α (default 1e-5).
    pub lr_lr: f64,
    /// Initial α (default 0.01, the experts' rate).
    pub lr_init: f64,
    /// Momentum of the image and α optimisers (default 0.5).
    pub momentum: f64,
    /// Learning rate of soft labels when they are learnt (default 2.0, DATM's CIFAR setting).
    pub lr_labels: f64,
    /// Momentum of the soft-label optimiser (default 0.9, DATM's `Momentum_y`).
    pub label_momentum: f64,
    /// Per-sample DSA on each student batch (default on); `None` disables it.
    pub dsa: Option<DsaConfig>,
}

impl Default for MttConfig {
    fn default() -> Self {
        Self {
            arch: ArchConfig::default(),
            syn_steps: 20,
            expert_epochs: 2,
            max_start_epoch: 20,
            batch_syn: None,
            lr_img: 100.0,
            lr_lr: 1e-5,
            lr_init: 0.01,
            momentum: 0.5,
            lr_labels: 2.0,
            label_momentum: 0.9,
            dsa: Some(DsaConfig::default()),
        }
    }
}

impl MttConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check_common(1, self.lr_img, self.momentum, "mtt")?;
        for (name, v) in [
            ("mtt lr_lr", self.lr_lr),
            ("mtt lr_init", self.lr_init),
            ("mtt lr_labels", self.lr_labels),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(trustdd_core::Error::invalid(name, v, "a positive number"));
            }
        }
        for (name, v) in [
            ("mtt syn_steps", self.syn_steps),
            ("mtt expert_epochs", self.expert_epochs),
            ("mtt max_start_epoch", self.max_start_epoch),
        ] {
            if v == 0 {
                return Err(trustdd_core::Error::invalid(name, 0, "at least 1"));
            }
        }
        if !(0.0..1.0).contains(&self.label_momentum) {
            return Err(trustdd_core::Error::invalid(
                "mtt label_momentum",
                self.label_momentum,
                "a number in [0, 1)",
            ));
        }
        if self.batch_syn == Some(0) {
            return Err(trustdd_core::Error::invalid(
                "mtt batch_syn",
                0,
                "at least 1",
            ));
        }
        if let Some(d) = &self.dsa {
            d.validate()?;
        }
        Ok(())
    }
}

/// Which targets the student trains on.
#[derive(Debug, Clone, Copy)]
pub enum StudentLabels<'a> {
    /// Class indices, `u32` of length N.
    Hard(&'a Tensor),
    /// Learnable logits `N×classes`; the student trains on their softmax.
    SoftLogits(&'a Tensor),
}

/// One student step's batch: image indices and an optional (per-sample) DSA transform.
#[derive(Debug, Clone)]
pub struct StudentStep {
    /// Indices into the synthetic images (`u32`).
    pub ids: Tensor,
    /// Augmentation of the batch.
    pub transform: Option<DsaTransform>,
}

/// `‖θ_N − θ*_target‖² / ‖θ*_start − θ*_target‖²` where `θ_0 = start` and
/// `θ_{n+1} = θ_n − lr·∇θ CE(f_θn(aug(images[ids_n])), labels[ids_n])`, keeping the graph, so the
/// result is differentiable in `images`, `lr` (a scalar tensor) and soft label logits.
///
/// Correct gradients need [`crate::second_order::run`]; [`trajectory_gradients`] computes the
/// same gradients in linear time and one step's memory, and is what [`Mtt`] uses.
///
/// # Errors
/// Shape errors (flat vectors not matching `net`); candle errors.
pub fn trajectory_loss(
    net: &Network,
    start: &Tensor,
    target: &Tensor,
    steps: &[StudentStep],
    images: &Tensor,
    labels: StudentLabels<'_>,
    lr: &Tensor,
) -> Result<Tensor> {
    let mut theta = start.detach();
    for step in steps {
        // candle keeps gradients only for variables (intermediate ones are dropped during the
        // backward pass), so ∇θ_n is read from a zero variable added to θ_n.
        let probe = Var::zeros(theta.dims(), theta.dtype(), theta.device())?;
        let at = (&theta + probe.as_tensor())?;
        let ce = student_loss(net, &at, step, images, labels)?;
        let grad = ce
            .backward()?
            .get(probe.as_tensor())
            .cloned()
            .ok_or_else(|| trustdd_core::Error::NoGradient {
                context: "mtt".into(),
                what: "the student parameters".into(),
            })?;
        theta = (theta - grad.broadcast_mul(lr)?)?;
    }
    let num = (theta - target)?.sqr()?.sum_all()?;
    let den = (start - target)?.sqr()?.sum_all()?.detach();
    Ok((num / den)?)
}

/// One student step's loss at the flat parameters `theta`: cross-entropy of
/// `f_θ(aug(images[ids]))` against the step's hard labels or the softmax of its soft-label logits.
pub(crate) fn student_loss(
    net: &Network,
    theta: &Tensor,
    step: &StudentStep,
    images: &Tensor,
    labels: StudentLabels<'_>,
) -> Result<Tensor> {
    let mut x = images.index_select(&step.ids, 0)?;
    if let Some(t) = &step.transform {
        x = t.apply(&x)?;
    }
    let logits = net.forward_with(&net.unflatten(theta)?, &x, true)?;
    Ok(match labels {
        StudentLabels::Hard(y) => Targets::Hard(y.index_select(&step.ids, 0)?).loss(&logits)?,
        StudentLabels::SoftLogits(z) => {
            // `softmax`, not `softmax_last_dim`: the latter has no backward in candle 0.11.1,
            // so the logits would get no gradient.
            let probs =
                candle_nn::ops::softmax(&z.index_select(&step.ids, 0)?, candle_core::D::Minus1)?;
            soft_cross_entropy(&logits, &probs)?
        }
    })
}

/// The MTT objective over precomputed expert trajectories.
#[derive(Debug, Clone)]
pub struct Mtt {
    config: MttConfig,
    trajectories: Trajectories,
    lr: Var,
    image_opt: MomentumSgd,
    lr_opt: MomentumSgd,
    label_opt: MomentumSgd,
}

impl Mtt {
    /// Validates `config` against the trajectories (`max_start_epoch + expert_epochs` must not
    /// exceed the epochs recorded).
    ///
    /// # Errors
    /// Invalid settings; [`trustdd_core::Error::NotEnough`] for short or missing trajectories.
    pub fn new(config: MttConfig, trajectories: Trajectories) -> Result<Self> {
        config.validate()?;
        // The latest target is epoch (max_start_epoch − 1) + expert_epochs.
        let need = config.max_start_epoch + config.expert_epochs - 1;
        if trajectories.is_empty() || trajectories.len() < need + 1 {
            return Err(trustdd_core::Error::NotEnough {
                what: "recorded expert epochs (max_start_epoch − 1 + expert_epochs)".into(),
                requested: need,
                available: trajectories.len().saturating_sub(1),
            });
        }
        let device = trajectories.experts[0][0].device().clone();
        let dtype = trajectories.experts[0][0].dtype();
        Ok(Self {
            lr: Var::from_tensor(&Tensor::new(config.lr_init, &device)?.to_dtype(dtype)?)?,
            image_opt: MomentumSgd::new(config.lr_img, config.momentum),
            lr_opt: MomentumSgd::new(config.lr_lr, config.momentum),
            label_opt: MomentumSgd::new(config.lr_labels, config.label_momentum),
            config,
            trajectories,
        })
    }

    /// The current learnt student learning rate α.
    pub fn lr(&self) -> Result<f64> {
        Ok(self
            .lr
            .as_tensor()
            .to_dtype(DType::F64)?
            .to_scalar::<f64>()?)
    }

    /// Replaces hard labels by learnable logits as DATM initialises them: for each image, the
    /// mean logits of the experts (their last epoch) that classify it correctly. An image no
    /// expert classifies correctly gets the mean over all experts (DATM would divide by zero).
    ///
    /// # Errors
    /// An invalid-parameter error unless the labels are hard; network errors.
    pub fn init_soft_labels(&self, syn: &mut SyntheticSet, net: &Network) -> Result<()> {
        let SyntheticLabels::Hard(labels) = &syn.labels else {
            return Err(trustdd_core::Error::invalid(
                "mtt soft-label initialisation",
                "soft labels",
                "hard class labels to start from",
            ));
        };
        let images = syn.images.as_tensor().detach();
        let (n, k) = (labels.len(), syn.num_classes);
        let (mut correct_sum, mut all_sum) = (vec![0f64; n * k], vec![0f64; n * k]);
        let mut correct_count = vec![0usize; n];
        for expert in &self.trajectories.experts {
            let last = expert.last().expect("checked non-empty");
            let logits = net
                .forward_with(&net.unflatten(last)?, &images, false)?
                .to_dtype(DType::F64)?
                .to_vec2::<f64>()?;
            for (i, (row, &label)) in logits.iter().zip(labels).enumerate() {
                let predicted = row
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(c, _)| c);
                let right = predicted == label as usize;
                correct_count[i] += usize::from(right);
                for (c, &z) in row.iter().enumerate() {
                    all_sum[i * k + c] += z;
                    if right {
                        correct_sum[i * k + c] += z;
                    }
                }
            }
        }
        let experts = self.trajectories.experts.len() as f64;
        let mean: Vec<f64> = (0..n * k)
            .map(|j| match correct_count[j / k] {
                0 => all_sum[j] / experts,
                m => correct_sum[j] / m as f64,
            })
            .collect();
        let logits = Tensor::from_vec(mean, (n, k), images.device())?.to_dtype(images.dtype())?;
        syn.labels = SyntheticLabels::Soft(Var::from_tensor(&logits)?);
        Ok(())
    }

    fn step_impl(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<StepReport> {
        let shape = ctx.real.image_shape();
        let device = ctx.real.device();
        let dtype = syn.images.dtype();
        let net = Network::new(
            &self.config.arch,
            shape,
            syn.num_classes,
            dtype,
            device,
            &mut rng.fork(),
        )?;
        let e = rng.below(self.trajectories.experts.len() as u64) as usize;
        let t = rng.below(self.config.max_start_epoch as u64) as usize;
        let start = self.trajectories.experts[e][t].to_dtype(dtype)?;
        let target = self.trajectories.experts[e][t + self.config.expert_epochs].to_dtype(dtype)?;
        let n = syn.images.dim(0)?;
        let batch = self.config.batch_syn.unwrap_or(n).min(n);
        let dsa = match &self.config.dsa {
            Some(c) => Some(Dsa::new(c.clone(), shape)?),
            None => None,
        };
        // As the reference (`distill.py`): the student cycles through a permutation of the set in
        // chunks of `batch_syn`, so every image is visited once per pass; a new permutation when
        // the chunks run out, the chunks taken from the end (the last may be smaller).
        let mut chunks: Vec<Vec<u32>> = Vec::new();
        let steps = (0..self.config.syn_steps)
            .map(|_| {
                if chunks.is_empty() {
                    let mut perm: Vec<u32> = (0..n as u32).collect();
                    rng.shuffle(&mut perm);
                    chunks = perm.chunks(batch).map(<[u32]>::to_vec).collect();
                }
                let ids = chunks.pop().expect("a chunk of a non-empty permutation");
                let len = ids.len();
                let transform = dsa.as_ref().map(|d| d.sample(len, rng));
                Ok(StudentStep {
                    ids: Tensor::from_vec(ids, len, device)?,
                    transform,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let hard = match &syn.labels {
            SyntheticLabels::Hard(l) => Some(Tensor::from_slice(l, l.len(), device)?),
            SyntheticLabels::Soft(_) => None,
        };
        let labels = match (&hard, &syn.labels) {
            (Some(y), _) => StudentLabels::Hard(y),
            (None, SyntheticLabels::Soft(z)) => StudentLabels::SoftLogits(z.as_tensor()),
            (None, SyntheticLabels::Hard(_)) => unreachable!("hard labels were converted above"),
        };
        let grads = trajectory_gradients(
            &net,
            &start,
            &target,
            &steps,
            syn.images.as_tensor(),
            labels,
            self.lr.as_tensor(),
        )?;
        let (loss, g_img, g_lr, g_labels) =
            (grads.loss, Some(grads.images), Some(grads.lr), grads.labels);
        check_finite(loss, "mtt", ctx.iteration)?;
        let missing = |what: &str| trustdd_core::Error::NoGradient {
            context: "mtt".into(),
            what: what.into(),
        };
        self.image_opt.step(
            &syn.images,
            &g_img.ok_or_else(|| missing("the synthetic images"))?,
        )?;
        self.lr_opt
            .step(&self.lr, &g_lr.ok_or_else(|| missing("the learning rate"))?)?;
        if let SyntheticLabels::Soft(z) = &syn.labels {
            let g = g_labels.ok_or_else(|| missing("the soft labels"))?;
            self.label_opt.step(z, &g)?;
        }
        Ok(StepReport {
            loss,
            eval_lr: Some(self.lr()?),
        })
    }
}

const STATE: [&str; 4] = ["lr", "image_momentum", "lr_momentum", "label_momentum"];

impl DistillObjective for Mtt {
    fn name(&self) -> String {
        "mtt".into()
    }
    fn step(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> trustdd_core::Result<StepReport> {
        self.step_impl(syn, ctx, rng)
    }
    fn state(&self) -> Vec<(String, Tensor)> {
        let mut s = vec![("lr".to_string(), self.lr.as_tensor().clone())];
        s.extend(self.image_opt.named_buffer("image_momentum"));
        s.extend(self.lr_opt.named_buffer("lr_momentum"));
        s.extend(self.label_opt.named_buffer("label_momentum"));
        s
    }
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let lr = take_buffer(state, "lr", &STATE, "mtt")?.ok_or_else(|| {
            trustdd_core::Error::format("mtt", "objective state", "missing tensor \"lr\"")
        })?;
        self.lr.set(&lr)?;
        self.image_opt
            .set_buffer(take_buffer(state, "image_momentum", &STATE, "mtt")?);
        self.lr_opt
            .set_buffer(take_buffer(state, "lr_momentum", &STATE, "mtt")?);
        self.label_opt
            .set_buffer(take_buffer(state, "label_momentum", &STATE, "mtt")?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_labels_have_datms_momentum_and_images_keep_the_reference_one() {
        let arch = ArchConfig::Mlp { hidden: vec![] };
        let net = Network::new(
            &arch,
            trustdd_core::ImageShape::new(1, 2, 2),
            2,
            DType::F32,
            &candle_core::Device::Cpu,
            &mut TrustRng::new(0),
        )
        .unwrap();
        let flat = Network::flatten(&net.detached_params()).unwrap();
        let trajectories = Trajectories {
            experts: vec![vec![flat.clone(), flat.clone(), flat]],
        };
        let config = MttConfig {
            arch,
            syn_steps: 1,
            expert_epochs: 1,
            max_start_epoch: 1,
            dsa: None,
            ..MttConfig::default()
        };
        let mtt = Mtt::new(config, trajectories).unwrap();
        assert_eq!(mtt.label_opt.momentum(), 0.9);
        assert_eq!(mtt.image_opt.momentum(), 0.5);
        assert_eq!(mtt.lr_opt.momentum(), 0.5);
        let bad = MttConfig {
            label_momentum: 1.0,
            ..MttConfig::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("label_momentum"));
    }
}
