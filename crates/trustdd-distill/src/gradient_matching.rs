//! DC and DSA: gradient matching (ALGORITHMS.md §3.2), second-order.

use crate::class_batches::{check_finite, class_labels, hard_labels, image_gradient};
use crate::dm::check_common;
use crate::objective::take_buffer;
use crate::{gradient_distance, second_order, DistillError, MomentumSgd, Objective, Result};
use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use trustdd_core::{DistillContext, DistillObjective, Silent, StepReport, SyntheticSet, TrustRng};
use trustdd_nn::{ArchConfig, Network};
use trustdd_train::dsa::{Dsa, DsaConfig};
use trustdd_train::{soft_cross_entropy, train, Targets, TensorSource, TrainConfig};

/// `(outer_loop, inner_loop)` of the reference code for each IPC it was run with.
pub const LOOPS_BY_IPC: [(usize, (usize, usize)); 6] = [
    (1, (1, 1)),
    (10, (10, 50)),
    (20, (20, 25)),
    (30, (30, 20)),
    (40, (40, 15)),
    (50, (50, 10)),
];

/// Which loss's parameter gradients are matched.
///
/// `CrossEntropy` is DC/DSA. `OutlierExposure` learns an OUTLIER set S_o (TrustDD, ALGORITHMS.md
/// §7): the synthetic set's "classes" are outlier groups (no class meaning), the network keeps the
/// in-distribution class count `num_classes`, and both sides use
/// L_OE(z) = mean[logsumexp z − mean_k z], i.e. cross-entropy to the uniform distribution; the
/// inner network training also minimises L_OE on the (detached) outlier set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MatchLoss {
    /// `CE(f(x), c)` with the synthetic set's class labels (DC/DSA).
    #[default]
    CrossEntropy,
    /// `L_OE(f(x))` with a network of `num_classes` in-distribution outputs.
    OutlierExposure {
        /// The in-distribution class count K (the network's output size).
        num_classes: usize,
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
    /// The matched loss (default cross-entropy: DC/DSA).
    pub loss: MatchLoss,
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
            loss: MatchLoss::CrossEntropy,
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
            return Err(DistillError::invalid(
                "lr_net",
                self.lr_net,
                "a positive number",
            ));
        }
        if self.inner_batch == 0 {
            return Err(DistillError::invalid("inner_batch", 0, "at least 1"));
        }
        if self.outer_loop == Some(0) {
            return Err(DistillError::invalid("outer_loop", 0, "at least 1"));
        }
        if let Some(d) = &self.dsa {
            d.validate()?;
        }
        if self.loss == (MatchLoss::OutlierExposure { num_classes: 0 }) {
            return Err(DistillError::invalid(
                "loss num_classes (outlier exposure)",
                0,
                "at least 1 in-distribution class",
            ));
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
            _ => Err(DistillError::invalid(
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
///
/// Correct second-order gradients need [`second_order::run`].
///
/// # Errors
/// Network errors; [`DistillError::NoGradient`] if a parameter gets no gradient.
pub fn matching_loss(
    net: &Network,
    params: &[Tensor],
    real: &Tensor,
    syn: &Tensor,
    class: usize,
) -> Result<Tensor> {
    let ce = |logits: &Tensor| -> Result<Tensor> {
        let labels = class_labels(class, logits.dim(0)?, logits.device())?;
        Ok(Targets::Hard(labels).loss(logits)?)
    };
    match_gradients(net, params, real, syn, &ce)
}

/// `D(∇θ L_OE(f(real)), ∇θ L_OE(f(syn)))`: [`matching_loss`] with the outlier-exposure loss
/// (cross-entropy to the uniform distribution over the network's outputs) on both sides.
///
/// # Errors
/// As [`matching_loss`].
pub fn outlier_matching_loss(
    net: &Network,
    params: &[Tensor],
    real: &Tensor,
    syn: &Tensor,
) -> Result<Tensor> {
    match_gradients(net, params, real, syn, &uniform_cross_entropy)
}

/// Mean cross-entropy of `logits` (`N×K`) to the uniform distribution: L_OE.
fn uniform_cross_entropy(logits: &Tensor) -> Result<Tensor> {
    let (n, k) = logits.dims2()?;
    let uniform =
        Tensor::full(1.0 / k as f64, (n, k), logits.device())?.to_dtype(logits.dtype())?;
    Ok(soft_cross_entropy(logits, &uniform)?)
}

/// The gradient distance between `∇θ loss(f(real))` (detached) and `∇θ loss(f(syn))`.
fn match_gradients(
    net: &Network,
    params: &[Tensor],
    real: &Tensor,
    syn: &Tensor,
    loss_of: &dyn Fn(&Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let grads_of = |x: &Tensor| -> Result<Vec<Tensor>> {
        let loss = loss_of(&net.forward_with(params, x, true)?)?;
        let store = loss.backward()?;
        params
            .iter()
            .map(|p| {
                store
                    .get(p)
                    .cloned()
                    .ok_or_else(|| DistillError::NoGradient {
                        objective: "gradient matching".into(),
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

/// The DC/DSA objective.
#[derive(Debug, Clone)]
pub struct GradientMatching {
    config: GradientMatchingConfig,
    optimizer: MomentumSgd,
}

impl GradientMatching {
    /// Validates `config`.
    ///
    /// # Errors
    /// As [`GradientMatchingConfig::validate`].
    pub fn new(config: GradientMatchingConfig) -> Result<Self> {
        config.validate()?;
        let optimizer = MomentumSgd::new(config.lr_img, config.momentum);
        Ok(Self { config, optimizer })
    }

    fn step_impl(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<StepReport> {
        let labels = hard_labels(syn, self.label())?.to_vec();
        let (outer, inner) = self.config.loops(syn.ipc)?;
        let shape = ctx.real.image_shape();
        let device = ctx.real.device();
        let dsa = match &self.config.dsa {
            Some(c) => Some(Dsa::new(c.clone(), shape)?),
            None => None,
        };
        let dtype = syn.images.dtype();
        let net_classes = match self.config.loss {
            MatchLoss::CrossEntropy => syn.num_classes,
            MatchLoss::OutlierExposure { num_classes } => num_classes,
        };
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
        };
        let mut loss_sum = 0.0;
        for outer_step in 0..outer {
            // Real batches and transforms are drawn here, in a fixed order, so the worker thread
            // consumes no randomness.
            let mut batches = Vec::with_capacity(syn.num_classes);
            for c in 0..syn.num_classes {
                let real = ctx
                    .real
                    .sample(c, self.config.real_batch, rng)?
                    .to_dtype(dtype)?;
                let transform = dsa.as_ref().map(|d| d.sample_siamese(rng));
                batches.push((real, transform));
            }
            let (loss, grad) = second_order::run(|| {
                let params = net.params();
                let mut total = Tensor::zeros((), dtype, device)?;
                for (c, (real, transform)) in batches.iter().enumerate() {
                    let s = syn.class_images(c)?;
                    let (r, s) = match transform {
                        Some(t) => (t.apply(real)?, t.apply(&s)?),
                        None => (real.clone(), s),
                    };
                    let term = match self.config.loss {
                        MatchLoss::CrossEntropy => matching_loss(&net, &params, &r, &s, c)?,
                        MatchLoss::OutlierExposure { .. } => {
                            outlier_matching_loss(&net, &params, &r, &s)?
                        }
                    };
                    total = (total + term)?;
                }
                let value = total.to_dtype(DType::F64)?.to_scalar::<f64>()?;
                Ok((value, image_gradient(&total, syn, self.label())?))
            })?;
            check_finite(loss, self.label(), ctx.iteration)?;
            loss_sum += loss;
            self.optimizer.step(&syn.images, &grad)?;
            // The reference code skips the network update after the last outer step.
            if outer_step + 1 < outer && inner > 0 {
                let targets = match self.config.loss {
                    MatchLoss::CrossEntropy => Targets::hard(&labels, device)?,
                    // Minimising L_OE on the outlier set is CE to uniform targets.
                    MatchLoss::OutlierExposure { num_classes } => Targets::Soft(Tensor::full(
                        1.0 / num_classes as f32,
                        (labels.len(), num_classes),
                        device,
                    )?),
                };
                let source = TensorSource::new(&syn.images.as_tensor().detach(), targets)?;
                train(&mut net, &source, &inner_config, rng, device, &Silent)?;
            }
        }
        Ok(StepReport {
            loss: loss_sum / outer as f64,
        })
    }

    fn label(&self) -> &'static str {
        match (self.config.dsa.is_some(), self.config.loss) {
            (true, MatchLoss::CrossEntropy) => "dsa",
            (false, MatchLoss::CrossEntropy) => "dc",
            (true, MatchLoss::OutlierExposure { .. }) => "dsa-oe",
            (false, MatchLoss::OutlierExposure { .. }) => "dc-oe",
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
        Ok(self.step_impl(syn, ctx, rng)?)
    }
}

impl Objective for GradientMatching {
    fn state(&self) -> Vec<(String, Tensor)> {
        self.optimizer
            .buffer()
            .map(|b| vec![("image_momentum".to_string(), b.clone())])
            .unwrap_or_default()
    }
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let buf = take_buffer(state, "image_momentum", &["image_momentum"], self.label())?;
        self.optimizer.set_buffer(buf);
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
            |x: &Tensor| -> Result<Tensor> { outlier_matching_loss(&net, &net.params(), &real, x) };
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
    fn match_loss_defaults_to_cross_entropy_and_parses() -> anyhow::Result<()> {
        let c: GradientMatchingConfig = serde_json::from_str("{}")?;
        assert_eq!(c.loss, MatchLoss::CrossEntropy);
        let c: GradientMatchingConfig =
            serde_json::from_str(r#"{"loss": {"kind": "outlier_exposure", "num_classes": 10}}"#)?;
        assert_eq!(c.loss, MatchLoss::OutlierExposure { num_classes: 10 });
        let zero = GradientMatchingConfig {
            loss: MatchLoss::OutlierExposure { num_classes: 0 },
            ..GradientMatchingConfig::default()
        };
        assert!(zero
            .validate()
            .unwrap_err()
            .to_string()
            .contains("num_classes"));
        Ok(())
    }
}
