//! ConvNet-3 (width 128, instance norm, ReLU, average pooling) throughput and peak memory, in the
//! format of `benches/reference/convnet_torch.py`, for the side-by-side comparison with PyTorch
//! (`benches/reference/side_by_side.sh`; results in docs/performance.md).
//!
//! ```sh
//! cargo run --release --example perf_side_by_side -- [--stock] [--runs N] [--shape 3x32x32]
//!     [--workload forward|forward_backward|dm_step|dm_iteration]
//! ```
//!
//! Workloads at batch 256 (images per second = 256 / median seconds per step):
//! `forward` (logits, frozen parameters), `forward_backward` (cross-entropy, gradients of every
//! parameter: a training step without the update), `dm_step` (one DM class: embed 256 real and
//! 256 synthetic images through a frozen random network, squared distance of the mean
//! embeddings, gradient w.r.t. the synthetic pixels). `dm_iteration` (not run by default) is a
//! whole DM iteration at IPC 10: 10 classes, 256 real and 10 synthetic images each, images per
//! second counting the 2,560 real ones. `--stock` forces the stock candle ops (the "before"
//! column). Each line: `RESULT impl=… workload=… shape=… img_per_s=… runs=… peak_rss_mib=…`,
//! the peak resident set of that workload (VmHWM, reset before each workload).

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor, Var};
use std::time::Instant;
use trustdd::core::{ImageShape, TrustRng};
use trustdd::nn::ops::{set_ops_mode, OpsMode};
use trustdd::nn::{ArchConfig, Network};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 256;
const CLASSES: usize = 10;

struct Options {
    stock: bool,
    runs: usize,
    shapes: Vec<ImageShape>,
    workloads: Vec<String>,
}

fn parse() -> Result<Options> {
    let mut o = Options {
        stock: false,
        runs: 5,
        shapes: vec![ImageShape::new(3, 32, 32), ImageShape::new(1, 28, 28)],
        workloads: ["forward", "forward_backward", "dm_step"]
            .map(String::from)
            .to_vec(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--stock" => o.stock = true,
            "--runs" => o.runs = args.next().context("--runs N")?.parse()?,
            "--shape" => {
                let s = args.next().context("--shape CxHxW")?;
                let d: Vec<usize> = s.split('x').map(str::parse).collect::<Result<_, _>>()?;
                let [c, h, w] = d[..] else {
                    bail!("--shape wants CxHxW, got {s}")
                };
                o.shapes = vec![ImageShape::new(c, h, w)];
            }
            "--workload" => o.workloads = vec![args.next().context("--workload NAME")?],
            other => bail!("unknown argument {other} (see the file's doc comment)"),
        }
    }
    Ok(o)
}

/// Resets the kernel's peak-RSS counter of this process (`echo 5 > /proc/self/clear_refs`).
fn reset_peak_rss() -> Result<()> {
    std::fs::write("/proc/self/clear_refs", "5").context("resetting VmHWM")
}

/// Peak resident set since the last reset, in MiB (VmHWM of /proc/self/status).
fn peak_rss_mib() -> Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM")?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .context("VmHWM value")?
        .parse()?;
    Ok(kib / 1024.0)
}

fn randn(rng: &mut TrustRng, shape: ImageShape, n: usize) -> Result<Tensor> {
    let v = rng.normal_vec(n * shape.numel(), 0.0, 1.0);
    Ok(Tensor::from_vec(v, shape.batch_dims(n), &Device::Cpu)?)
}

/// Squared distance of the mean embeddings of `real` (no graph) and `syn`.
fn dm_loss(net: &Network, frozen: &[Tensor], real: &Tensor, syn: &Tensor) -> Result<Tensor> {
    let mean_real = net.embed_with(frozen, real, true)?.mean(0)?;
    let mean_syn = net.embed_with(frozen, syn, true)?.mean(0)?;
    Ok((mean_real - mean_syn)?.sqr()?.sum_all()?)
}

/// The random inputs of one workload, drawn once so that the timed steps only compute.
struct Inputs {
    x: Tensor,
    labels: Tensor,
    real: Vec<Tensor>,
    syn: Var,
}

impl Inputs {
    fn new(workload: &str, shape: ImageShape, rng: &mut TrustRng) -> Result<Self> {
        let classes = if workload == "dm_iteration" {
            CLASSES
        } else {
            1
        };
        let syn_per_class = if workload == "dm_iteration" {
            10
        } else {
            BATCH
        };
        let y: Vec<u32> = (0..BATCH)
            .map(|_| rng.below(CLASSES as u64) as u32)
            .collect();
        Ok(Self {
            x: randn(rng, shape, BATCH)?,
            labels: Tensor::from_vec(y, BATCH, &Device::Cpu)?,
            real: (0..classes)
                .map(|_| randn(rng, shape, BATCH))
                .collect::<Result<_>>()?,
            syn: Var::from_tensor(&randn(rng, shape, classes * syn_per_class)?)?,
        })
    }
}

/// One step of `workload`; returns the number of images it counts.
fn step(workload: &str, net: &mut Network, frozen: &[Tensor], inp: &Inputs) -> Result<usize> {
    match workload {
        "forward" => {
            net.forward_with(frozen, &inp.x, true)?;
        }
        "forward_backward" => {
            let logits = net.forward(&inp.x, true)?;
            candle_nn::loss::cross_entropy(&logits, &inp.labels)?.backward()?;
        }
        "dm_step" | "dm_iteration" => {
            let per_class = inp.syn.dims()[0] / inp.real.len();
            let mut total = Tensor::zeros((), DType::F32, &Device::Cpu)?;
            for (c, real) in inp.real.iter().enumerate() {
                let s = inp.syn.as_tensor().narrow(0, c * per_class, per_class)?;
                total = (total + dm_loss(net, frozen, real, &s)?)?;
            }
            let grads = total.backward()?;
            grads
                .get(&inp.syn)
                .context("no gradient reached the synthetic images")?;
            return Ok(inp.real.len() * BATCH);
        }
        other => bail!("unknown workload {other}"),
    }
    Ok(BATCH)
}

fn main() -> Result<()> {
    let o = parse()?;
    if o.stock {
        set_ops_mode(OpsMode::Stock);
    }
    let label = if o.stock {
        "candle-stock"
    } else {
        "candle-fast"
    };
    for &shape in &o.shapes {
        for workload in &o.workloads {
            let mut rng = TrustRng::new(0);
            reset_peak_rss()?;
            let mut net = Network::new(
                &ArchConfig::default(),
                shape,
                CLASSES,
                DType::F32,
                &Device::Cpu,
                &mut rng,
            )?;
            let frozen = net.detached_params();
            let inputs = Inputs::new(workload, shape, &mut rng)?;
            step(workload, &mut net, &frozen, &inputs)?; // warm-up: page faults, thread pool
            let mut secs = Vec::with_capacity(o.runs);
            let mut images = 0;
            for _ in 0..o.runs {
                let t = Instant::now();
                images = step(workload, &mut net, &frozen, &inputs)?;
                secs.push(t.elapsed().as_secs_f64());
            }
            secs.sort_by(f64::total_cmp);
            let median = secs[secs.len() / 2];
            println!(
                "RESULT impl={label} workload={workload} shape={}x{}x{} img_per_s={:.1} runs={} peak_rss_mib={:.0}",
                shape.channels, shape.height, shape.width, images as f64 / median, o.runs, peak_rss_mib()?
            );
        }
    }
    Ok(())
}
