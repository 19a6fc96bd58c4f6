//! Symmetric noise: a flipped label moves to a uniformly chosen other class.

use crate::per_sample::map_labels;
use crate::rate::check_rate;
use trustdd_core::{Error, NoiseContext, NoiseModel, Result};

/// With probability `rate` a label moves to one of the other `C − 1` classes, uniformly; it never
/// stays on its true class when flipped, so the realised rate is `rate` itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Symmetric {
    rate: f64,
}

impl Symmetric {
    /// A symmetric model with flip probability `rate`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `rate` is outside [0, 1).
    pub fn new(rate: f64) -> Result<Self> {
        Ok(Self {
            rate: check_rate("sym", rate)?,
        })
    }

    /// The flip probability.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

impl NoiseModel for Symmetric {
    fn name(&self) -> String {
        format!("sym({})", self.rate)
    }

    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than two classes with a positive rate.
    fn corrupt(&self, ctx: &NoiseContext<'_>) -> Result<Vec<u32>> {
        let c = ctx.num_classes;
        if c < 2 && self.rate > 0.0 {
            return Err(Error::invalid(
                "sym noise: number of classes",
                c,
                "at least 2 (a flip needs another class)",
            ));
        }
        map_labels(ctx, |_, y, rng| {
            if !rng.bernoulli(self.rate) {
                return Ok(y);
            }
            // Draw among the C − 1 other classes by skipping over the true one.
            let other = rng.below(c as u64 - 1) as u32;
            Ok(if other >= y { other + 1 } else { other })
        })
    }
}
