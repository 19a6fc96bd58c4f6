//! Every architecture: output and embedding shapes at 1×28×28 and 3×32×32, parameter counts,
//! spec/forward agreement through the cursor, PyTorch-style init, and ConvNet-3 gradients
//! against finite differences.

use crate::common;

use anyhow::Result;
use candle_core::{DType, Device, Tensor};
use common::{check_grads, randn};
use trustdd_core::{ImageShape, TrustRng};
use trustdd_nn::{
    Activation, ArchConfig, ConvNetConfig, Init, Network, NormKind, ParamCursor, PoolKind,
};

const CLASSES: usize = 10;

fn convnet(
    width: usize,
    depth: usize,
    norm: NormKind,
    pool: PoolKind,
    activation: Activation,
) -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width,
        depth,
        norm,
        pool,
        activation,
    })
}

/// (config, embedding dimension at 1×28×28, at 3×32×32), dimensions computed by hand from each
/// architecture's documented layer sizes.
fn catalogue() -> Vec<(ArchConfig, usize, usize)> {
    vec![
        // 28 → 32 (first pad 3) → 16 → 8 → 4: 128·4·4; 32 → 4: the same.
        (ArchConfig::default(), 2048, 2048),
        // No pooling: 4·32·32 at both sizes.
        (
            convnet(4, 2, NormKind::Batch, PoolKind::None, Activation::Sigmoid),
            4096,
            4096,
        ),
        (
            convnet(8, 3, NormKind::Layer, PoolKind::Max, Activation::LeakyRelu),
            128,
            128,
        ),
        (
            convnet(8, 2, NormKind::None, PoolKind::Avg, Activation::Relu),
            512,
            512,
        ),
        (
            ArchConfig::Mlp {
                hidden: vec![32, 16],
            },
            16,
            16,
        ),
        (ArchConfig::LeNet, 84, 84),
        // 192·4·4 at both sizes (28 → 32 with the first pad 4).
        (ArchConfig::AlexNet, 3072, 3072),
        (
            ArchConfig::Vgg11 {
                norm: NormKind::Instance,
            },
            512,
            512,
        ),
        (
            ArchConfig::ResNet18 {
                norm: NormKind::Batch,
            },
            512,
            512,
        ),
    ]
}

fn input(shape: ImageShape, n: usize, seed: u64) -> Result<Tensor> {
    let (n, c, h, w) = shape.batch_dims(n);
    Ok(randn(&[n, c, h, w], &mut TrustRng::new(seed))?.to_dtype(DType::F32)?)
}

#[test]
fn every_architecture_has_the_documented_shapes() -> Result<()> {
    for (config, dim28, dim32) in catalogue() {
        for (shape, dim) in [
            (ImageShape::new(1, 28, 28), dim28),
            (ImageShape::new(3, 32, 32), dim32),
        ] {
            let mut net = Network::new(
                &config,
                shape,
                CLASSES,
                DType::F32,
                &Device::Cpu,
                &mut TrustRng::new(0),
            )?;
            let name = net.arch().name();
            assert_eq!(net.arch().embed_dim(), dim, "{name} at {shape}");
            let x = input(shape, 2, 1)?;
            assert_eq!(net.embed(&x, true)?.dims(), [2, dim], "{name} at {shape}");
            assert_eq!(
                net.forward(&x, false)?.dims(),
                [2, CLASSES],
                "{name} at {shape}"
            );
            let specs = net.arch().param_specs();
            assert_eq!(
                net.num_params(),
                specs.iter().map(|s| s.numel()).sum::<usize>()
            );
        }
    }
    Ok(())
}

#[test]
fn parameter_counts_match_the_pytorch_models() -> Result<()> {
    // ConvNet-3 (320 010), LeNet (62 006), AlexNet (1 872 202) and VGG11-BN (9 231 114) counted by
    // hand from the layer list; VGG11-BN and ResNet18-BN (11 173 962) are also the counts that
    // torchsummary prints for kuangliu/pytorch-cifar's models, which these follow.
    let cases = [
        (ArchConfig::default(), 320_010),
        (ArchConfig::LeNet, 62_006),
        (ArchConfig::AlexNet, 1_872_202),
        (
            ArchConfig::Vgg11 {
                norm: NormKind::Batch,
            },
            9_231_114,
        ),
        (
            ArchConfig::ResNet18 {
                norm: NormKind::Batch,
            },
            11_173_962,
        ),
    ];
    for (config, count) in cases {
        let arch = config.build(ImageShape::new(3, 32, 32), CLASSES)?;
        let n: usize = arch.param_specs().iter().map(|s| s.numel()).sum();
        assert_eq!(n, count, "{}", arch.name());
    }
    Ok(())
}

