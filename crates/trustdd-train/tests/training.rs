//! The training loop and the evaluation protocol on tiny problems.

use candle_core::{DType, Device, Tensor};
use std::sync::{Arc, Mutex};
use trustdd_core::{ImageDataset, ImageShape, ProgressEvent, Silent, TrustRng};
use trustdd_nn::{ArchConfig, Architecture, ConvNetConfig, Init, Network, ParamCursor, ParamSpec};
use trustdd_train::dsa::DsaConfig;
use trustdd_train::{
    accuracy, evaluate_synthetic, train, EvalConfig, Targets, TensorSource, TrainConfig,
};

const SHAPE: ImageShape = ImageShape::new(1, 8, 8);

/// Two classes: class 0 has a bright top half, class 1 a bright bottom half, plus noise.
fn halves(n: usize, seed: u64) -> ImageDataset {
    let mut rng = TrustRng::new(seed);
    let mut pixels = Vec::with_capacity(n * SHAPE.numel());
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let label = (i % 2) as u32;
        for row in 0..8 {
            let bright = (row < 4) == (label == 0);
            let base = if bright { 190.0 } else { 60.0 };
            for _ in 0..8 {
                pixels.push((base + 30.0 * rng.normal()).clamp(0.0, 255.0) as u8);
            }
        }
        labels.push(label);
    }
    ImageDataset::new(
        "halves",
        SHAPE,
        pixels,
        labels,
        vec!["top".into(), "bottom".into()],
    )
    .unwrap()
}

fn tiny_convnet() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 4,
        depth: 2,
        ..ConvNetConfig::default()
    })
}

fn quick(epochs: usize, augment: Option<DsaConfig>) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        lr: 0.05,
        augment,
        ..TrainConfig::default()
    }
}

fn net(arch: &ArchConfig, seed: u64) -> Network {
    let mut rng = TrustRng::new(seed);
    Network::new(arch, SHAPE, 2, DType::F32, &Device::Cpu, &mut rng).unwrap()
}

fn flat_params(net: &Network) -> Vec<f32> {
    Network::flatten(&net.detached_params())
        .unwrap()
        .to_vec1()
        .unwrap()
}

#[test]
fn mlp_and_convnet_learn_a_separable_problem_from_a_dataset() {
    let (train_set, test_set) = (halves(64, 1), halves(40, 2));
    let archs = [ArchConfig::Mlp { hidden: vec![16] }, tiny_convnet()];
    for arch in archs {
        let mut net = net(&arch, 3);
        let before = accuracy(&net, &test_set, 16, &Device::Cpu).unwrap();
        let mut rng = TrustRng::new(4);
        let report = train(
            &mut net,
            &train_set,
            &quick(15, None),
            &mut rng,
            &Device::Cpu,
            &Silent,
        )
        .unwrap();
        let after = accuracy(&net, &test_set, 7, &Device::Cpu).unwrap();
        assert_eq!(report.steps, 15 * 4);
        assert!(
            after >= 0.95,
            "{arch:?}: accuracy {before} -> {after}, {report:?}"
        );
        assert!(report.final_train_accuracy >= 0.9, "{report:?}");
    }
}

#[test]
fn soft_targets_from_tensors_train_too() {
    let (train_set, test_set) = (halves(64, 5), halves(40, 6));
    let ids: Vec<usize> = (0..train_set.len()).collect();
    let images = train_set.batch(&ids, &Device::Cpu).unwrap();
    // Logits 3·onehot: softmax gives the labelled class probability e³/(e³+1) ≈ 0.95.
    let logits: Vec<f32> = train_set
        .labels()
        .iter()
        .flat_map(|&l| if l == 0 { [3.0, 0.0] } else { [0.0, 3.0] })
        .collect();
    let logits = Tensor::from_vec(logits, (64, 2), &Device::Cpu).unwrap();
    let source = TensorSource::new(&images, Targets::soft_from_logits(&logits).unwrap()).unwrap();
    let mut net = net(&ArchConfig::Mlp { hidden: vec![16] }, 7);
    let mut rng = TrustRng::new(8);
    let config = quick(15, Some(DsaConfig::digits()));
    train(&mut net, &source, &config, &mut rng, &Device::Cpu, &Silent).unwrap();
    let acc = accuracy(&net, &test_set, 64, &Device::Cpu).unwrap();
    assert!(acc >= 0.9, "accuracy {acc}");
}

