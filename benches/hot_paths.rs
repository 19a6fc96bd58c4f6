//! The library's hot paths, each through its public API, so that a downstream user and a
//! regression both see what each part of a job costs:
//!
//! - `noise/sym_0.4`: the `sym:0.4` noise model (parsed and built by `NoiseConfig`) corrupting
//!   50,000 labels of 10 classes;
//! - `trust/class_split`: TAD's class-wise GMM split (`split_classes`) of 60,000 per-sample
//!   losses of 10 classes;
//! - `trust/reliability_fit`, `trust/reliability_score`: the reliability model (anchors and the
//!   shrunk shared covariance) fitted on 60,000 feature vectors of dimension 128, and the scores
//!   of all 60,000 against the 10 classes;
//! - `ood/auroc_fpr95`: AUROC and FPR at 95% TPR on 100,000 scores (50,000 in-distribution,
//!   50,000 OOD);
//! - `distill/dm_iteration`: one `Dm::step` on a 10-IPC synthetic set (ConvNet-3 width 32,
//!   1×28×28, 64 real images per class, the default DSA);
//! - `distill/gm_step`: one gradient-matching step for one class, `matching_loss` inside
//!   `second_order::run` and its backward to the synthetic pixels (width 32, 1×28×28, 256 real
//!   images against 10 synthetic ones, no augmentation);
//! - `distill/mtt_step`: `trajectory_gradients` for 5 student steps of 100 images with hard
//!   labels (width 32, 1×28×28), start and target the parameters of two random networks.
//!
//! Inputs are random from fixed seeds; the distillation benches use 2,000 random 1×28×28 images.
//! Run with `cargo bench --bench hot_paths` (criterion's "elem/s" is labels, losses, feature
//! vectors, scores or images per second); the distillation iterations are heavy, so those groups
//! use the criterion minimum sample count.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use candle_core::{DType, Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::Arc;
use std::time::Duration;
use trustdd::core::{
    DatasetSampler, DistillContext, DistillObjective, ImageDataset, ImageShape, NoiseContext,
    RealSampler, Silent, SyntheticLabels, SyntheticSet, TrustRng,
};
use trustdd::distill::{
    matching_loss, second_order, trajectory_gradients, Dm, DmConfig, StudentLabels, StudentStep,
};
use trustdd::nn::{ArchConfig, ConvNetConfig, Network};
use trustdd::noise::NoiseConfig;
use trustdd::ood::metrics::{auroc, fpr_at_95_tpr};
use trustdd::trust::{split_classes, ReliabilityConfig, ReliabilityModel, SplitConfig, SplitInput};

/// mimalloc, as the program and the other benches (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLASSES: usize = 10;

fn random_labels(rng: &mut TrustRng, n: usize) -> Vec<u32> {
    (0..n).map(|_| rng.below(CLASSES as u64) as u32).collect()
}

fn bench_noise(c: &mut Criterion) {
    const N: usize = 50_000;
    let mut rng = TrustRng::new(0);
    let labels = random_labels(&mut rng, N);
    let model = NoiseConfig::parse("sym:0.4")
        .and_then(|config| config.build())
        .expect("noise model");
    let ctx = NoiseContext {
        labels: &labels,
        num_classes: CLASSES,
        dataset: None,
        seed: 0,
    };
    let mut group = c.benchmark_group("noise");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("sym_0.4", |b| {
        b.iter(|| model.corrupt(&ctx).expect("corrupt"))
    });
    group.finish();
}

fn bench_trust(c: &mut Criterion) {
    const N: usize = 60_000;
    const DIM: usize = 128;
    let mut rng = TrustRng::new(0);
    let labels = random_labels(&mut rng, N);
    // Losses with a noisy mode: 30% of each class drawn high.
    let losses: Vec<f64> = (0..N)
        .map(|_| {
            let (mean, spread) = if rng.bernoulli(0.3) {
                (2.5, 0.8)
            } else {
                (0.2, 0.1)
            };
            (mean + spread * rng.normal()).abs()
        })
        .collect();
    let config = SplitConfig::default();
    let mut group = c.benchmark_group("trust");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(N as u64));
    group.bench_function("class_split", |b| {
        let margins = vec![0.5; losses.len()];
        let input = SplitInput {
            losses: &losses,
            margins: &margins,
        };
        b.iter(|| split_classes(input, &labels, CLASSES, &config).expect("split"))
    });

    // Class-structured features: a random centre per class plus unit noise.
    let centres: Vec<f32> = rng.normal_vec(CLASSES * DIM, 0.0, 1.0);
    let noise = rng.normal_vec(N * DIM, 0.0, 1.0);
    let features: Vec<f64> = (0..N * DIM)
        .map(|k| {
            let class = labels[k / DIM] as usize;
            f64::from(centres[class * DIM + k % DIM] + noise[k])
        })
        .collect();
    let ids: Vec<usize> = (0..N).collect();
    let config = ReliabilityConfig::default();
    group.bench_function("reliability_fit", |b| {
        b.iter(|| {
            ReliabilityModel::fit(&features, DIM, &ids, &labels, CLASSES, &config).expect("fit")
        })
    });
    let model =
        ReliabilityModel::fit(&features, DIM, &ids, &labels, CLASSES, &config).expect("fit");
    group.bench_function("reliability_score", |b| {
        b.iter(|| model.score(&features, &ids).expect("score"))
    });
    group.finish();
}

