//! The trustdd side of the whole-job side-by-side harness (`benches/reference/whole_job.sh`;
//! results in docs/performance.md). Each call is one whole job, run through the same library
//! functions the `trustdd` program calls, on the data file that `--write-data` made (the
//! PyTorch side, `benches/reference/whole_job_torch.py`, reads the same file):
//!
//! ```sh
//! cargo run --release --example whole_job -- --write-data FILE --shape 1x28x28 [--images N]
//! cargo run --release --example whole_job -- --job JOB --data FILE --width W --length L
//! ```
//!
//! Jobs (`--length` is what the harness differences):
//! - `eval_epoch`: the evaluation protocol on a 10-IPC set (100 images from the data file): a
//!   fresh ConvNet-3 trained `L` epochs (batch 256, SGD lr 0.01, momentum 0.9, weight decay
//!   5e-4, per-sample DSA), then its test accuracy on 1,000 images.
//! - `dm_iteration`: `L` DM iterations at IPC 10 (`--real-batch` real images per class, Siamese
//!   DSA, a fresh random ConvNet-3 each iteration, image SGD lr 1, momentum 0.5).
//! - `tad_round`: TAD on every image of the file: a one-epoch warm-up round, then `L` rounds
//!   (each: a proxy epoch on the trusted set with the consistency term, a loss/feature pass over
//!   every image, the class-wise split and the reliability recall). The proxy is ConvNet-3 of
//!   width `--width`.
//! - `gm_step`: `L` gradient-matching steps on one network made at the start (ConvNet-3), step
//!   `s` matching class `s mod 10`: `--real-batch` real images (256 in the harness) against the
//!   class's `--ipc` synthetic images, Siamese DSA, the real gradient detached, the synthetic one
//!   differentiated again, the per-output-channel distance, its gradient to the pixels, an image
//!   SGD step (lr 0.1, momentum 0.5).
//! - `dc_iteration`: `L` iterations of the DSA objective at `--ipc` (the reference's outer and
//!   inner loops for that IPC; IPC 1 in the harness), real batch `--real-batch`.
//! - `mtt_iteration`: `L` MTT iterations at `--ipc` 10: `--syn-steps` student steps on batches
//!   of `--batch-syn` images (per-sample DSA), start and target parameters of two random
//!   networks (the cost does not depend on where they come from), gradients to the pixels and α.
//!
//! The data file: `u32 n, c, h, w` (little endian), then `n·c·h·w` pixel bytes, then `n` label
//! bytes. `--write-data` takes the Fashion-MNIST training split from `$TRUSTDD_DATA` for
//! 1×28×28 (labels with 40% of classes 0↔6, 2↔4, 5↔7 swapped), and otherwise makes
//! class-structured images (a fixed random pattern per class plus pixel noise, same noise).

use anyhow::{bail, Context, Result};
use candle_core::DType;
use candle_core::Device;
use std::path::PathBuf;
use std::sync::Arc;
use trustdd::core::{
    DatasetSampler, DistillContext, DistillObjective, ImageDataset, ImageShape, PartitionContext,
    RealSampler, Silent, SyntheticSet, TrustPartitioner, TrustRng,
};
use trustdd::distill::{
    matching_loss, second_order, Dm, DmConfig, GradientMatching, GradientMatchingConfig,
    MomentumSgd, Mtt, MttConfig, Trajectories,
};
use trustdd::nn::Network;
use trustdd::nn::{ArchConfig, ConvNetConfig};
use trustdd::train::dsa::DsaConfig;
use trustdd::train::{evaluate_synthetic, EvalConfig, Targets, TrainConfig};
use trustdd::trust::{ProxyConfig, Tad, TadConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLASSES: usize = 10;
const SWAPS: [(u32, u32); 3] = [(0, 6), (2, 4), (5, 7)];

#[derive(Default)]
struct Options {
    job: Option<String>,
    data: Option<PathBuf>,
    write_data: Option<PathBuf>,
    shape: Option<ImageShape>,
    images: usize,
    width: usize,
    length: usize,
    real_batch: Option<usize>,
    ipc: Option<usize>,
    syn_steps: usize,
    batch_syn: Option<usize>,
}

fn parse() -> Result<Options> {
    let mut o = Options {
        images: 60_000,
        width: 128,
        length: 1,
        syn_steps: 20,
        ..Options::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--job" => o.job = Some(value()?),
            "--data" => o.data = Some(value()?.into()),
            "--write-data" => o.write_data = Some(value()?.into()),
            "--shape" => {
                let s = value()?;
                let d: Vec<usize> = s.split('x').map(str::parse).collect::<Result<_, _>>()?;
                let [c, h, w] = d[..] else {
                    bail!("--shape wants CxHxW, got {s}")
                };
                o.shape = Some(ImageShape::new(c, h, w));
            }
            "--images" => o.images = value()?.parse()?,
            "--width" => o.width = value()?.parse()?,
            "--length" => o.length = value()?.parse()?,
            "--real-batch" => o.real_batch = Some(value()?.parse()?),
            "--ipc" => o.ipc = Some(value()?.parse()?),
            "--syn-steps" => o.syn_steps = value()?.parse()?,
            "--batch-syn" => o.batch_syn = Some(value()?.parse()?),
            other => bail!("unknown argument {other} (see the file's doc comment)"),
        }
    }
    Ok(o)
}

