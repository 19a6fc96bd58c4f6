//! The one-line model spec: `sym:0.4`, `asym:0.4`, `map:0.4:0:6,6:0`, `cifar10n:worse`, ...

use crate::cifar_n::CifarN;
use crate::class_map::{ClassMap, KnownMap};
use crate::config::{MapChoice, NoiseConfig};
use crate::rate::check_rate;
use std::path::PathBuf;
use trustdd_core::{Error, Result};

/// The accepted forms, for error messages and `--help`.
pub const SPEC_FORMS: &str = "none, sym:<rate>, asym:<rate>[:<map>], map:<rate>:<pairs>, \
map:<rate>:@<file>, pair:<rate>, idn:<rate>, cifar10n:{aggre,random1,random2,random3,worse}, \
cifar100n:noisy, file:<path>[:<tensor>] (map: cifar10, cifar100, mnist, fashion-mnist, next, \
<pairs> such as 0:6,6:0 or @<file>)";

impl NoiseConfig {
    /// Parses a one-line spec (see [`SPEC_FORMS`]); rates are checked here already.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the unknown model, the bad rate or the malformed map.
    pub fn parse(spec: &str) -> Result<Self> {
        let spec = spec.trim();
        let (head, rest) = spec.split_once(':').unwrap_or((spec, ""));
        let config = match head {
            "none" if rest.is_empty() => Self::None,
            "sym" | "symmetric" => Self::Symmetric {
                rate: rate("sym", rest)?,
            },
            "pair" | "pair-flip" => Self::PairFlip {
                rate: rate("pair", rest)?,
            },
            "idn" | "instance" => Self::InstanceDependent {
                rate: rate("idn", rest)?,
            },
            "asym" | "asymmetric" | "map" => {
                let (r, map) = rest.split_once(':').unwrap_or((rest, ""));
                let map = match map {
                    "" if head == "map" => {
                        return Err(Error::invalid(
                            "noise model map",
                            spec,
                            "map:<rate>:<pairs> or map:<rate>:@<file>",
                        ))
                    }
                    "" | "auto" => MapChoice::Auto,
                    _ => map_choice(map)?,
                };
                Self::Asymmetric {
                    rate: rate(head, r)?,
                    map,
                }
            }
            "cifar10n" | "cifar100n" => Self::CifarN {
                labels: CifarN::parse(head, rest)?,
                dir: None,
            },
            "file" if !rest.is_empty() => {
                let (path, tensor) = match rest.split_once(".safetensors:") {
                    Some((stem, t)) if !t.is_empty() => {
                        (format!("{stem}.safetensors"), Some(t.to_string()))
                    }
                    _ => (rest.to_string(), None),
                };
                Self::File {
                    path: PathBuf::from(path),
                    tensor,
                }
            }
            _ => return Err(Error::invalid("noise model", spec, SPEC_FORMS)),
        };
        Ok(config)
    }
}

fn rate(model: &str, text: &str) -> Result<f64> {
    let r = text.trim().parse::<f64>().map_err(|_| {
        Error::invalid(
            format!("{model} noise rate"),
            format!("{text:?}"),
            "a probability in [0, 1)",
        )
    })?;
    check_rate(model, r)
}

fn map_choice(text: &str) -> Result<MapChoice> {
    if let Some(file) = text.strip_prefix('@') {
        return Ok(MapChoice::File(PathBuf::from(file)));
    }
    let known = [
        KnownMap::Cifar10,
        KnownMap::Cifar100,
        KnownMap::Mnist,
        KnownMap::FashionMnist,
        KnownMap::NextClass,
    ];
    match known.into_iter().find(|k| k.as_str() == text) {
        Some(k) => Ok(MapChoice::Known(k)),
        None => Ok(MapChoice::Pairs(ClassMap::parse(text)?)),
    }
}
