//! [`GeneratorList`]: several generators applied round-robin, and its spec-string parser.

use super::{Invert, Jigsaw, Mix, Pixelate, QuadrantJigsaw, Speckle};
use crate::{OodError, Result};
use candle_core::Tensor;
use std::sync::Arc;
use trustdd_core::{OutlierGenerator, TrustRng};

/// The default pseudo-outlier corruptions of ALGORITHMS.md §7, in slot order.
pub const POE_SPEC: &str = "jigsaw,invert,pixelate,speckle";

/// A composition of generators: image (or outlier slot) `k` uses generator `k mod len`.
///
/// Itself an [`OutlierGenerator`], so it can stand wherever one generator can.
#[derive(Clone)]
pub struct GeneratorList {
    generators: Vec<Arc<dyn OutlierGenerator>>,
}

impl std::fmt::Debug for GeneratorList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("GeneratorList").field(&self.name()).finish()
    }
}

impl GeneratorList {
    /// A list of `generators` (at least one).
    ///
    /// # Errors
    /// [`trustdd_core::Error::Empty`] for an empty list.
    pub fn new(generators: Vec<Arc<dyn OutlierGenerator>>) -> Result<Self> {
        if generators.is_empty() {
            return Err(trustdd_core::Error::empty("outlier generator list"));
        }
        Ok(Self { generators })
    }

    /// The official four, in the official order: the quadrant jigsaw, invert, pixelate (0.2),
    /// speckle (σ = 1).
    pub fn poe() -> Self {
        Self {
            generators: vec![
                Arc::new(QuadrantJigsaw),
                Arc::new(Invert),
                Arc::new(Pixelate::default()),
                Arc::new(Speckle::default()),
            ],
        }
    }

    /// Parses a comma-separated spec. `poe` is [`POE_SPEC`]; items are `jigsaw` (the official
    /// [`QuadrantJigsaw`]), `jigsaw:grid` (a fixed derangement of `grid×grid` blocks),
    /// `jigsaw-random[:grid]`, `invert`, `pixelate[:factor]`,
    /// `speckle[:sigma]`, `mix[:alpha]`, with the defaults of each type when the value is
    /// omitted. Example: `jigsaw:4,pixelate:0.25`. Parameters are validated here.
    ///
    /// # Errors
    /// [`OodError::Spec`] naming the first item that is unknown, malformed or out of range;
    /// [`trustdd_core::Error::Empty`] for an empty spec.
    pub fn parse(spec: &str) -> Result<Self> {
        let spec = spec.trim();
        let spec = if spec == "poe" { POE_SPEC } else { spec };
        let generators = spec
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_item)
            .collect::<Result<Vec<_>>>()?;
        Self::new(generators)
    }

    /// Number of generators.
    pub fn len(&self) -> usize {
        self.generators.len()
    }

    /// Always `false` (a list holds at least one generator).
    pub fn is_empty(&self) -> bool {
        self.generators.is_empty()
    }

    /// Generator `k mod len`.
    pub fn get(&self, k: usize) -> &Arc<dyn OutlierGenerator> {
        &self.generators[k % self.generators.len()]
    }

    /// The generators' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.generators.iter().map(|g| g.name()).collect()
    }
}

fn parse_item(item: &str) -> Result<Arc<dyn OutlierGenerator>> {
    let (name, value) = match item.split_once(':') {
        Some((n, v)) => (n.trim(), Some(v.trim())),
        None => (item, None),
    };
    let bad = |expected: &str| -> trustdd_core::Error {
        OodError::Spec {
            item: item.to_string(),
            expected: expected.to_string(),
        }
        .into()
    };
    let float = |default: f64, ok: fn(f64) -> bool, expected: &str| -> Result<f64> {
        let v = match value {
            None => default,
            Some(v) => v.parse::<f64>().map_err(|_| bad(expected))?,
        };
        if ok(v) {
            Ok(v)
        } else {
            Err(bad(expected))
        }
    };
    let grid = || -> Result<usize> {
        match value {
            None => Ok(Jigsaw::default().grid),
            Some(v) => match v.parse::<usize>() {
                Ok(g) if g >= 2 => Ok(g),
                _ => Err(bad("a jigsaw grid: an integer ≥ 2")),
            },
        }
    };
    Ok(match name {
        "jigsaw" if value.is_none() => Arc::new(QuadrantJigsaw),
        "jigsaw" | "jigsaw-random" => Arc::new(Jigsaw {
            grid: grid()?,
            random_permutation: name == "jigsaw-random",
        }),
        "invert" if value.is_none() => Arc::new(Invert),
        "invert" => return Err(bad("invert takes no parameter")),
        "pixelate" => Arc::new(Pixelate {
            factor: float(0.2, |f| f > 0.0 && f <= 1.0, "a pixelate factor in (0, 1]")?,
        }),
        "speckle" => Arc::new(Speckle {
            sigma: float(1.0, |s| s.is_finite() && s >= 0.0, "a speckle sigma ≥ 0")?,
        }),
        "mix" => Arc::new(Mix {
            alpha: float(0.5, |a| (0.0..=1.0).contains(&a), "a mix alpha in [0, 1]")?,
        }),
        _ => return Err(bad(
            "one of poe, jigsaw, jigsaw:grid, jigsaw-random[:grid], invert, pixelate[:factor], \
                 speckle[:sigma], mix[:alpha]",
        )),
    })
}

impl OutlierGenerator for GeneratorList {
    fn name(&self) -> String {
        self.names().join(",")
    }

    /// Image `k` of the batch is corrupted by generator `k mod len`; each generator sees its
    /// images as one batch (in order), drawing from `rng` in generator order.
    fn generate(&self, images: &Tensor, rng: &mut TrustRng) -> trustdd_core::Result<Tensor> {
        let n = images.dims4()?.0;
        let g = self.generators.len();
        if g == 1 {
            return self.generators[0].generate(images, rng);
        }
        let mut out: Vec<Option<Tensor>> = vec![None; n];
        for (k, generator) in self.generators.iter().enumerate().take(n) {
            let ids: Vec<u32> = (k..n).step_by(g).map(|i| i as u32).collect();
            let index = Tensor::from_vec(ids.clone(), ids.len(), images.device())?;
            let corrupted = generator.generate(&images.index_select(&index, 0)?, rng)?;
            for (pos, &i) in ids.iter().enumerate() {
                out[i as usize] = Some(corrupted.narrow(0, pos, 1)?);
            }
        }
        let rows: Vec<Tensor> = out.into_iter().flatten().collect();
        Ok(Tensor::cat(&rows, 0)?)
    }
}
