//! DC and DSA: gradient matching (ALGORITHMS.md §3.2), second-order.

use crate::class_batches::{check_finite, class_labels, hard_labels, image_gradient};
use crate::dm::check_common;
use crate::take_buffer;
use crate::{gradient_distance, second_order, Companion, MomentumSgd, Result};
use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use trustdd_core::{
    DistillContext, DistillObjective, RealSampler, Silent, StepReport, SyntheticSet, TrustRng,
};
use trustdd_nn::{ArchConfig, Network};
use trustdd_train::dsa::{Dsa, DsaConfig, DsaTransform};
use trustdd_train::{soft_cross_entropy, train, MixedSource, Targets, TensorSource, TrainConfig};

/// `(outer_loop, inner_loop)` of the reference code for each IPC it was run with.
pub const LOOPS_BY_IPC: [(usize, (usize, usize)); 6] = [
    (1, (1, 1)),
    (10, (10, 50)),
    (20, (20, 25)),
    (30, (30, 20)),
    (40, (40, 15)),
    (50, (50, 10)),
];

/// The targets of the loss whose parameter gradients are matched, on both sides; the caller
/// (the pipeline) supplies them.
///
/// `ClassLabels` is DC/DSA: `CE(f(x), c)`. `Uniform { outputs }` is cross-entropy to the uniform
/// distribution over a network of `outputs` classes, `mean[logsumexp z − mean_k z]`, for a set
/// whose "classes" are groups without class meaning: the network keeps `outputs` classes and the
/// inner network training also minimises it on the (detached) set. With an outlier set this is
/// TrustDD's outlier-exposure loss L_OE (ALGORITHMS.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MatchTargets {
    /// The synthetic set's class labels.
    #[default]
    ClassLabels,
    /// The uniform distribution over `outputs` classes.
    Uniform {
        /// The network's output size.
        outputs: usize,
    },
}

/// DC/DSA settings; `Default` holds the paper's values for DC (no augmentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GradientMatchingConfig {
    /// The network whose gradients are matched (default ConvNet-3, width 128).
    pub arch: ArchConfig,
    /// Real images per class per outer step (default 256).
    pub real_batch: usize,
    /// Image learning rate (default 0.1).
    pub lr_img: f64,
    /// Image SGD momentum (default 0.5).
    pub momentum: f64,
    /// Learning rate of the inner network training (default 0.01, plain SGD).
    pub lr_net: f64,
    /// Batch size of the inner network training (default 256).
    pub inner_batch: usize,
    /// Outer steps per iteration; `None` takes [`LOOPS_BY_IPC`].
    pub outer_loop: Option<usize>,
    /// Inner epochs on the synthetic set after each outer step; `None` takes [`LOOPS_BY_IPC`].
    pub inner_loop: Option<usize>,
    /// `None`: DC. `Some`: DSA, the same Siamese transform on each class's real and synthetic
    /// batch (and per-sample DSA in the inner training, as the reference code).
    pub dsa: Option<DsaConfig>,
}

impl Default for GradientMatchingConfig {
    fn default() -> Self {
        Self {
            arch: ArchConfig::default(),
            real_batch: 256,
            lr_img: 0.1,
            momentum: 0.5,
            lr_net: 0.01,
            inner_batch: 256,
            outer_loop: None,
            inner_loop: None,
            dsa: None,
        }
    }
}

impl GradientMatchingConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check_common(
            self.real_batch,
            self.lr_img,
            self.momentum,
            "gradient matching",
        )?;
        if !(self.lr_net.is_finite() && self.lr_net > 0.0) {
            return Err(trustdd_core::Error::invalid(
                "lr_net",
                self.lr_net,
                "a positive number",
            ));
        }
        if self.inner_batch == 0 {
            return Err(trustdd_core::Error::invalid("inner_batch", 0, "at least 1"));
        }
        if self.outer_loop == Some(0) {
            return Err(trustdd_core::Error::invalid("outer_loop", 0, "at least 1"));
        }
        if let Some(d) = &self.dsa {
            d.validate()?;
        }
        Ok(())
    }

    /// `(outer_loop, inner_loop)` for `ipc`: the explicit settings, else the reference table.
    ///
    /// # Errors
    /// An invalid-parameter error when a loop is unset and `ipc` is not in [`LOOPS_BY_IPC`].
    pub fn loops(&self, ipc: usize) -> Result<(usize, usize)> {
        let table = LOOPS_BY_IPC
            .iter()
            .find(|(i, _)| *i == ipc)
            .map(|(_, l)| *l);
        match (self.outer_loop, self.inner_loop, table) {
            (Some(o), Some(i), _) => Ok((o, i)),
            (o, i, Some((to, ti))) => Ok((o.unwrap_or(to), i.unwrap_or(ti))),
            _ => Err(trustdd_core::Error::invalid(
                "ipc (for outer_loop / inner_loop)",
                ipc,
                "1, 10, 20, 30, 40 or 50, or set outer_loop and inner_loop explicitly",
            )),
        }
    }
}