fn swap_labels(labels: &mut [u32], rng: &mut TrustRng) {
    for y in labels {
        for (a, b) in SWAPS {
            let partner = if *y == a {
                Some(b)
            } else if *y == b {
                Some(a)
            } else {
                None
            };
            if let Some(p) = partner {
                if rng.uniform_f64() < 0.4 {
                    *y = p;
                }
                break;
            }
        }
    }
}

fn write_data(path: &PathBuf, shape: ImageShape, images: usize) -> Result<()> {
    let mut rng = TrustRng::new(7);
    let (mut pixels, mut labels) = if shape == ImageShape::new(1, 28, 28) {
        let dir = std::env::var_os("TRUSTDD_DATA").context("TRUSTDD_DATA (the shared data)")?;
        let ds = trustdd::data::load_fashion_mnist(
            &PathBuf::from(dir).join("fashion-mnist"),
            trustdd::data::Split::Train,
        )?;
        (ds.pixels().to_vec(), ds.labels().to_vec())
    } else {
        let d = shape.numel();
        let patterns: Vec<Vec<f64>> = (0..CLASSES)
            .map(|_| (0..d).map(|_| rng.uniform_f64()).collect())
            .collect();
        let mut pixels = Vec::with_capacity(images * d);
        let mut labels = Vec::with_capacity(images);
        for i in 0..images {
            let c = i % CLASSES;
            labels.push(c as u32);
            pixels.extend(patterns[c].iter().map(|&p| {
                let v = 0.6 * p + 0.4 * rng.uniform_f64();
                (v * 255.0).round() as u8
            }));
        }
        (pixels, labels)
    };
    let n = images.min(labels.len());
    pixels.truncate(n * shape.numel());
    labels.truncate(n);
    swap_labels(&mut labels, &mut rng);
    let mut out = Vec::with_capacity(16 + pixels.len() + n);
    for v in [n, shape.channels, shape.height, shape.width] {
        out.extend_from_slice(&(v as u32).to_le_bytes());
    }
    out.extend_from_slice(&pixels);
    out.extend(labels.iter().map(|&y| y as u8));
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn read_data(path: &PathBuf) -> Result<ImageDataset> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let head = |k: usize| -> Result<usize> {
        let b = bytes.get(4 * k..4 * k + 4).context("data file header")?;
        Ok(u32::from_le_bytes(b.try_into()?) as usize)
    };
    let (n, shape) = (head(0)?, ImageShape::new(head(1)?, head(2)?, head(3)?));
    let end = 16 + n * shape.numel();
    if bytes.len() != end + n {
        bail!(
            "{}: {} bytes, expected {}",
            path.display(),
            bytes.len(),
            end + n
        );
    }
    let labels = bytes[end..].iter().map(|&y| y as u32).collect();
    let names = (0..CLASSES).map(|c| c.to_string()).collect();
    let ds = ImageDataset::new("bench", shape, bytes[16..end].to_vec(), labels, names)?;
    let stats = ds.channel_stats();
    Ok(ds.with_preprocess(trustdd::core::Preprocess::Normalize(stats))?)
}

fn convnet(width: usize) -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width,
        ..ConvNetConfig::default()
    })
}

/// `length` steps of `objective` on `syn`; prints the last loss.
fn iterate(
    objective: &mut dyn DistillObjective,
    syn: &mut SyntheticSet,
    sampler: &DatasetSampler,
    length: usize,
    rng: &mut TrustRng,
) -> Result<()> {
    let mut loss = 0.0;
    for iteration in 0..length {
        let ctx = DistillContext {
            real: sampler,
            iteration,
            progress: &Silent,
        };
        loss = objective.step(syn, &ctx, rng)?.loss;
    }
    println!("loss {loss:.4}");
    Ok(())
}

