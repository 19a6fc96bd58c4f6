//! [`JointOutliers`]: the run's objective distilling S and TrustDD's outlier set S_o in one loop,
//! on the same networks, as the official `main_poe.py` does.

use candle_core::Tensor;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use trustdd_core::{
    DistillContext, DistillObjective, Error, Result, StepReport, SyntheticSet, TrustRng,
};
use trustdd_distill::{take_buffer, Companion, Dm, GradientMatching};

/// The objectives that can carry a companion set.
pub enum JointInner {
    /// Distribution matching: one network per iteration embeds both sets.
    Dm(Dm),
    /// Gradient matching: one network per iteration, both sets matched every outer step, the
    /// network trained on `CE(S) + λ·L_OE(S_o)` between outer steps.
    GradientMatching(GradientMatching),
}

/// S's objective with S_o as its [`Companion`]. The companion is shared (`Arc<Mutex<_>>`) so that
/// the pipeline reads S_o back after the driver, whatever wraps this objective (a partitioner's
/// diversion hands S the trusted data; S_o keeps its own sampler).
pub struct JointOutliers {
    inner: JointInner,
    companion: Arc<Mutex<Companion>>,
    losses: Arc<Mutex<Vec<f64>>>,
}

const IMAGES: &str = "companion.images";
const MOMENTUM: &str = "companion.image_momentum";

impl JointOutliers {
    /// `inner` with `companion`; the companion's loss of every iteration is appended to
    /// `losses`.
    pub fn new(
        inner: JointInner,
        companion: Arc<Mutex<Companion>>,
        losses: Arc<Mutex<Vec<f64>>>,
    ) -> Self {
        Self {
            inner,
            companion,
            losses,
        }
    }
}

impl DistillObjective for JointOutliers {
    fn name(&self) -> String {
        let inner = match &self.inner {
            JointInner::Dm(o) => o.name(),
            JointInner::GradientMatching(o) => o.name(),
        };
        format!("{inner}+outliers")
    }

    fn step(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<StepReport> {
        let mut companion = self
            .companion
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (report, loss) = match &mut self.inner {
            JointInner::Dm(o) => o.step_joint(syn, Some(&mut companion), ctx, rng)?,
            JointInner::GradientMatching(o) => o.step_joint(syn, Some(&mut companion), ctx, rng)?,
        };
        if let Some(loss) = loss {
            self.losses
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(loss);
        }
        Ok(report)
    }

    /// The inner objective's state, S_o's images and its optimiser's momentum.
    fn state(&self) -> Vec<(String, Tensor)> {
        let companion = self
            .companion
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut state = match &self.inner {
            JointInner::Dm(o) => o.state(),
            JointInner::GradientMatching(o) => o.state(),
        };
        state.push((IMAGES.into(), companion.set.images.as_tensor().clone()));
        state.extend(companion.optimizer.named_buffer(MOMENTUM));
        state
    }

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let (mut inner, mut own) = (HashMap::new(), HashMap::new());
        for (k, t) in state {
            let part = if k.starts_with("companion.") {
                &mut own
            } else {
                &mut inner
            };
            part.insert(k.clone(), t.clone());
        }
        match &mut self.inner {
            JointInner::Dm(o) => o.load_state(&inner)?,
            JointInner::GradientMatching(o) => o.load_state(&inner)?,
        }
        let mut companion = self
            .companion
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let images = own.get(IMAGES).ok_or_else(|| {
            Error::format(
                "joint outliers",
                "objective state",
                "missing companion images",
            )
        })?;
        if images.dims() != companion.set.images.dims() {
            return Err(Error::shape(
                "saved companion images",
                format!("{:?}", companion.set.images.dims()),
                format!("{:?}", images.dims()),
            ));
        }
        companion
            .set
            .images
            .set(&images.to_device(companion.set.images.device())?)?;
        let buffer = take_buffer(&own, MOMENTUM, &[IMAGES, MOMENTUM], "joint outliers")?;
        companion.optimizer.set_buffer(buffer);
        Ok(())
    }
}
