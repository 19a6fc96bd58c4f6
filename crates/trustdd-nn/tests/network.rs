//! The `Network` wrapper: flat parameter vectors, loading, detaching, batch-norm buffers.

use crate::common;

use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use common::{randn, rel_err, weighted_sum};
use trustdd_core::{ImageShape, TrustRng};
use trustdd_nn::{ops, Activation, ArchConfig, ConvNetConfig, Network, NormKind, PoolKind};

fn small(norm: NormKind) -> Result<Network> {
    let config = ArchConfig::ConvNet(ConvNetConfig {
        width: 4,
        depth: 2,
        norm,
        pool: PoolKind::Avg,
        activation: Activation::Relu,
    });
    Ok(Network::new(
        &config,
        ImageShape::new(3, 8, 8),
        5,
        DType::F64,
        &Device::Cpu,
        &mut TrustRng::new(3),
    )?)
}

fn values(ts: &[Tensor]) -> Result<Vec<f64>> {
    Ok(Network::flatten(ts)?.to_vec1()?)
}

#[test]
fn flatten_unflatten_round_trip_and_gradient_flow() -> Result<()> {
    let mut net = small(NormKind::Instance)?;
    let params = net.detached_params();
    let flat = Network::flatten(&params)?;
    assert_eq!(flat.dims(), [net.num_params()]);
    assert_eq!(values(&net.unflatten(&flat)?)?, values(&params)?);
    // The gradient w.r.t. the flat vector equals the per-tensor gradients, flattened.
    let x = randn(&[2, 3, 8, 8], &mut TrustRng::new(4))?;
    let flat_var = Var::from_tensor(&flat)?;
    let g_flat =
        weighted_sum(&net.forward_with(&net.unflatten(flat_var.as_tensor())?, &x, true)?)?
            .backward()?;
    let g_flat = g_flat.get(&flat_var).expect("gradient").to_vec1::<f64>()?;
    let grads = weighted_sum(&net.forward(&x, true)?)?.backward()?;
    let per_tensor: Vec<Tensor> = net
        .vars()
        .iter()
        .map(|v| grads.get(v).expect("gradient").clone())
        .collect();
    assert!(rel_err(&g_flat, &values(&per_tensor)?) < 1e-12);
    // And flatten passes gradients back to each tensor: d(Σ flatten(p)·r)/dp = r, cut to shape.
    let vars: Vec<Var> = params
        .iter()
        .map(Var::from_tensor)
        .collect::<candle_core::Result<_>>()?;
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let r = randn(&[net.num_params()], &mut TrustRng::new(6))?;
    let g = (Network::flatten(&ts)? * &r)?.sum_all()?.backward()?;
    let back: Vec<Tensor> = vars
        .iter()
        .map(|v| g.get(v).expect("gradient").clone())
        .collect();
    assert_eq!(values(&back)?, r.to_vec1::<f64>()?);
    Ok(())
}

#[test]
fn load_flat_overwrites_and_detached_copies_stay() -> Result<()> {
    let net = small(NormKind::Instance)?;
    let before = net.detached_params();
    let shifted = (Network::flatten(&before)? + 1.0)?;
    net.load_flat(&shifted.to_dtype(DType::F32)?)?;
    let now = values(&net.params())?;
    let want = shifted
        .to_dtype(DType::F32)?
        .to_dtype(DType::F64)?
        .to_vec1::<f64>()?;
    assert_eq!(now, want);
    assert_eq!(
        values(&before)?.iter().map(|v| v + 1.0).collect::<Vec<_>>(),
        shifted.to_vec1::<f64>()?,
        "detached copies unchanged"
    );
    assert!(net
        .load_flat(&Tensor::zeros(3, DType::F64, &Device::Cpu)?)
        .is_err());
    Ok(())
}

#[test]
fn wrong_parameter_shapes_are_named() -> Result<()> {
    let net = small(NormKind::Instance)?;
    let mut params = net.detached_params();
    params[1] = Tensor::zeros(7, DType::F64, &Device::Cpu)?;
    let x = randn(&[1, 3, 8, 8], &mut TrustRng::new(1))?;
    let err = net
        .forward_with(&params, &x, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("features.0.conv.bias"), "{err}");
    Ok(())
}

#[test]
fn batch_norm_buffers_update_only_in_stateful_training() -> Result<()> {
    let mut net = small(NormKind::Batch)?;
    let x = randn(&[4, 3, 8, 8], &mut TrustRng::new(2))?;
    let initial = values(net.buffers())?;
    net.forward_with(&net.params(), &x, true)?;
    net.forward(&x, false)?;
    assert_eq!(
        values(net.buffers())?,
        initial,
        "functional and eval passes never write buffers"
    );
    net.forward(&x, true)?;
    // Independent check of the first running mean: 0.9·0 + 0.1·(per-channel mean of conv1(x)).
    let p = net.detached_params();
    let conv = ops::conv2d(&x, &p[0], Some(&p[1]), 1, 1)?;
    let want = (conv.mean((0, 2, 3))? * 0.1)?.to_vec1::<f64>()?;
    let got = net.buffers()[0].to_vec1::<f64>()?;
    assert!(rel_err(&got, &want) < 1e-12);
    // Evaluation now normalises with these statistics, so it differs from the training output.
    let train = net
        .forward_with(&p, &x, true)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    let eval = net
        .forward_with(&p, &x, false)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    assert!(rel_err(&eval, &train) > 1e-3);
    assert!(!net.buffers()[0].track_op(), "buffers hold no graph");
    Ok(())
}

#[test]
fn absurd_width_is_a_typed_error_before_any_allocation() {
    // Width 5,000,000: the second convolution alone would be 5e6² × 9 f32s (900 TB). The
    // allocator would abort the process; the check must answer first, naming the size.
    let arch = trustdd_nn::ArchConfig::ConvNet(trustdd_nn::ConvNetConfig {
        width: 5_000_000,
        ..trustdd_nn::ConvNetConfig::default()
    });
    let err = trustdd_nn::Network::new(
        &arch,
        trustdd_core::ImageShape::new(1, 28, 28),
        10,
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
        &mut trustdd_core::TrustRng::new(0),
    )
    .expect_err("a 900 TB network cannot be built");
    let text = err.to_string();
    assert!(text.contains("network size"), "{text}");
    assert!(text.contains("bytes"), "{text}");
}