fn main() -> Result<()> {
    // As the `trustdd` program (src/main.rs): mimalloc's purge delay (option 15) off.
    // SAFETY: sets a process-wide option; mimalloc reads options atomically at any time.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        unsafe { libmimalloc_sys::mi_option_set(15, -1) };
    }
    let o = parse()?;
    if let Some(path) = &o.write_data {
        return write_data(path, o.shape.context("--shape")?, o.images);
    }
    let ds = read_data(o.data.as_ref().context("--data FILE")?)?;
    let device = Device::Cpu;
    let dsa = DsaConfig::default();
    match o.job.as_deref().context("--job")? {
        "eval_epoch" => {
            let ids: Vec<usize> = (0..CLASSES)
                .flat_map(|c| ds.class_members(c)[..10].to_vec())
                .collect();
            let images = ds.batch(&ids, &device)?;
            let labels: Vec<u32> = ids.iter().map(|&i| ds.labels()[i]).collect();
            let test = ds.subset(&(0..1000).collect::<Vec<_>>())?;
            let config = EvalConfig {
                architectures: vec![convnet(o.width)],
                runs: 1,
                train: TrainConfig {
                    epochs: o.length,
                    augment: Some(dsa),
                    ..TrainConfig::default()
                },
                test_batch_size: 256,
                batch_norm_augment: None,
            };
            let targets = Targets::hard(&labels, &device)?;
            let r = evaluate_synthetic(&images, &targets, &test, &config, 0, &device, &Silent)?;
            println!("accuracy {:.4}", r.architectures[0].mean);
        }
        "dm_iteration" => {
            let sampler = DatasetSampler::new(Arc::new(ds), device.clone());
            let mut rng = TrustRng::new(0);
            let mut syn = SyntheticSet::from_real(&sampler, 10, &mut rng)?;
            let mut dm = Dm::new(DmConfig {
                arch: convnet(o.width),
                real_batch: o.real_batch.unwrap_or(64),
                dsa: Some(dsa),
                ..DmConfig::default()
            })?;
            iterate(&mut dm, &mut syn, &sampler, o.length, &mut rng)?;
        }
        "tad_round" => {
            let mut tad = Tad::new(TadConfig {
                proxy: ProxyConfig {
                    arch: convnet(o.width),
                    warmup_epochs: 1,
                    augment: Some(dsa),
                    ..ProxyConfig::default()
                },
                ..TadConfig::default()
            })?;
            let mut rng = TrustRng::new(0);
            for round in 0..=o.length {
                let ctx = PartitionContext {
                    dataset: &ds,
                    device: &device,
                    round,
                    progress: &Silent,
                };
                tad.observe(&ctx, &mut rng)?;
            }
            let d = tad.diagnostics().last().context("no round")?;
            println!("trusted {}", d.trusted);
        }
        "gm_step" => {
            let sampler = DatasetSampler::new(Arc::new(ds), device.clone());
            let mut rng = TrustRng::new(0);
            let syn = SyntheticSet::from_real(&sampler, o.ipc.unwrap_or(10), &mut rng)?;
            let shape = sampler.image_shape();
            let net = Network::new(&convnet(o.width), shape, CLASSES, DType::F32, &device, &mut rng)?;
            let dsa = trustdd::train::dsa::Dsa::new(dsa, shape)?;
            let mut opt = MomentumSgd::new(0.1, 0.5);
            let mut loss = 0.0;
            for s in 0..o.length {
                let c = s % CLASSES;
                let real = sampler.sample(c, o.real_batch.unwrap_or(256), &mut rng)?;
                let t = dsa.sample_siamese(&mut rng);
                let (value, grad) = second_order::run(|| {
                    let params = net.params();
                    let x = t.apply(&syn.class_images(c)?)?;
                    let l = matching_loss(&net, &params, &t.apply(&real)?, &x, c)?;
                    let g = l.backward()?;
                    let grad = g.get(syn.images.as_tensor()).map(|g| g.detach());
                    Ok((l.to_scalar::<f32>()?, grad))
                })?;
                loss = value;
                opt.step(&syn.images, &grad.context("no pixel gradient")?)?;
            }
            println!("loss {loss:.4}");
        }
        "dc_iteration" => {
            let sampler = DatasetSampler::new(Arc::new(ds), device.clone());
            let mut rng = TrustRng::new(0);
            let mut syn = SyntheticSet::from_real(&sampler, o.ipc.unwrap_or(1), &mut rng)?;
            let mut objective = GradientMatching::new(GradientMatchingConfig {
                arch: convnet(o.width),
                real_batch: o.real_batch.unwrap_or(256),
                dsa: Some(dsa),
                ..GradientMatchingConfig::default()
            })?;
            iterate(&mut objective, &mut syn, &sampler, o.length, &mut rng)?;
        }
        "mtt_iteration" => {
            let sampler = DatasetSampler::new(Arc::new(ds), device.clone());
            let mut rng = TrustRng::new(0);
            let mut syn = SyntheticSet::from_real(&sampler, o.ipc.unwrap_or(10), &mut rng)?;
            let shape = sampler.image_shape();
            let arch = convnet(o.width);
            let mut point = || -> Result<candle_core::Tensor> {
                let net = Network::new(&arch, shape, CLASSES, DType::F32, &device, &mut rng)?;
                Ok(Network::flatten(&net.detached_params())?)
            };
            let trajectories = Trajectories {
                experts: vec![vec![point()?, point()?]],
            };
            let mut mtt = Mtt::new(
                MttConfig {
                    arch: arch.clone(),
                    syn_steps: o.syn_steps,
                    expert_epochs: 1,
                    max_start_epoch: 1,
                    batch_syn: o.batch_syn,
                    dsa: Some(dsa),
                    ..MttConfig::default()
                },
                trajectories,
            )?;
            iterate(&mut mtt, &mut syn, &sampler, o.length, &mut rng)?;
        }
        other => bail!(
            "unknown job {other}: eval_epoch, dm_iteration, tad_round, gm_step, dc_iteration or mtt_iteration"
        ),
    }
    Ok(())
}
