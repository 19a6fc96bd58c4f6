//! `trustdd distill`: a thin front end over [`trustdd_pipeline::RunConfig`]. The configuration
//! comes from a TOML file (`--config`, a serialised `RunConfig`) or the main job's defaults;
//! flags override its fields; the pipeline runs it and this module prints its report. With no
//! flags at all it runs the main job on the embedded MNIST digits, sized to finish in a few
//! minutes on a 2-core CPU.

mod args;
mod table;

pub use args::DistillArgs;

use crate::progress_bar::Bars;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

/// Runs `trustdd distill`.
pub fn run(args: &DistillArgs, quiet: bool) -> Result<()> {
    let mut config = args.config()?;
    if config.out.is_none() {
        config.out = Some(PathBuf::from(format!(
            "runs/{}-{}-ipc{}-seed{}",
            config.data.dataset.replace([':', '/'], "_"),
            config.objective.kind(),
            config.ipc,
            config.seed
        )));
    }
    let pipeline = config.build()?;
    let (train, test) = config.data.load()?;
    if args.print_config() {
        let effective = config.resolved(train.name());
        let text = toml::to_string(&effective).context("writing the configuration as TOML")?;
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(());
    }
    let bars = Bars::new(quiet);
    let report = pipeline.run_on(train, test, &bars);
    bars.finish();
    table::print_report(&report?)
}
