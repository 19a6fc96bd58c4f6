//! `trustdd partition`: run only a run's trust partitioning (TAD or the cross-fitted
//! partitioner) on a (noisy) dataset and print the partition's quality per round.

use crate::config_file::read_toml;
use crate::data_args::DataArgs;
use crate::progress_bar::Bars;
use crate::trust_table::print_rounds;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use trustdd_core::write_atomic;
use trustdd_noise::NoiseConfig;
use trustdd_pipeline::{PartitionerConfig, RunConfig};
use trustdd_trust::{CrossFitConfig, TadConfig};

/// Options of `trustdd partition`.
#[derive(Debug, Args)]
pub struct PartitionArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Label-noise model applied first (none, sym:0.4, asym:0.4, map:..., cifar10n:worse, ...).
    #[arg(long, default_value = "asym:0.4")]
    noise: String,
    /// Rounds: the run's warm-up rounds (2), then its refits during distillation.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The partitioner, as `distill --trust`: tad or cross_fit.
    #[arg(long, default_value = "tad")]
    trust: String,
    /// A TOML file with the partitioner's settings (`trustdd_trust::TadConfig` or
    /// `trustdd_trust::CrossFitConfig`; unset fields keep their defaults). Resolved as
    /// `distill` resolves its partitioner: the dataset's DSA for the proxy (unless augmentation
    /// is off) and at least IPC 10 trusted per class.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Fraction of each class held out as a validation split before noise, as `distill
    /// --val-split` (the partition then runs on the rest, as that run's does).
    #[arg(long, default_value_t = 0.0)]
    val_split: f64,
    /// Seed of the noise and of the partitioner.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Also write the partition report (configuration, noise report, every round with the
    /// partitioner's own record: TAD's per-class thresholds, rules and top-ups, its transition
    /// estimate and co-divide splits) as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also write the last split as a PNG (per class: the loss histogram split into right and
    /// wrong labels, the two fitted components, the threshold), as `partition.png` of a run.
    #[arg(long)]
    picture: Option<PathBuf>,
}

/// Runs `trustdd partition`: [`trustdd_pipeline::Pipeline::partition`] on the run these flags
/// describe, the code path of `distill --trust <partitioner>` (same streams, same rounds).
pub fn run(args: &PartitionArgs, quiet: bool) -> Result<()> {
    let config = RunConfig {
        data: args.data.config(),
        noise: NoiseConfig::parse(&args.noise)?,
        seed: args.seed,
        device: args.device.clone(),
        val_split: args.val_split,
        partitioner: partitioner(&args.trust, args.config.as_deref())?,
        ..RunConfig::default()
    };
    let bars = Bars::new(quiet);
    let report = config.build()?.partition(args.rounds, &bars);
    bars.finish();
    let report = report?;
    let title = match &report.noise {
        Some(n) => format!(
            "{} with {} (realised {:.2}%)",
            report.config.data.dataset,
            args.noise,
            100.0 * n.rate
        ),
        None => format!("{} with clean labels", report.config.data.dataset),
    };
    print_rounds(
        &mut std::io::stdout().lock(),
        &report.partitioner.to_uppercase(),
        &title,
        &report.rounds,
    )?;
    if let Some(path) = &args.json {
        write_atomic(path, &serde_json::to_vec_pretty(&report)?)?;
    }
    if let Some(path) = &args.picture {
        match &report.picture {
            Some(png) => write_atomic(path, png)?,
            None => bail!(
                "--picture: the {} partitioner gives no split view",
                report.partitioner
            ),
        }
    }
    Ok(())
}

/// The partitioner `--trust` names, with the settings of `--config` when given.
fn partitioner(name: &str, config: Option<&std::path::Path>) -> Result<PartitionerConfig> {
    Ok(match (name, config) {
        ("tad", None) => PartitionerConfig::Tad(TadConfig::default()),
        ("tad", Some(path)) => PartitionerConfig::Tad(read_toml::<TadConfig>(path)?),
        ("cross_fit", None) => PartitionerConfig::CrossFit(CrossFitConfig::default()),
        ("cross_fit", Some(path)) => {
            PartitionerConfig::CrossFit(read_toml::<CrossFitConfig>(path)?)
        }
        (other, _) => bail!("invalid --trust {other:?}: expected tad or cross_fit"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_names_the_partitioner_and_config_its_settings() -> Result<()> {
        assert!(matches!(
            partitioner("tad", None)?,
            PartitionerConfig::Tad(_)
        ));
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("cross_fit.toml");
        std::fs::write(&path, "cut = 0.9\niterations = 2\n")?;
        let PartitionerConfig::CrossFit(c) = partitioner("cross_fit", Some(&path))? else {
            bail!("cross_fit expected");
        };
        assert_eq!((c.cut, c.iterations), (0.9, 2));
        // A cross-fit field is not a TAD field: the file is read as the named partitioner's.
        let e = partitioner("tad", Some(&path)).unwrap_err().to_string();
        assert!(e.contains("cut"), "{e}");
        let e = partitioner("none", None).unwrap_err().to_string();
        assert!(e.contains("--trust") && e.contains("none"), "{e}");
        Ok(())
    }
}