/// `D(∇θ CE(f(real), c), ∇θ CE(f(syn), c))` (see [`gradient_distance`]) for one class, with the
/// real gradient detached and the synthetic one keeping its graph, so the result is
/// differentiable in `syn`. `params` must be tracked tensors (for example [`Network::params`]).
/// The network runs in training mode (batch statistics for batch norm); the objective matches
/// a batch-norm network in evaluation mode instead, as the reference.
///
/// Correct second-order gradients need [`second_order::run`].
///
/// # Errors
/// Network errors; [`trustdd_core::Error::NoGradient`] if a parameter gets no gradient.
pub fn matching_loss(
    net: &Network,
    params: &[Tensor],
    real: &Tensor,
    syn: &Tensor,
    class: usize,
) -> Result<Tensor> {
    class_matching(net, params, real, syn, class, true)
}

/// [`matching_loss`] with the network in training (`train`) or evaluation mode.
fn class_matching(
    net: &Network,
    params: &[Tensor],
    real: &Tensor,
    syn: &Tensor,
    class: usize,
    train: bool,
) -> Result<Tensor> {
    let ce = |logits: &Tensor| -> Result<Tensor> {
        let labels = class_labels(class, logits.dim(0)?, logits.device())?;
        Targets::Hard(labels).loss(logits)
    };
    match_gradients(net, params, real, syn, &ce, train)
}

/// `D(∇θ L_U(f(real)), ∇θ L_U(f(syn)))`: [`matching_loss`] with cross-entropy to the uniform
/// distribution over the network's outputs on both sides ([`MatchTargets::Uniform`]; L_OE for
/// an outlier set).
///
/// # Errors
/// As [`matching_loss`].
pub fn uniform_matching_loss(
    net: &Network,
    params: &[Tensor],
    real: &Tensor,
    syn: &Tensor,
) -> Result<Tensor> {
    match_gradients(net, params, real, syn, &uniform_cross_entropy, true)
}

/// Mean cross-entropy of `logits` (`N×K`) to the uniform distribution.
fn uniform_cross_entropy(logits: &Tensor) -> Result<Tensor> {
    let (n, k) = logits.dims2()?;
    let uniform =
        Tensor::full(1.0 / k as f64, (n, k), logits.device())?.to_dtype(logits.dtype())?;
    soft_cross_entropy(logits, &uniform)
}

/// The gradient distance between `∇θ loss(f(real))` (detached) and `∇θ loss(f(syn))`.
fn match_gradients(
    net: &Network,
    params: &[Tensor],
    real: &Tensor,
    syn: &Tensor,
    loss_of: &dyn Fn(&Tensor) -> Result<Tensor>,
    train: bool,
) -> Result<Tensor> {
    let grads_of = |x: &Tensor| -> Result<Vec<Tensor>> {
        let loss = loss_of(&net.forward_with(params, x, train)?)?;
        let store = loss.backward()?;
        params
            .iter()
            .map(|p| {
                store
                    .get(p)
                    .cloned()
                    .ok_or_else(|| trustdd_core::Error::NoGradient {
                        context: "gradient matching".into(),
                        what: "a network parameter".into(),
                    })
            })
            .collect()
    };
    // The real gradient is a constant of the matching loss: first order on the fused kernels,
    // which keeps none of the real batch's intermediates (the batch is 25× the synthetic one).
    let real_grads: Vec<Tensor> = trustdd_nn::ops::fast_scope(|| grads_of(real))?
        .iter()
        .map(Tensor::detach)
        .collect();
    let syn_grads = grads_of(syn)?;
    gradient_distance(&real_grads, &syn_grads)
}

