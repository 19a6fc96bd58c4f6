//! OOD sets named in a [`RunConfig`](crate::RunConfig), built beside the test split.

use crate::data::load_dataset;
use candle_core::Device;
use std::path::Path;
use trustdd_core::{Error, ImageDataset, Result, TrustRng};
use trustdd_data::{embedded_mnist, load_idx_pair, DatasetName, Split};
use trustdd_ood::{GeneratorList, OodSet};

const EXPECTED: &str = "gaussian, rademacher, blobs, uniform, corrupt:<generators>, digits, \
                        mnist-10k or a dataset name";

/// The OOD sets used when none are named: the benchmark's noise sets (Gaussian, Rademacher,
/// blobs), uniform noise and a corruption that pseudo-outlier exposure does not train on
/// (`mix`), plus the MNIST digits for the other 28×28 grey datasets.
pub fn default_ood_sets(dataset: &str) -> Vec<String> {
    let mut sets = Vec::new();
    if ["fashion-mnist", "kmnist"].contains(&dataset) {
        sets.push("digits".to_string());
    }
    sets.extend(["gaussian", "rademacher", "blobs", "uniform", "corrupt:mix"].map(String::from));
    sets
}

/// Where a named OOD set comes from.
enum OodSource {
    /// `gaussian`, `rademacher`, `blobs`, `uniform` or `corrupt:<generators>`, made beside the
    /// test split.
    Builtin,
    /// The embedded MNIST test digits.
    Digits,
    /// The shared folder's 10,000 MNIST digits (one IDX pair, no split).
    Mnist10k,
    /// A dataset's test split.
    Dataset(DatasetName),
}

/// Reads an OOD set name (trimmed) without loading anything.
fn ood_source(name: &str) -> Result<OodSource> {
    let invalid = |e: Error| Error::invalid("OOD set", format!("{name:?} ({e})"), EXPECTED);
    Ok(match name {
        "gaussian" | "rademacher" | "blobs" | "uniform" => OodSource::Builtin,
        "digits" => OodSource::Digits,
        "mnist-10k" => OodSource::Mnist10k,
        _ => match name.strip_prefix("corrupt:") {
            Some(generators) => {
                GeneratorList::parse(generators).map_err(invalid)?;
                OodSource::Builtin
            }
            None => OodSource::Dataset(DatasetName::parse(name).map_err(invalid)?),
        },
    })
}

/// Checks every name (an empty list means the defaults) without loading anything, so a typo
/// fails before a long run.
///
/// # Errors
/// An invalid-parameter error naming the first unknown set.
pub fn check_ood_sets(names: &[String]) -> Result<()> {
    names
        .iter()
        .try_for_each(|n| ood_source(n.trim()).map(|_| ()))
}

/// Builds the OOD sets named in `names`: `gaussian`, `rademacher`, `blobs`, `uniform`,
/// `corrupt:<generators>`, `digits` (the embedded MNIST test digits), `mnist-10k` (the shared
/// folder's 10,000 digits), or any dataset name (its test split, from `data_dir`, resized to the
/// ID shape as the benchmark does), each preprocessed like `test`.
/// Set `k` draws from `TrustRng::for_item(seed, first_stream + k)`, so adding a set does not
/// change the others.
///
/// # Errors
/// An invalid-parameter error for an empty list or an unknown name; loader errors.
pub fn build_ood_sets(
    names: &[String],
    test: &ImageDataset,
    data_dir: Option<&Path>,
    seed: u64,
    first_stream: u64,
    device: &Device,
) -> Result<Vec<OodSet>> {
    if names.is_empty() {
        return Err(Error::invalid("ood_sets", "[]", "at least one OOD set"));
    }
    names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let name = name.trim();
            let mut rng = TrustRng::for_item(seed, first_stream + k as u64);
            let other = match ood_source(name)? {
                OodSource::Builtin => {
                    return OodSet::builtin(name, test, &mut rng, device)?
                        .ok_or_else(|| Error::invalid("OOD set", format!("{name:?}"), EXPECTED));
                }
                OodSource::Digits => embedded_mnist()?.1.with_name("digits"),
                OodSource::Mnist10k => {
                    let dir = data_dir
                        .ok_or_else(|| {
                            Error::invalid(
                                "OOD set mnist-10k data folder",
                                "unset",
                                "a folder holding mnist-10k/: set data_dir or TRUSTDD_DATA",
                            )
                        })?
                        .join("mnist-10k");
                    let classes = (0..10).map(|d| d.to_string()).collect();
                    load_idx_pair(
                        &dir.join("images-idx3-ubyte.gz"),
                        &dir.join("labels-idx1-ubyte.gz"),
                        classes,
                    )?
                    .with_name("mnist-10k")
                }
                OodSource::Dataset(dataset) => {
                    load_dataset(&dataset, data_dir, Split::Test, "OOD set")?
                }
            };
            OodSet::from_dataset(&other, test.shape(), test.preprocess(), device)
        })
        .collect()
}
