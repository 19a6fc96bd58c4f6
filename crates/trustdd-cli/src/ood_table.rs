//! OOD sets named on the command line, and the OOD table `trustdd distill --outliers` and
//! `trustdd ood` print.

use crate::data_args::load_dataset;
use anyhow::{bail, Context, Result};
use candle_core::Device;
use std::io::Write;
use std::path::Path;
use trustdd_core::{ImageDataset, TrustRng};
use trustdd_data::{embedded_mnist, load_idx_pair, DatasetName, Split};
use trustdd_ood::{GeneratorList, OodReport, OodSet, ScoreKind};

/// The OOD sets used when none are named: noise images and a corruption that pseudo-outlier
/// exposure does not train on (`mix`), plus the MNIST digits for the other 28×28 grey datasets.
pub fn default_ood_sets(dataset: &str) -> Vec<String> {
    let mut sets = Vec::new();
    if ["fashion-mnist", "kmnist"].contains(&dataset) {
        sets.push("digits".to_string());
    }
    sets.extend(["gaussian", "uniform", "corrupt:mix"].map(String::from));
    sets
}

/// Where an OOD set named on the command line comes from.
enum OodSource {
    /// `gaussian`, `uniform` or `corrupt:<generators>`, made from the test split.
    Builtin,
    /// The embedded MNIST test digits.
    Digits,
    /// The shared folder's 10,000 MNIST digits (one IDX pair, no split).
    Mnist10k,
    /// A dataset's test split.
    Dataset(DatasetName),
}

/// Reads an OOD set name (already trimmed) without loading anything.
fn ood_source(name: &str) -> Result<OodSource> {
    const EXPECTED: &str =
        "expected gaussian, uniform, corrupt:<generators>, digits, mnist-10k or a dataset name";
    Ok(match name {
        "gaussian" | "uniform" => OodSource::Builtin,
        "digits" => OodSource::Digits,
        "mnist-10k" => OodSource::Mnist10k,
        _ => match name.strip_prefix("corrupt:") {
            Some(generators) => {
                GeneratorList::parse(generators)
                    .with_context(|| format!("invalid OOD set {name:?}"))?;
                OodSource::Builtin
            }
            None => OodSource::Dataset(
                DatasetName::parse(name)
                    .with_context(|| format!("invalid OOD set {name:?}: {EXPECTED}"))?,
            ),
        },
    })
}

/// Every name of `names` (trimmed: `--ood-sets a, b` is two names) with its source.
fn ood_sources(names: &[String]) -> Result<Vec<(&str, OodSource)>> {
    if names.is_empty() {
        bail!("invalid ood_sets = []: expected at least one OOD set");
    }
    names
        .iter()
        .map(|n| Ok((n.trim(), ood_source(n.trim())?)))
        .collect()
}

/// Checks every name of `names` (see [`build_ood_sets`]) without loading anything, so a typo
/// fails before a long run.
pub fn check_ood_sets(names: &[String]) -> Result<()> {
    ood_sources(names).map(|_| ())
}

/// Builds the OOD sets named in `names`: `gaussian`, `uniform`, `corrupt:<generators>`,
/// `digits` (the embedded MNIST test digits), `mnist-10k` (the shared folder's 10,000 digits), or
/// any dataset name (its test split, from `data_dir`), each shaped and preprocessed like `test`.
pub fn build_ood_sets(
    names: &[String],
    test: &ImageDataset,
    data_dir: Option<&Path>,
    seed: u64,
    device: &Device,
) -> Result<Vec<OodSet>> {
    ood_sources(names)?
        .into_iter()
        .enumerate()
        .map(|(k, (name, source))| {
            // One stream per set, so adding a set does not change the others.
            let mut rng = TrustRng::for_item(seed, 1000 + k as u64);
            let other = match source {
                OodSource::Builtin => {
                    return OodSet::builtin(name, test, &mut rng, device)?
                        .with_context(|| format!("OOD set {name:?} is not built in"));
                }
                OodSource::Digits => embedded_mnist()?.1.with_name("digits"),
                OodSource::Mnist10k => {
                    let dir = data_dir
                        .context("OOD set mnist-10k needs a data folder: pass --data-dir or set TRUSTDD_DATA")?
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
            Ok(OodSet::from_dataset(
                &other,
                test.shape(),
                test.preprocess(),
                device,
            )?)
        })
        .collect()
}

/// Parses the score shown in tables.
pub fn parse_score(name: &str) -> Result<ScoreKind> {
    Ok(match name {
        "msp" => ScoreKind::Msp,
        "max_logit" | "maxlogit" => ScoreKind::MaxLogit,
        "energy" => ScoreKind::Energy,
        other => bail!("invalid ood score {other:?}: expected msp, max_logit or energy"),
    })
}

/// Prints accuracy and, per OOD set, AUROC and FPR95 under `score` for each labelled report
/// (for example the plain distilled set and the set with distilled outliers), first network.
pub fn print_ood_table(reports: &[(&str, &OodReport)], score: ScoreKind) -> Result<()> {
    let mut w = std::io::stdout().lock();
    writeln!(
        w,
        "| training set | network | OOD set | AUROC ({score:?}) | FPR95 | test accuracy |"
    )?;
    writeln!(w, "|---|---|---|---|---|---|")?;
    for (label, report) in reports {
        for arch in &report.architectures {
            let Some(s) = arch.scores.iter().find(|s| s.score == score) else {
                continue;
            };
            let acc = format!(
                "{:.2} ± {:.2}%",
                100.0 * arch.accuracy.mean,
                100.0 * arch.accuracy.std
            );
            let rows = s
                .sets
                .iter()
                .map(|set| (set.name.as_str(), &set.summary))
                .chain(std::iter::once(("mean", &s.mean_over_sets)));
            for (set, m) in rows {
                writeln!(
                    w,
                    "| {label} | {} | {set} | {:.2} ± {:.2} | {:.2} ± {:.2} | {acc} |",
                    arch.name, m.auroc.mean, m.auroc.std, m.fpr95.mean, m.fpr95.std
                )?;
            }
        }
    }
    Ok(())
}
