//! "Same seed, same bytes" across thread counts: training, DM, DC and a TAD round give identical
//! bits inside a 1-thread and a 2-thread rayon pool (the fast CPU kernels split work over the
//! pool, so a pool-dependent grouping or summation order would show here).

use anyhow::Result;
use candle_core::{DType, Device, Tensor};
use std::sync::Arc;
use trustdd::core::{
    DatasetSampler, DistillContext, DistillObjective, ImageDataset, ImageShape, PartitionContext,
    Silent, SyntheticSet, TrustPartitioner, TrustRng,
};
use trustdd::distill::{Dm, DmConfig, GradientMatching, GradientMatchingConfig};
use trustdd::nn::{ArchConfig, ConvNetConfig, Network};
use trustdd::train::dsa::DsaConfig;
use trustdd::train::{train, Targets, TensorSource, TrainConfig};
use trustdd::trust::{Tad, TadConfig};

/// `work` inside a fresh rayon pool of `threads` threads.
fn in_pool<R: Send>(threads: usize, work: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
        .install(work)
}

/// Runs `work` in a 1-thread and a 2-thread pool and asserts equal bits.
fn same_bits_at_1_and_2_threads(what: &str, work: impl Fn() -> Result<Vec<u32>> + Sync) {
    let one = in_pool(1, &work).expect("1-thread run");
    let two = in_pool(2, &work).expect("2-thread run");
    assert_eq!(one.len(), two.len(), "{what}: lengths differ");
    let differing = one.iter().zip(&two).filter(|(a, b)| a != b).count();
    assert!(
        differing == 0,
        "{what}: {differing} of {} values differ between 1 and 2 threads",
        one.len()
    );
}

/// f32 bit patterns of every tensor, in order.
fn bits(tensors: &[Tensor]) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for t in tensors {
        let v = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        out.extend(v.iter().map(|x| x.to_bits()));
    }
    Ok(out)
}

/// ConvNet-2 of width 8: convolutions over batches of more than 4 images (the weight gradient
/// groups images by the pool size).
fn arch() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 8,
        depth: 2,
        ..ConvNetConfig::default()
    })
}

/// `classes × per_class` random 1×8×8 images, brighter for larger class.
fn tiny_dataset(classes: usize, per_class: usize, seed: u64) -> Result<ImageDataset> {
    let shape = ImageShape::new(1, 8, 8);
    let mut rng = TrustRng::new(seed);
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for i in 0..classes * per_class {
        let c = i % classes;
        labels.push(c as u32);
        for _ in 0..shape.numel() {
            pixels
                .push((40.0 + 150.0 * c as f64 / classes as f64 + 60.0 * rng.uniform_f64()) as u8);
        }
    }
    let names = (0..classes).map(|c| format!("c{c}")).collect();
    Ok(ImageDataset::new("tiny", shape, pixels, labels, names)?)
}

#[test]
fn training_is_the_same_at_1_and_2_threads() {
    let ds = tiny_dataset(2, 12, 1).unwrap();
    let ids: Vec<usize> = (0..ds.len()).collect();
    let images = ds.batch(&ids, &Device::Cpu).unwrap();
    let labels = ds.labels().to_vec();
    same_bits_at_1_and_2_threads("train", || {
        let mut rng = TrustRng::new(7);
        let mut net = Network::new(
            &arch(),
            ds.shape(),
            2,
            DType::F32,
            &Device::Cpu,
            &mut rng.fork(),
        )?;
        let source = TensorSource::new(&images, Targets::hard(&labels, &Device::Cpu)?)?;
        let config = TrainConfig {
            epochs: 3,
            batch_size: 16,
            augment: Some(DsaConfig::digits()),
            ..TrainConfig::default()
        };
        train(&mut net, &source, &config, &mut rng, &Device::Cpu, &Silent)?;
        bits(&net.detached_params())
    });
}

/// Runs `iterations` steps of `make()` on the tiny data; the synthetic images' bits.
fn distil(
    make: &dyn Fn() -> Result<Box<dyn DistillObjective>>,
    iterations: usize,
) -> Result<Vec<u32>> {
    let sampler = DatasetSampler::new(Arc::new(tiny_dataset(2, 12, 3)?), Device::Cpu);
    let mut rng = TrustRng::new(11);
    let mut syn = SyntheticSet::from_real(&sampler, 6, &mut rng)?;
    let mut objective = make()?;
    for iteration in 0..iterations {
        let ctx = DistillContext {
            real: &sampler,
            iteration,
            progress: &Silent,
        };
        objective.step(&mut syn, &ctx, &mut rng)?;
    }
    bits(&[syn.images.as_tensor().clone()])
}