fn bench_ood(c: &mut Criterion) {
    const N: usize = 50_000;
    let mut rng = TrustRng::new(0);
    let id: Vec<f64> = (0..N).map(|_| 1.0 + rng.normal()).collect();
    let ood: Vec<f64> = (0..N).map(|_| rng.normal()).collect();
    let mut group = c.benchmark_group("ood");
    group
        .sample_size(20)
        .throughput(Throughput::Elements(2 * N as u64));
    group.bench_function("auroc_fpr95", |b| {
        b.iter(|| {
            let a = auroc(&id, &ood).expect("auroc");
            let f = fpr_at_95_tpr(&id, &ood).expect("fpr95");
            (a, f)
        })
    });
    group.finish();
}

const SHAPE: ImageShape = ImageShape::new(1, 28, 28);
/// Width of the ConvNet-3 in the distillation benches.
const WIDTH: usize = 32;

fn convnet(width: usize) -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width,
        ..ConvNetConfig::default()
    })
}

/// 2,000 random 1×28×28 images with balanced labels, normalised by their own statistics.
/// A random ConvNet-3 of the benches' width for the 1×28×28 data.
fn random_net(rng: &mut TrustRng) -> Network {
    Network::new(
        &convnet(WIDTH),
        SHAPE,
        CLASSES,
        DType::F32,
        &Device::Cpu,
        rng,
    )
    .expect("network")
}

fn sampler() -> DatasetSampler {
    const N: usize = 2_000;
    let mut rng = TrustRng::new(1);
    let pixels: Vec<u8> = (0..N * SHAPE.numel())
        .map(|_| rng.below(256) as u8)
        .collect();
    let labels: Vec<u32> = (0..N).map(|i| (i % CLASSES) as u32).collect();
    let names = (0..CLASSES).map(|c| c.to_string()).collect();
    let ds = ImageDataset::new("bench", SHAPE, pixels, labels, names).expect("dataset");
    let stats = ds.channel_stats();
    let ds = ds
        .with_preprocess(trustdd::core::Preprocess::Normalize(stats))
        .expect("preprocess");
    DatasetSampler::new(Arc::new(ds), Device::Cpu)
}

fn bench_distill(c: &mut Criterion) {
    let device = Device::Cpu;
    let sampler = sampler();
    let mut rng = TrustRng::new(0);
    let mut group = c.benchmark_group("distill");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(10));

    // DM: one iteration at IPC 10, real batch 64 per class.
    let mut syn = SyntheticSet::from_real(&sampler, 10, &mut rng).expect("synthetic set");
    let mut dm = Dm::new(DmConfig {
        arch: convnet(WIDTH),
        real_batch: 64,
        ..DmConfig::default()
    })
    .expect("dm");
    let mut iteration = 0;
    group.throughput(Throughput::Elements((CLASSES * 64) as u64));
    group.bench_function("dm_iteration", |b| {
        b.iter(|| {
            let ctx = DistillContext {
                real: &sampler,
                iteration,
                progress: &Silent,
            };
            iteration += 1;
            dm.step(&mut syn, &ctx, &mut rng).expect("dm step").loss
        })
    });

    // Gradient matching: one class, 256 real against 10 synthetic images.
    let syn = SyntheticSet::from_real(&sampler, 10, &mut rng).expect("synthetic set");
    let net = random_net(&mut rng);
    let real = sampler.sample(0, 256, &mut rng).expect("real batch");
    group.throughput(Throughput::Elements(256 + 10));
    group.bench_function("gm_step", |b| {
        b.iter(|| {
            let (loss, grad) = second_order::run(|| {
                let params = net.params();
                let l = matching_loss(&net, &params, &real, &syn.class_images(0)?, 0)?;
                let g = l.backward()?;
                let grad = g.get(syn.images.as_tensor()).map(Tensor::detach);
                Ok((l.to_scalar::<f32>()?, grad))
            })
            .expect("gm step");
            (loss, grad.expect("no pixel gradient"))
        })
    });

    // MTT: 5 student steps of 100 images, hard labels.
    let images = syn.images.as_tensor().detach();
    let n = images.dim(0).expect("images");
    let SyntheticLabels::Hard(labels) = &syn.labels else {
        unreachable!("a set drawn from real images has hard labels")
    };
    let labels = Tensor::from_slice(labels, n, &device).expect("labels");
    let mut point = || Network::flatten(&random_net(&mut rng).detached_params()).expect("flatten");
    let (start, target) = (point(), point());
    let steps: Vec<StudentStep> = (0..5)
        .map(|_| {
            let mut ids: Vec<u32> = (0..n as u32).collect();
            rng.shuffle(&mut ids);
            StudentStep {
                ids: Tensor::from_vec(ids, n, &device).expect("ids"),
                transform: None,
            }
        })
        .collect();
    let lr = Tensor::new(0.01f32, &device).expect("lr");
    group.throughput(Throughput::Elements((5 * n) as u64));
    group.bench_function("mtt_step", |b| {
        b.iter(|| {
            trajectory_gradients(
                &net,
                &start,
                &target,
                &steps,
                &images,
                StudentLabels::Hard(&labels),
                &lr,
            )
            .expect("trajectory gradients")
            .loss
        })
    });
    group.finish();
}

criterion_group!(benches, bench_noise, bench_trust, bench_ood, bench_distill);
criterion_main!(benches);
