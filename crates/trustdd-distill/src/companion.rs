//! [`Companion`]: a second synthetic set distilled in the same loop as the first.

use crate::{MatchTargets, MomentumSgd};
use std::sync::Arc;
use trustdd_core::{RealSampler, SyntheticSet};

/// A second set distilled beside the first on the same network draws (TrustDD's outlier set
/// S_o): its class `c` is matched against class `c` of `real` with `targets`, its images are
/// updated by their own optimiser after the first set's, and gradient matching's inner network
/// training minimises `weight ×` its loss beside the first set's
/// ([`trustdd_train::MixedSource`]).
pub struct Companion {
    /// The set (class-major, `set.num_classes` classes of `set.ipc` images).
    pub set: SyntheticSet,
    /// Its real data: class `c` is what set class `c` is matched against.
    pub real: Arc<dyn RealSampler>,
    /// The matched loss's targets (uniform over the network's outputs for outliers).
    pub targets: MatchTargets,
    /// Its image optimiser.
    pub optimizer: MomentumSgd,
    /// Its loss's weight in the inner network training (λ).
    pub weight: f64,
}

impl std::fmt::Debug for Companion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Companion")
            .field("classes", &self.set.num_classes)
            .field("ipc", &self.set.ipc)
            .field("targets", &self.targets)
            .field("weight", &self.weight)
            .finish()
    }
}
