//! Dumps what TAD's proxy says about every sample after each partition round, for offline
//! analysis of split rules (issue 18's `docs/analysis/split_rules.py` reads these files): the
//! same data, noise and round streams as `trustdd partition`, with TAD wrapped by a partitioner
//! that writes, per round `r`, little-endian raw arrays into `$OUT`:
//! `r{r}_loss.f64` and `r{r}_margin.f64` (n), `r{r}_prob.f64` (n × classes), `r{r}_trusted.u8`
//! and `r{r}_working.u8` (n), and once `observed.u8` and `clean.u8`.
//!
//! ```sh
//! TRUSTDD_DATA=../shared/data SEED=1 ROUNDS=1 WARMUP=3 WIDTH=32 OUT=/tmp/dump \
//!   cargo run --release --example proxy_outputs
//! ```
//! `NOISE` (default the issue's pair swaps) and `DATASET` (default fashion-mnist) are read too.

use anyhow::Context;
use std::path::{Path, PathBuf};
use trustdd::core::{
    write_atomic, PartitionContext, Silent, TrustPartition, TrustPartitioner, TrustRng,
};
use trustdd::nn::ArchConfig;
use trustdd::noise::NoiseConfig;
use trustdd::pipeline::{DataConfig, PartitionerConfig, RunConfig};
use trustdd::trust::{proxy_outputs, Tad};

/// TAD, writing its proxy's outputs after every round.
struct Dumping {
    inner: Tad,
    dir: PathBuf,
    round: usize,
}

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn u8_bytes<T: Copy + TryInto<u8>>(values: &[T]) -> Vec<u8> {
    values
        .iter()
        .map(|&v| v.try_into().unwrap_or(u8::MAX))
        .collect()
}

impl Dumping {
    fn write(&self, name: &str, bytes: &[u8]) -> trustdd::core::Result<()> {
        write_atomic(&self.dir.join(name), bytes)
    }
}

impl TrustPartitioner for Dumping {
    fn name(&self) -> String {
        self.inner.name()
    }

    fn observe(
        &mut self,
        ctx: &PartitionContext<'_>,
        rng: &mut TrustRng,
    ) -> trustdd::core::Result<()> {
        self.inner.observe(ctx, rng)?;
        let ds = ctx.dataset;
        let Some(proxy) = self.inner.proxy() else {
            return Ok(());
        };
        let out = proxy_outputs(proxy, ds, ctx.device, 512)?;
        let r = self.round;
        self.write(&format!("r{r}_loss.f64"), &f64_bytes(&out.losses))?;
        self.write(&format!("r{r}_margin.f64"), &f64_bytes(&out.margins))?;
        self.write(&format!("r{r}_prob.f64"), &f64_bytes(&out.probabilities))?;
        if let Some(p) = self.inner.partition() {
            let flags: Vec<u8> = p.trusted.iter().map(|&t| u8::from(t)).collect();
            self.write(&format!("r{r}_trusted.u8"), &flags)?;
            self.write(&format!("r{r}_working.u8"), &u8_bytes(&p.working_labels))?;
        }
        self.write("observed.u8", &u8_bytes(ds.labels()))?;
        if let Some(clean) = ds.clean_labels() {
            self.write("clean.u8", &u8_bytes(clean))?;
        }
        self.round += 1;
        Ok(())
    }

    fn partition(&self) -> Option<&TrustPartition> {
        self.inner.partition()
    }
}

fn main() -> anyhow::Result<()> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let dir = PathBuf::from(env("OUT", "proxy-outputs"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let warmup: usize = env("WARMUP", "3").parse().context("WARMUP: epochs")?;
    let width: usize = env("WIDTH", "32").parse().context("WIDTH: channels")?;
    let config = RunConfig {
        data: DataConfig {
            dataset: env("DATASET", "fashion-mnist"),
            ..DataConfig::default()
        },
        noise: NoiseConfig::parse(&env("NOISE", "map:0.4:0:6,6:0,2:4,4:2,5:7,7:5"))?,
        seed: env("SEED", "1").parse().context("SEED: an integer")?,
        ..RunConfig::default()
    };
    let rounds: usize = env("ROUNDS", "1").parse().context("ROUNDS: an integer")?;
    let out = dir.clone();
    let pipeline = config
        .build()?
        .with_partitioner("tad, dumping its proxy's outputs", move |c| {
            let PartitionerConfig::Tad(tad) = &c.partitioner else {
                return Err(trustdd::core::Error::invalid("partitioner", "none", "tad"));
            };
            let mut tad = tad.clone();
            tad.proxy.warmup_epochs = warmup;
            if let ArchConfig::ConvNet(net) = &mut tad.proxy.arch {
                net.width = width;
            }
            Ok(Box::new(Dumping {
                inner: Tad::new(tad)?,
                dir: out.clone(),
                round: 0,
            }))
        });
    let report = pipeline.partition(rounds, &Silent)?;
    for r in &report.rounds {
        println!("{r}");
    }
    println!("wrote {}", Path::new(&dir).display());
    Ok(())
}
