//! ConvNet-3 throughput at batch 256: forward, and forward + backward of cross-entropy.
//!
//! `cargo bench --bench convnet` prints images per second (criterion's "elem/s") for 3×32×32
//! (CIFAR shape) and 1×28×28 (MNIST shape). One iteration is a whole batch (up to seconds), so the
//! sample count is the criterion minimum. This measures the default fast
//! path; `benches/reference/side_by_side.sh` compares it with stock candle and PyTorch.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use candle_core::{DType, Device, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use trustdd::core::{ImageShape, TrustRng};
use trustdd::nn::{ArchConfig, Network};

/// mimalloc, as the side-by-side example (docs/performance.md: fewer page faults on the large
/// per-op buffers).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 256;

fn setup(shape: ImageShape) -> (Network, Tensor, Tensor) {
    let device = Device::Cpu;
    let mut rng = TrustRng::new(0);
    let net = Network::new(
        &ArchConfig::default(),
        shape,
        10,
        DType::F32,
        &device,
        &mut rng,
    )
    .expect("network");
    let x = Tensor::from_vec(
        rng.normal_vec(BATCH * shape.numel(), 0.0, 1.0),
        shape.batch_dims(BATCH),
        &device,
    )
    .expect("input");
    let y: Vec<u32> = (0..BATCH as u64).map(|_| rng.below(10) as u32).collect();
    let y = Tensor::from_vec(y, BATCH, &device).expect("labels");
    (net, x, y)
}

fn bench_convnet(c: &mut Criterion) {
    let mut group = c.benchmark_group("convnet3_b256");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(BATCH as u64));
    for (label, shape) in [
        ("3x32x32", ImageShape::new(3, 32, 32)),
        ("1x28x28", ImageShape::new(1, 28, 28)),
    ] {
        let (mut net, x, y) = setup(shape);
        let frozen = net.detached_params();
        group.bench_with_input(BenchmarkId::new("forward", label), &x, |b, x| {
            b.iter(|| net.forward_with(&frozen, x, true).expect("forward"))
        });
        group.bench_with_input(BenchmarkId::new("forward_backward", label), &x, |b, x| {
            b.iter(|| {
                let logits = net.forward(x, true).expect("forward");
                let loss = candle_nn::loss::cross_entropy(&logits, &y).expect("loss");
                loss.backward().expect("backward")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_convnet);
criterion_main!(benches);
