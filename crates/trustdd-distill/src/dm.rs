//! DM: distribution matching (ALGORITHMS.md §3.1), first-order.

use crate::class_batches::{check_finite, hard_labels, image_gradient, siamese};
use crate::take_buffer;
use crate::{Companion, MomentumSgd, Result};
use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use trustdd_core::{
    DistillContext, DistillObjective, RealSampler, StepReport, SyntheticSet, TrustRng,
};
use trustdd_nn::{ArchConfig, Network};
use trustdd_train::dsa::{Dsa, DsaConfig};

/// DM settings; `Default` holds the paper's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DmConfig {
    /// The randomly initialised embedding network (default ConvNet-3, width 128).
    pub arch: ArchConfig,
    /// Real images per class per iteration (default 256).
    pub real_batch: usize,
    /// Image learning rate (default 1.0).
    pub lr_img: f64,
    /// Image SGD momentum (default 0.5).
    pub momentum: f64,
    /// Siamese DSA applied to each class's real and synthetic batch (default: the default
    /// strategy; use [`DsaConfig::digits`] for digits); `None` disables it.
    pub dsa: Option<DsaConfig>,
}

impl Default for DmConfig {
    fn default() -> Self {
        Self {
            arch: ArchConfig::default(),
            real_batch: 256,
            lr_img: 1.0,
            momentum: 0.5,
            dsa: Some(DsaConfig::default()),
        }
    }
}

impl DmConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check_common(self.real_batch, self.lr_img, self.momentum, "dm")?;
        if let Some(d) = &self.dsa {
            d.validate()?;
        }
        Ok(())
    }
}

/// Shared checks of the image optimiser and real batch.
pub(crate) fn check_common(
    real_batch: usize,
    lr_img: f64,
    momentum: f64,
    what: &str,
) -> Result<()> {
    if real_batch == 0 {
        return Err(trustdd_core::Error::invalid(
            format!("{what} real_batch"),
            0,
            "at least 1",
        ));
    }
    if !(lr_img.is_finite() && lr_img > 0.0) {
        return Err(trustdd_core::Error::invalid(
            format!("{what} lr_img"),
            lr_img,
            "a positive number",
        ));
    }
    if !(0.0..1.0).contains(&momentum) {
        return Err(trustdd_core::Error::invalid(
            format!("{what} momentum"),
            momentum,
            "a number in [0, 1)",
        ));
    }
    Ok(())
}

/// `Σ_c ‖mean h(real_c) − mean h(syn_c)‖²` over the given (already augmented) class pairs, with
/// the embedding `h` of `net` under `params` (train mode). Differentiable in the synthetic
/// batches; pass detached `params` so no parameter gradient is computed.
///
/// # Errors
/// Network errors (shape mismatch); candle errors.
pub fn dm_loss(net: &Network, params: &[Tensor], pairs: &[(Tensor, Tensor)]) -> Result<Tensor> {
    let mut total: Option<Tensor> = None;
    for (real, syn) in pairs {
        let mean_real = net.embed_with(params, real, true)?.mean(0)?.detach();
        let mean_syn = net.embed_with(params, syn, true)?.mean(0)?;
        let term = (mean_real - mean_syn)?.sqr()?.sum_all()?;
        total = Some(match total {
            Some(t) => (t + term)?,
            None => term,
        });
    }
    total.ok_or_else(|| trustdd_core::Error::invalid("dm_loss pairs", "[]", "at least one class"))
}

/// The DM objective: a fresh frozen network each iteration, one image SGD step.
#[derive(Debug, Clone)]
pub struct Dm {
    config: DmConfig,
    optimizer: MomentumSgd,
}

impl Dm {
    /// Validates `config`.
    ///
    /// # Errors
    /// As [`DmConfig::validate`].
    pub fn new(config: DmConfig) -> Result<Self> {
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
        self.step_joint(syn, None, ctx, rng)
            .map(|(report, _)| report)
    }

    /// One iteration on `syn` and, when given, on a [`Companion`] with the SAME network: DM
    /// matches the companion's class `c` against its real class `c` after the first set, and
    /// updates it with its own optimiser. Returns the step report and the companion's loss.
    ///
    /// # Errors
    /// As the plain step; the companion's sampler errors.
    pub fn step_joint(
        &mut self,
        syn: &mut SyntheticSet,
        companion: Option<&mut Companion>,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<(StepReport, Option<f64>)> {
        hard_labels(syn, "dm")?;
        let shape = ctx.real.image_shape();
        let dsa = match &self.config.dsa {
            Some(c) => Some(Dsa::new(c.clone(), shape)?),
            None => None,
        };
        let dtype: DType = syn.images.dtype();
        let net = Network::new(
            &self.config.arch,
            shape,
            syn.num_classes,
            dtype,
            ctx.real.device(),
            &mut rng.fork(),
        )?;
        let params = net.detached_params();
        let match_set = |set: &SyntheticSet,
                         real: &dyn RealSampler,
                         what: &str,
                         rng: &mut TrustRng|
         -> Result<(f64, Tensor)> {
            let mut pairs = Vec::with_capacity(set.num_classes);
            for c in 0..set.num_classes {
                let r = real
                    .sample(c, self.config.real_batch, rng)?
                    .to_dtype(dtype)?;
                pairs.push(siamese(&r, &set.class_images(c)?, dsa.as_ref(), rng)?);
            }
            let loss = dm_loss(&net, &params, &pairs)?;
            let value = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
            check_finite(value, what, ctx.iteration)?;
            Ok((value, image_gradient(&loss, set, what)?))
        };
        let (value, grad) = match_set(syn, ctx.real, "dm", rng)?;
        self.optimizer.step(&syn.images, &grad)?;
        let companion_loss = match companion {
            Some(comp) => {
                let (v, g) = match_set(&comp.set, comp.real.as_ref(), "dm companion", rng)?;
                comp.optimizer.step(&comp.set.images, &g)?;
                Some(v)
            }
            None => None,
        };
        Ok((
            StepReport {
                loss: value,
                eval_lr: None,
            },
            companion_loss,
        ))
    }
}

impl DistillObjective for Dm {
    fn name(&self) -> String {
        "dm".into()
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
            .set_buffer(take_buffer(state, known[0], &known, "dm")?);
        Ok(())
    }
}