/// The inner network training's targets for a set's hard `labels`: the labels themselves, or
/// uniform rows over `outputs` classes.
fn target_rows(
    targets: MatchTargets,
    labels: &[u32],
    device: &candle_core::Device,
) -> Result<Targets> {
    Ok(match targets {
        MatchTargets::ClassLabels => Targets::hard(labels, device)?,
        MatchTargets::Uniform { outputs } => Targets::Soft(Tensor::full(
            1.0 / outputs as f32,
            (labels.len(), outputs),
            device,
        )?),
    })
}

/// Real images per class that fix the batch-norm statistics before each outer step (the
/// reference's `BNSizePC`).
pub const BN_IMAGES_PER_CLASS: usize = 16;

/// The companion's name in errors.
const COMPANION: &str = "gradient matching companion";

/// The DC/DSA objective.
#[derive(Debug, Clone)]
pub struct GradientMatching {
    config: GradientMatchingConfig,
    targets: MatchTargets,
    optimizer: MomentumSgd,
}

impl GradientMatching {
    /// Validates `config`.
    ///
    /// # Errors
    /// As [`GradientMatchingConfig::validate`].
    pub fn new(config: GradientMatchingConfig) -> Result<Self> {
        Self::with_targets(config, MatchTargets::ClassLabels)
    }

    /// Validates `config`; the matched loss uses `targets`.
    ///
    /// # Errors
    /// As [`GradientMatchingConfig::validate`]; an invalid-parameter error for uniform targets
    /// over 0 outputs.
    pub fn with_targets(config: GradientMatchingConfig, targets: MatchTargets) -> Result<Self> {
        config.validate()?;
        if targets == (MatchTargets::Uniform { outputs: 0 }) {
            return Err(trustdd_core::Error::invalid(
                "uniform targets outputs",
                0,
                "at least 1 network output",
            ));
        }
        let optimizer = MomentumSgd::new(config.lr_img, config.momentum);
        Ok(Self {
            config,
            targets,
            optimizer,
        })
    }