#[test]
fn same_seed_gives_bitwise_identical_parameters() {
    let train_set = halves(48, 9);
    let run = |seed: u64| {
        let mut net = net(&tiny_convnet(), seed);
        let mut rng = TrustRng::new(seed);
        let config = quick(2, Some(DsaConfig::default()));
        train(
            &mut net,
            &train_set,
            &config,
            &mut rng,
            &Device::Cpu,
            &Silent,
        )
        .unwrap();
        flat_params(&net)
    };
    let (a, b, c) = (run(10), run(10), run(11));
    assert_eq!(
        a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_ne!(a, c);
}

/// Logits are a learnable bias `b` (2 values) for every input: with every label 0 the full-batch
/// gradient is `softmax(b) − e₀`, so SGD can be replayed by hand.
#[derive(Debug)]
struct BiasOnly;

impl Architecture for BiasOnly {
    fn name(&self) -> String {
        "bias-only".into()
    }
    fn input_shape(&self) -> ImageShape {
        ImageShape::new(1, 1, 1)
    }
    fn num_classes(&self) -> usize {
        2
    }
    fn embed_dim(&self) -> usize {
        1
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        vec![ParamSpec {
            name: "bias".into(),
            shape: vec![2],
            init: Init::Zeros,
        }]
    }
    fn buffer_specs(&self) -> Vec<ParamSpec> {
        Vec::new()
    }
    fn embed(
        &self,
        _params: &mut ParamCursor<'_>,
        _buffers: Option<&mut [Tensor]>,
        x: &Tensor,
        _train: bool,
    ) -> trustdd_nn::Result<Tensor> {
        Ok(x.flatten_from(1)?.zeros_like()?)
    }
    fn head(&self, params: &mut ParamCursor<'_>, embedding: &Tensor) -> trustdd_nn::Result<Tensor> {
        let n = embedding.dim(0)?;
        let b = params.take()?;
        Ok(b.reshape((1, 2))?.broadcast_as((n, 2))?.contiguous()?)
    }
}

/// PyTorch SGD replayed on the host; `reset_at` re-creates the optimiser (momentum buffer).
fn replay(epochs: usize, lr0: f64, decay_at: usize, reset: bool) -> [f64; 2] {
    let (mu, wd) = (0.9, 5e-4);
    let mut b = [0.0f64; 2];
    let mut buf: Option<[f64; 2]> = None;
    let mut lr = lr0;
    for epoch in 0..epochs {
        if epoch == decay_at {
            lr *= 0.1;
            if reset {
                buf = None;
            }
        }
        let z = b[0].exp() + b[1].exp();
        let grad = [b[0].exp() / z - 1.0 + wd * b[0], b[1].exp() / z + wd * b[1]];
        let next = match buf {
            Some(m) => [mu * m[0] + grad[0], mu * m[1] + grad[1]],
            None => grad,
        };
        buf = Some(next);
        b = [b[0] - lr * next[0], b[1] - lr * next[1]];
    }
    b
}

#[test]
fn lr_decay_recreates_the_optimiser() {
    let mut rng = TrustRng::new(0);
    let mut net =
        Network::from_arch(Arc::new(BiasOnly), DType::F64, &Device::Cpu, &mut rng).unwrap();
    let images = Tensor::zeros((4, 1, 1, 1), DType::F64, &Device::Cpu).unwrap();
    let source = TensorSource::new(&images, Targets::hard(&[0; 4], &Device::Cpu).unwrap()).unwrap();
    let config = TrainConfig {
        epochs: 6,
        batch_size: 4,
        lr: 0.5,
        augment: None,
        ..TrainConfig::default()
    };
    assert_eq!(config.decay_epochs(), vec![3]);
    let report = train(&mut net, &source, &config, &mut rng, &Device::Cpu, &Silent).unwrap();
    let got: Vec<f64> = net.vars()[0].as_tensor().to_vec1().unwrap();
    let with_reset = replay(6, 0.5, 3, true);
    let without = replay(6, 0.5, 3, false);
    for k in 0..2 {
        assert!(
            (got[k] - with_reset[k]).abs() < 1e-12,
            "{got:?} vs {with_reset:?}"
        );
        assert!(
            (got[k] - without[k]).abs() > 1e-3,
            "reset makes no difference: {without:?}"
        );
    }
    assert!((report.final_lr - 0.05).abs() < 1e-15);
}

#[test]
fn evaluation_protocol_reports_every_run_deterministically() {
    let (train_set, test_set) = (halves(32, 12), halves(40, 13));
    let ids: Vec<usize> = (0..train_set.len()).collect();
    let images = train_set.batch(&ids, &Device::Cpu).unwrap();
    let targets = Targets::hard(train_set.labels(), &Device::Cpu).unwrap();
    let config = EvalConfig {
        architectures: vec![ArchConfig::Mlp { hidden: vec![16] }, tiny_convnet()],
        runs: 2,
        train: quick(10, Some(DsaConfig::digits())),
        test_batch_size: 64,
        batch_norm_augment: None,
    };
    let events = Mutex::new(Vec::new());
    let progress = |e: ProgressEvent<'_>| {
        events
            .lock()
            .unwrap()
            .push((e.stage.to_string(), e.done, e.total));
    };
    let report = evaluate_synthetic(
        &images,
        &targets,
        &test_set,
        &config,
        21,
        &Device::Cpu,
        &progress,
    )
    .unwrap();
    assert_eq!(report.architectures.len(), 2);
    for arch in &report.architectures {
        assert_eq!(arch.accuracies.len(), 2);
        let (mean, std) = trustdd_train::mean_std(&arch.accuracies);
        assert_eq!((arch.mean, arch.std), (mean, std));
        assert!(arch.mean >= 0.9, "{report:?}");
    }
    let events = events.into_inner().unwrap();
    let evaluate: Vec<_> = events.iter().filter(|e| e.0 == "evaluate").collect();
    assert_eq!(evaluate.len(), 4);
    assert_eq!(*evaluate[3], ("evaluate".to_string(), 4, 4));
    // 10 epochs on the reference schedule: 11 passes per run.
    assert_eq!(events.iter().filter(|e| e.0 == "train").count(), 4 * 11);
    let again = evaluate_synthetic(
        &images,
        &targets,
        &test_set,
        &config,
        21,
        &Device::Cpu,
        &Silent,
    )
    .unwrap();
    assert_eq!(report, again);
    let wrong_shape = Tensor::zeros((32, 1, 4, 4), DType::F32, &Device::Cpu).unwrap();
    assert!(evaluate_synthetic(
        &wrong_shape,
        &targets,
        &test_set,
        &config,
        21,
        &Device::Cpu,
        &Silent
    )
    .is_err());
}

