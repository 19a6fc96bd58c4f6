//! Asymmetric (class-dependent) noise: a flipped label moves to its class's fixed partner.

use crate::class_map::{ClassMap, KnownMap};
use crate::per_sample::map_labels;
use crate::rate::check_rate;
use trustdd_core::{NoiseContext, NoiseModel, Result};

/// Which partner each class flips to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsymMap {
    /// Chosen at corruption time from the dataset's name ([`KnownMap::for_dataset`]); next-class
    /// when the context carries no dataset.
    Auto,
    /// A standard map.
    Known(KnownMap),
    /// User pairs.
    Pairs(ClassMap),
}

/// With probability `rate` a sample of a mapped class moves to the class's partner; classes the
/// map leaves out never change (so the overall realised rate is `rate` times the fraction of
/// samples in mapped classes, about `rate/2` on CIFAR-10).
///
/// Pair-flip noise (`c → c+1 mod C`) is this model with [`KnownMap::NextClass`]
/// ([`Asymmetric::pair_flip`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Asymmetric {
    rate: f64,
    map: AsymMap,
    kind: &'static str,
}

impl Asymmetric {
    /// An asymmetric model flipping with probability `rate` along `map`.
    ///
    /// # Errors
    /// [`trustdd_core::Error::InvalidParameter`] when `rate` is outside [0, 1).
    pub fn new(rate: f64, map: AsymMap) -> Result<Self> {
        let kind = if matches!(map, AsymMap::Pairs(_)) {
            "map"
        } else {
            "asym"
        };
        Ok(Self {
            rate: check_rate(kind, rate)?,
            map,
            kind,
        })
    }

    /// Pair-flip noise: `c → c + 1 mod C` with probability `rate`.
    ///
    /// # Errors
    /// [`trustdd_core::Error::InvalidParameter`] when `rate` is outside [0, 1).
    pub fn pair_flip(rate: f64) -> Result<Self> {
        Ok(Self {
            rate: check_rate("pair", rate)?,
            map: AsymMap::Known(KnownMap::NextClass),
            kind: "pair",
        })
    }

    /// The flip probability.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The map as configured (before [`AsymMap::Auto`] is resolved).
    pub fn map(&self) -> &AsymMap {
        &self.map
    }

    /// The concrete pairs this model uses for a context.
    ///
    /// # Errors
    /// [`trustdd_core::Error::InvalidParameter`] when a standard map meets the wrong class count,
    /// [`trustdd_core::Error::LabelOutOfRange`] when a pair names a class ≥ `C`.
    pub fn resolve(&self, ctx: &NoiseContext<'_>) -> Result<ClassMap> {
        match &self.map {
            AsymMap::Auto => {
                let name = ctx.dataset.map_or("", |d| d.name());
                KnownMap::for_dataset(name).class_map(ctx.num_classes)
            }
            AsymMap::Known(k) => k.class_map(ctx.num_classes),
            AsymMap::Pairs(m) => Ok(m.clone()),
        }
    }
}

impl NoiseModel for Asymmetric {
    fn name(&self) -> String {
        match (&self.map, self.kind) {
            (_, "pair") => format!("pair({})", self.rate),
            (AsymMap::Auto, _) => format!("asym({}, auto)", self.rate),
            (AsymMap::Known(k), _) => format!("asym({}, {})", self.rate, k.as_str()),
            (AsymMap::Pairs(m), _) => format!("map({}, {m})", self.rate),
        }
    }

    /// # Errors
    /// Those of [`Asymmetric::resolve`].
    fn corrupt(&self, ctx: &NoiseContext<'_>) -> Result<Vec<u32>> {
        let map = self.resolve(ctx)?;
        let partner = map.lookup(ctx.num_classes, &format!("{} class map", self.kind))?;
        map_labels(ctx, |_, y, rng| {
            // Draw for every sample, mapped or not, so a sample's fate does not depend on the map.
            let flip = rng.bernoulli(self.rate);
            Ok(match partner.get(y as usize).copied().flatten() {
                Some(target) if flip => target,
                _ => y,
            })
        })
    }
}