#[test]
fn dm_is_the_same_at_1_and_2_threads() {
    same_bits_at_1_and_2_threads("dm", || {
        distil(
            &|| {
                Ok(Box::new(Dm::new(DmConfig {
                    arch: arch(),
                    real_batch: 12,
                    dsa: Some(DsaConfig::digits()),
                    ..DmConfig::default()
                })?))
            },
            3,
        )
    });
}

/// One DC iteration (outer loop 2, inner loop 2) on the tiny data; the synthetic images' bits.
fn dc_bits() -> Result<Vec<u32>> {
    distil(
        &|| {
            Ok(Box::new(GradientMatching::new(GradientMatchingConfig {
                arch: arch(),
                real_batch: 12,
                outer_loop: Some(2),
                inner_loop: Some(2),
                inner_batch: 12,
                ..GradientMatchingConfig::default()
            })?))
        },
        1,
    )
}

#[test]
fn dc_is_the_same_at_1_and_2_threads() {
    same_bits_at_1_and_2_threads("dc", dc_bits);
}

#[test]
fn a_tad_round_is_the_same_at_1_and_2_threads() {
    let (train_set, _) = trustdd::data::embedded_mnist().unwrap();
    let ids: Vec<usize> = (0..200).collect();
    let ds = train_set.subset(&ids).unwrap();
    let mut config = TadConfig::default();
    config.proxy.arch = arch();
    config.proxy.warmup_epochs = 1;
    config.proxy.epochs_per_round = 1;
    config.proxy.batch_size = 32;
    config.proxy.augment = Some(DsaConfig::digits());
    config.min_trusted_per_class = 4;
    config.eval_batch_size = 64;
    same_bits_at_1_and_2_threads("tad", || {
        let mut tad = Tad::new(config.clone())?;
        for round in 0..2 {
            let ctx = PartitionContext {
                dataset: &ds,
                device: &Device::Cpu,
                round,
                progress: &Silent,
            };
            tad.observe(&ctx, &mut TrustRng::for_item(5, round as u64))?;
        }
        let p = tad.partition().expect("a partition");
        let mut out: Vec<u32> = p.trusted.iter().map(|&t| u32::from(t)).collect();
        out.extend(&p.working_labels);
        // Proxy weights, loss history and every other state tensor.
        let mut state = tad.state()?;
        state.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, t) in &state {
            // The diagnostics are JSON bytes without the wall-clock seconds, so they must
            // match too.
            // Flags, labels and f32 weights convert exactly; f64 state keeps its full bits.
            let v = t.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
            for x in v {
                let b = x.to_bits();
                out.extend([(b >> 32) as u32, b as u32]);
            }
        }
        Ok(out)
    });
}

/// Child of [`dc_matching_is_the_same_with_1_and_2_global_threads`]: prints the bits of one DC
/// iteration run with the process's global rayon pool (and candle's thread count), both sized
/// by `RAYON_NUM_THREADS`.
#[test]
#[ignore = "run by dc_matching_is_the_same_with_1_and_2_global_threads in a child process"]
fn dc_bits_child() {
    let bits = dc_bits().unwrap();
    let hex: String = bits.iter().map(|b| format!("{b:08x}")).collect();
    println!("DCBITS {hex}");
}

/// The gradient matching of DC runs on the worker thread of `second_order::run`, which uses the
/// global rayon pool, not an installed one; so the thread count is set per process here: the
/// test binary runs itself twice with `RAYON_NUM_THREADS` = 1 and 2 and compares the bits.
#[test]
fn dc_matching_is_the_same_with_1_and_2_global_threads() {
    let run = |threads: &str| -> String {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "dc_bits_child", "--nocapture"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("running the test binary");
        assert!(out.status.success(), "child at {threads} threads failed");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("DCBITS ").map(str::to_owned))
            .unwrap_or_else(|| panic!("no DCBITS line from the child: {stdout}"))
    };
    let (one, two) = (run("1"), run("2"));
    assert!(!one.is_empty());
    let differing = one
        .as_bytes()
        .chunks(8)
        .zip(two.as_bytes().chunks(8))
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        differing,
        0,
        "dc: {differing} of {} pixels differ between 1 and 2 global threads",
        one.len() / 8
    );
}