/// The reference's `evaluate_synset` for `epoch_eval_train = E`: `E + 1` passes and the decay
/// after pass `E/2 + 1`, which evaluation now follows (it used to run `E` passes with the decay
/// before pass `E/2`).
#[test]
fn evaluation_runs_the_reference_schedule() {
    let c = TrainConfig {
        epochs: 300,
        ..TrainConfig::default()
    };
    let r = c.reference_evaluation();
    assert_eq!(r.epochs, 301);
    assert_eq!(r.decay_epochs(), vec![152]);
    let explicit = TrainConfig {
        epochs: 10,
        lr_decay_epochs: Some(vec![3]),
        ..TrainConfig::default()
    };
    assert_eq!(explicit.reference_evaluation().decay_epochs(), vec![3]);
    // E = 2: range(3) with the decay after pass 2, the last: no decay.
    let short = TrainConfig {
        epochs: 2,
        ..TrainConfig::default()
    };
    assert!(short.reference_evaluation().decay_epochs().is_empty());
    // Through evaluate_synthetic: the "train" events count E + 1 passes.
    let train_set = halves(16, 1);
    let test_set = halves(8, 2);
    let ids: Vec<usize> = (0..train_set.len()).collect();
    let images = train_set.batch(&ids, &Device::Cpu).unwrap();
    let targets = Targets::hard(train_set.labels(), &Device::Cpu).unwrap();
    let config = EvalConfig {
        architectures: vec![ArchConfig::Mlp { hidden: vec![] }],
        runs: 1,
        train: quick(4, None),
        ..EvalConfig::default()
    };
    let passes = Arc::new(Mutex::new(Vec::new()));
    let seen = passes.clone();
    let progress = move |e: ProgressEvent<'_>| {
        if e.stage == "train" {
            seen.lock().unwrap().push((e.done, e.total));
        }
    };
    evaluate_synthetic(
        &images,
        &targets,
        &test_set,
        &config,
        0,
        &Device::Cpu,
        &progress,
    )
    .unwrap();
    let passes = passes.lock().unwrap();
    assert_eq!(passes.last(), Some(&(5, 5)));
}