    fn step_impl(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<StepReport> {
        self.step_joint(syn, None, ctx, rng)
            .map(|(report, _)| report)
    }

    /// One iteration on `syn` and, when given, on a [`Companion`] with the SAME network (the
    /// official TrustDD loop): every outer step matches the first set (and updates it), then the
    /// companion with its own targets, real batches and augmentation draws (and updates it), then
    /// trains the network on both, `CE(S) + weight·loss(S_o)` ([`MixedSource`]). Returns the
    /// step report and the companion's mean loss.
    ///
    /// # Errors
    /// As the plain step; an invalid-parameter error when the companion's targets do not fit the
    /// network's outputs.
    pub fn step_joint(
        &mut self,
        syn: &mut SyntheticSet,
        mut companion: Option<&mut Companion>,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<(StepReport, Option<f64>)> {
        let labels = hard_labels(syn, self.label())?.to_vec();
        let (outer, inner) = self.config.loops(syn.ipc)?;
        let shape = ctx.real.image_shape();
        let device = ctx.real.device();
        let dsa = match &self.config.dsa {
            Some(c) => Some(Dsa::new(c.clone(), shape)?),
            None => None,
        };
        let dtype = syn.images.dtype();
        let net_classes = match self.targets {
            MatchTargets::ClassLabels => syn.num_classes,
            MatchTargets::Uniform { outputs } => outputs,
        };
        if let Some(comp) = companion.as_deref() {
            if comp.targets
                != (MatchTargets::Uniform {
                    outputs: net_classes,
                })
                && comp.targets != MatchTargets::ClassLabels
            {
                return Err(trustdd_core::Error::invalid(
                    "companion targets",
                    format!("{:?}", comp.targets),
                    format!("class labels or uniform over the network's {net_classes} outputs"),
                ));
            }
        }
        let mut net = Network::new(
            &self.config.arch,
            shape,
            net_classes,
            dtype,
            device,
            &mut rng.fork(),
        )?;
        let inner_config = TrainConfig {
            epochs: inner.max(1),
            batch_size: self.config.inner_batch,
            lr: self.config.lr_net,
            momentum: 0.0,
            weight_decay: 0.0,
            lr_decay_epochs: Some(Vec::new()),
            lr_decay_factor: 1.0,
            augment: self.config.dsa.clone(),
            dc_augment: None,
        };
        // Real batches and transforms are drawn on this thread, in a fixed order, so the
        // second-order worker consumes no randomness.
        let draw = |real: &dyn RealSampler, classes: usize, rng: &mut TrustRng| -> Result<Vec<_>> {
            (0..classes)
                .map(|c| {
                    let r = real
                        .sample(c, self.config.real_batch, rng)?
                        .to_dtype(dtype)?;
                    Ok((r, dsa.as_ref().map(|d| d.sample_siamese(rng))))
                })
                .collect()
        };
        let (mut loss_sum, mut companion_sum) = (0.0, 0.0);
        for outer_step in 0..outer {
            if !net.buffers().is_empty() {
                // As the reference: batch-norm statistics from 16 real images per class, one
                // forward pass in training mode, then matching in evaluation mode.
                let parts = (0..syn.num_classes)
                    .map(|c| {
                        Ok(ctx
                            .real
                            .sample(c, BN_IMAGES_PER_CLASS, rng)?
                            .to_dtype(dtype)?)
                    })
                    .collect::<Result<Vec<_>>>()?;
                trustdd_nn::ops::fast_scope(|| net.forward(&Tensor::cat(&parts, 0)?, true))?;
            }
            let batches = draw(ctx.real, syn.num_classes, rng)?;
            let (loss, grad) = self.match_set(&net, syn, &batches, self.targets, self.label())?;
            check_finite(loss, self.label(), ctx.iteration)?;
            loss_sum += loss;
            self.optimizer.step(&syn.images, &grad)?;
            if let Some(comp) = companion.as_deref_mut() {
                let batches = draw(comp.real.as_ref(), comp.set.num_classes, rng)?;
                let what = COMPANION;
                let (loss, grad) = self.match_set(&net, &comp.set, &batches, comp.targets, what)?;
                check_finite(loss, what, ctx.iteration)?;
                companion_sum += loss;
                comp.optimizer.step(&comp.set.images, &grad)?;
            }
            // The reference code skips the network update after the last outer step.
            if outer_step + 1 < outer && inner > 0 {
                let targets = target_rows(self.targets, &labels, device)?;
                let images = syn.images.as_tensor().detach();
                match companion.as_deref() {
                    None => {
                        let source = TensorSource::new(&images, targets)?;
                        train(&mut net, &source, &inner_config, rng, device, &Silent)?;
                    }
                    Some(comp) => {
                        let comp_labels = hard_labels(&comp.set, COMPANION)?.to_vec();
                        let comp_targets = target_rows(comp.targets, &comp_labels, device)?;
                        let source = MixedSource::new(
                            (&images, MixedSource::distributions(&targets, net_classes)?),
                            (
                                comp.set.images.as_tensor(),
                                MixedSource::distributions(&comp_targets, net_classes)?,
                            ),
                            net_classes,
                            comp.weight,
                        )?;
                        train(&mut net, &source, &inner_config, rng, device, &Silent)?;
                    }
                }
            }
        }
        Ok((
            StepReport {
                loss: loss_sum / outer as f64,
                eval_lr: None,
            },
            companion.map(|_| companion_sum / outer as f64),
        ))
    }

    /// `Σ_c D(∇θ loss(real_c), ∇θ loss(set_c))` with `targets`, and its gradient in the set's
    /// images (on the second-order worker).
    fn match_set(
        &self,
        net: &Network,
        set: &SyntheticSet,
        batches: &[(Tensor, Option<DsaTransform>)],
        targets: MatchTargets,
        what: &str,
    ) -> Result<(f64, Tensor)> {
        let (dtype, device) = (set.images.dtype(), set.images.device().clone());
        second_order::run(|| {
            let params = net.params();
            let mut total = Tensor::zeros((), dtype, &device)?;
            for (c, (real, transform)) in batches.iter().enumerate() {
                let s = set.class_images(c)?;
                let (r, s) = match transform {
                    Some(t) => (t.apply(real)?, t.apply(&s)?),
                    None => (real.clone(), s),
                };
                // A batch-norm network matches in evaluation mode, with the statistics the step
                // fixed from real images (the reference's "freeze the running mu and sigma").
                let train = net.buffers().is_empty();
                let term = match targets {
                    MatchTargets::ClassLabels => class_matching(net, &params, &r, &s, c, train)?,
                    MatchTargets::Uniform { .. } => {
                        match_gradients(net, &params, &r, &s, &uniform_cross_entropy, train)?
                    }
                };
                total = (total + term)?;
            }
            let value = total.to_dtype(DType::F64)?.to_scalar::<f64>()?;
            Ok((value, image_gradient(&total, set, what)?))
        })
    }

    fn label(&self) -> &'static str {
        match (self.config.dsa.is_some(), self.targets) {
            (true, MatchTargets::ClassLabels) => "dsa",
            (false, MatchTargets::ClassLabels) => "dc",
            (true, MatchTargets::Uniform { .. }) => "dsa-uniform",
            (false, MatchTargets::Uniform { .. }) => "dc-uniform",
        }
    }
}

impl DistillObjective for GradientMatching {
    fn name(&self) -> String {
        self.label().into()
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
        self.optimizer.named_buffer("image_momentum")
    }
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let known = ["image_momentum"];
        self.optimizer
            .set_buffer(take_buffer(state, known[0], &known, self.label())?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use trustdd_core::ImageShape;
    use trustdd_nn::ConvNetConfig;

    /// Central-difference step and tolerance for f64 (as in tests/common).
    const FD_STEP: f64 = 1e-5;
    const GRAD_REL_TOL: f64 = 1e-6;

    fn randn(shape: &[usize], rng: &mut TrustRng) -> Tensor {
        let n = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    #[test]
    fn outlier_matching_gradient_matches_finite_differences() -> anyhow::Result<()> {
        let mut rng = TrustRng::new(11);
        let shape = ImageShape::new(1, 8, 8);
        let arch = ArchConfig::ConvNet(ConvNetConfig {
            width: 3,
            depth: 2,
            ..ConvNetConfig::default()
        });
        // Three in-distribution classes; the outlier group has no class of its own.
        let net = Network::new(&arch, shape, 3, DType::F64, &Device::Cpu, &mut rng)?;
        let real = randn(&[3, 1, 8, 8], &mut rng);
        let syn = randn(&[2, 1, 8, 8], &mut rng);
        let loss =
            |x: &Tensor| -> Result<Tensor> { uniform_matching_loss(&net, &net.params(), &real, x) };
        let (auto, numeric) = second_order::run(|| {
            let var = Var::from_tensor(&syn)?;
            let grads = loss(var.as_tensor())?.backward()?;
            let auto = grads
                .get(var.as_tensor())
                .map(|g| g.flatten_all()?.to_vec1::<f64>())
                .transpose()?
                .unwrap_or_default();
            let base = syn.flatten_all()?.to_vec1::<f64>()?;
            let at = |j: usize, d: f64| -> Result<f64> {
                let mut v = base.clone();
                v[j] += d;
                let x = Tensor::from_vec(v, syn.dims(), &Device::Cpu)?;
                Ok(loss(&x)?.to_scalar::<f64>()?)
            };
            let numeric = (0..base.len())
                .step_by(5)
                .map(|j| Ok((at(j, FD_STEP)? - at(j, -FD_STEP)?) / (2.0 * FD_STEP)))
                .collect::<Result<Vec<f64>>>()?;
            Ok((auto, numeric))
        })?;
        assert_eq!(auto.len(), syn.elem_count(), "no gradient reached syn");
        let picked: Vec<f64> = (0..auto.len()).step_by(5).map(|j| auto[j]).collect();
        let num: f64 = picked
            .iter()
            .zip(&numeric)
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        let den: f64 = numeric.iter().map(|b| b * b).sum();
        let rel = (num / den).sqrt();
        assert!(den > 0.0 && rel < GRAD_REL_TOL, "relative error {rel:.3e}");
        Ok(())
    }

    #[test]
    fn uniform_targets_need_an_output() {
        let e = GradientMatching::with_targets(
            GradientMatchingConfig::default(),
            MatchTargets::Uniform { outputs: 0 },
        )
        .unwrap_err();
        assert!(e.to_string().contains("outputs"), "{e}");
        assert!(GradientMatching::with_targets(
            GradientMatchingConfig::default(),
            MatchTargets::Uniform { outputs: 10 },
        )
        .is_ok());
    }
}