#[test]
fn cursor_catches_spec_forward_drift_for_every_architecture() -> Result<()> {
    let shape = ImageShape::new(3, 32, 32);
    let x = input(shape, 2, 2)?;
    for (config, _, _) in catalogue() {
        let net = Network::new(
            &config,
            shape,
            CLASSES,
            DType::F32,
            &Device::Cpu,
            &mut TrustRng::new(0),
        )?;
        let arch = net.arch();
        let mut buffers = net.buffers().to_vec();
        let params = net.detached_params();
        let run = |params: &[Tensor], buffers: &mut [Tensor]| -> trustdd_nn::Result<()> {
            let mut cursor = ParamCursor::new(params);
            let h = arch.embed(&mut cursor, Some(buffers), &x, false)?;
            arch.head(&mut cursor, &h)?;
            cursor.finish()
        };
        run(&params, &mut buffers)?;
        let mut extra = params.clone();
        extra.push(params[0].clone());
        assert!(
            run(&extra, &mut buffers).is_err(),
            "{}: an unread parameter must be an error",
            arch.name()
        );
        assert!(
            run(&params[..params.len() - 1], &mut buffers).is_err(),
            "{}: a missing parameter must be an error",
            arch.name()
        );
        assert!(net.forward_with(&extra, &x, false).is_err());
    }
    Ok(())
}

#[test]
fn init_follows_pytorch_defaults_and_the_seed() -> Result<()> {
    let config = convnet(6, 2, NormKind::Batch, PoolKind::Avg, Activation::Relu);
    let shape = ImageShape::new(3, 8, 8);
    let build = |dtype| {
        Network::new(
            &config,
            shape,
            CLASSES,
            dtype,
            &Device::Cpu,
            &mut TrustRng::new(42),
        )
    };
    let (a, b, c) = (build(DType::F32)?, build(DType::F32)?, build(DType::F64)?);
    let specs = a.arch().param_specs();
    for (i, spec) in specs.iter().enumerate() {
        let va = a.vars()[i].flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(
            va,
            b.vars()[i].flatten_all()?.to_vec1::<f32>()?,
            "same seed, same bytes"
        );
        let vc = c.vars()[i].flatten_all()?.to_vec1::<f64>()?;
        assert!(
            va.iter()
                .zip(&vc)
                .all(|(x, y)| (*x as f64 - y).abs() < 1e-7),
            "f32 and f64 draw the same values"
        );
        // fan_in by hand: conv 3·3·3 = 27, then 6·3·3 = 54; classifier 6·2·2 = 24 (8 → 4 → 2).
        let fan_in = match spec.name.as_str() {
            "features.0.conv.weight" | "features.0.conv.bias" => Some(27.0),
            "features.1.conv.weight" | "features.1.conv.bias" => Some(54.0),
            "classifier.weight" | "classifier.bias" => Some(24.0),
            _ => None,
        };
        match fan_in {
            Some(f) => {
                let bound = 1.0 / f64::sqrt(f);
                assert_eq!(spec.init, Init::Uniform(bound), "{}", spec.name);
                assert!(
                    vc.iter().all(|v| v.abs() <= bound) && vc.iter().any(|v| v.abs() > bound / 2.0)
                );
            }
            None if spec.name.ends_with("weight") => {
                assert!(vc.iter().all(|&v| v == 1.0), "{}", spec.name)
            }
            None => assert!(vc.iter().all(|&v| v == 0.0), "{}", spec.name),
        }
    }
    let buffers: Vec<Vec<f64>> = c
        .buffers()
        .iter()
        .map(|t| t.to_vec1())
        .collect::<candle_core::Result<_>>()?;
    assert_eq!(buffers.len(), 4);
    assert!(buffers[0].iter().all(|&v| v == 0.0) && buffers[1].iter().all(|&v| v == 1.0));
    Ok(())
}

#[test]
fn convnet3_gradients_match_finite_differences() -> Result<()> {
    let shape = ImageShape::new(3, 8, 8);
    let configs = [
        convnet(4, 3, NormKind::Instance, PoolKind::Avg, Activation::Relu),
        convnet(4, 3, NormKind::Batch, PoolKind::Max, Activation::LeakyRelu),
        convnet(4, 3, NormKind::Layer, PoolKind::Avg, Activation::Sigmoid),
    ];
    for config in configs {
        let mut rng = TrustRng::new(5);
        let net = Network::new(&config, shape, CLASSES, DType::F64, &Device::Cpu, &mut rng)?;
        let x = randn(&[2, 3, 8, 8], &mut rng)?;
        let mut inputs = vec![x];
        inputs.extend(net.detached_params());
        let f = |p: &[Tensor]| net.forward_with(&p[1..], &p[0], true);
        check_grads(&net.arch().name(), &f, &inputs, 6)?;
    }
    Ok(())
}
