//! Class maps for asymmetric noise: user pairs `a:b` and the standard per-dataset maps.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use trustdd_core::CIFAR100_FINE_TO_COARSE;
use trustdd_core::{Error, Result};

/// A partial map from a class to the class it flips to, as `source:target` pairs.
///
/// Classes without a pair never change. Written and parsed as `0:6,6:0,2:4` (commas, spaces or
/// newlines between pairs); serialises as that string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClassMap {
    pairs: Vec<(u32, u32)>,
}

impl ClassMap {
    /// A map from explicit pairs.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a source class appears twice.
    pub fn new(pairs: Vec<(u32, u32)>) -> Result<Self> {
        for (k, &(a, _)) in pairs.iter().enumerate() {
            if pairs[..k].iter().any(|&(b, _)| a == b) {
                return Err(Error::invalid(
                    "noise class map",
                    Self::render(&pairs),
                    format!("each source class once (class {a} is mapped twice)"),
                ));
            }
        }
        Ok(Self { pairs })
    }

    /// Parses `a:b` pairs separated by commas, whitespace or newlines.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the malformed pair.
    pub fn parse(text: &str) -> Result<Self> {
        let mut pairs = Vec::new();
        for item in text.split(|c: char| c == ',' || c.is_whitespace()) {
            if item.is_empty() {
                continue;
            }
            let pair = item.split_once(':').and_then(|(a, b)| {
                Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?))
            });
            match pair {
                Some(p) => pairs.push(p),
                None => {
                    return Err(Error::invalid(
                        "noise class map pair",
                        item,
                        "<source class>:<target class>, both non-negative integers",
                    ))
                }
            }
        }
        if pairs.is_empty() {
            return Err(Error::invalid(
                "noise class map",
                format!("{text:?}"),
                "at least one <source>:<target> pair",
            ));
        }
        Self::new(pairs)
    }

    /// Reads a map file holding pairs in the [`Self::parse`] syntax.
    ///
    /// # Errors
    /// [`Error::Io`] when unreadable, [`Error::Format`] naming the file when malformed.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text).map_err(|e| Error::format(path, "noise class map", e.to_string()))
    }

    /// The pairs in their given order.
    pub fn pairs(&self) -> &[(u32, u32)] {
        &self.pairs
    }

    /// `lookup[c]` = the class `c` flips to, or `None` when `c` never flips.
    ///
    /// # Errors
    /// [`Error::LabelOutOfRange`] for a class ≥ `num_classes`, with `context` in the message.
    pub fn lookup(&self, num_classes: usize, context: &str) -> Result<Vec<Option<u32>>> {
        let mut table = vec![None; num_classes];
        for &(a, b) in &self.pairs {
            for class in [a, b] {
                if class as usize >= num_classes {
                    return Err(Error::LabelOutOfRange {
                        context: format!("{context} pair {a}:{b}"),
                        label: class as u64,
                        num_classes,
                    });
                }
            }
            table[a as usize] = Some(b);
        }
        Ok(table)
    }

    fn render(pairs: &[(u32, u32)]) -> String {
        let items: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}:{b}")).collect();
        items.join(",")
    }
}

impl fmt::Display for ClassMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Self::render(&self.pairs))
    }
}

impl TryFrom<String> for ClassMap {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<ClassMap> for String {
    fn from(m: ClassMap) -> String {
        m.to_string()
    }
}

/// The standard asymmetric maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KnownMap {
    /// CIFAR-10 (Patrini et al. 2017): truck→automobile, bird→airplane, deer→horse, cat↔dog.
    Cifar10,
    /// CIFAR-100: each fine class → the next fine class (by label) of its superclass, cyclically.
    Cifar100,
    /// MNIST (Patrini et al. 2017): 2→7, 3→8, 5↔6, 7→1.
    Mnist,
    /// Fashion-MNIST (chosen here, see `docs/noise.md`): T-shirt↔Shirt, Pullover→Coat,
    /// Sandal→Sneaker, Sneaker→Ankle boot.
    FashionMnist,
    /// `c → c + 1 mod C`, for any class count.
    NextClass,
}

impl KnownMap {
    /// The map for a dataset name as the loaders set it (`cifar10`, `cifar100`, `mnist`,
    /// `fashion-mnist`); any other name gets [`KnownMap::NextClass`].
    pub fn for_dataset(name: &str) -> Self {
        match name {
            "cifar10" => Self::Cifar10,
            "cifar100" => Self::Cifar100,
            "mnist" | "embedded" => Self::Mnist,
            "fashion-mnist" => Self::FashionMnist,
            _ => Self::NextClass,
        }
    }

    /// The map's short name as the spec grammar writes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Cifar10 => "cifar10",
            Self::Cifar100 => "cifar100",
            Self::Mnist => "mnist",
            Self::FashionMnist => "fashion-mnist",
            Self::NextClass => "next",
        }
    }

    /// The pairs of the map for `num_classes` classes.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a dataset map meets a class count other than its
    /// dataset's (10, or 100 for CIFAR-100), or `NextClass` meets fewer than 2 classes.
    pub fn class_map(&self, num_classes: usize) -> Result<ClassMap> {
        let expected = match self {
            Self::Cifar100 => 100,
            Self::NextClass => num_classes.max(2),
            _ => 10,
        };
        if num_classes != expected {
            return Err(Error::invalid(
                format!("asym map {}: number of classes", self.as_str()),
                num_classes,
                format!("{expected}"),
            ));
        }
        let pairs = match self {
            Self::Cifar10 => vec![(9, 1), (2, 0), (4, 7), (3, 5), (5, 3)],
            Self::Mnist => vec![(2, 7), (3, 8), (5, 6), (6, 5), (7, 1)],
            Self::FashionMnist => vec![(0, 6), (6, 0), (2, 4), (5, 7), (7, 9)],
            Self::Cifar100 => cifar100_pairs(),
            Self::NextClass => {
                let c = num_classes as u32;
                (0..c).map(|k| (k, (k + 1) % c)).collect()
            }
        };
        ClassMap::new(pairs)
    }
}

/// Each fine class to the next fine class (in label order) of the same superclass, wrapping.
fn cifar100_pairs() -> Vec<(u32, u32)> {
    let mut pairs = Vec::with_capacity(100);
    for fine in 0..100u32 {
        let coarse = CIFAR100_FINE_TO_COARSE[fine as usize];
        let members: Vec<u32> = (0..100u32)
            .filter(|&f| CIFAR100_FINE_TO_COARSE[f as usize] == coarse)
            .collect();
        let at = members.iter().position(|&f| f == fine).unwrap_or(0);
        pairs.push((fine, members[(at + 1) % members.len()]));
    }
    pairs
}
