//! Second-order autodiff through ConvNet: ∇x ‖∇θ L‖² against finite differences of ‖∇θ L‖².
//!
//! candle only keeps the graph of a backward pass when `CANDLE_GRAD_DO_NOT_DETACH=1` is set before
//! a thread first runs backward (the flag is read once per thread), so the check runs in a fresh
//! thread that sets it first. This file is its own test binary, so no other test sees the flag.

mod common;

use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use common::{fd_entry, randn, rel_err, weighted_sum, FD_STEP};
use trustdd_core::{ImageShape, TrustRng};
use trustdd_nn::ops::{set_ops_mode, OpsMode};
use trustdd_nn::{Activation, ArchConfig, ConvNetConfig, Network, NormKind, PoolKind};

/// Tolerance of the second-order check: the finite differences are taken of a quantity that is
/// itself a (first-order, exact to rounding) gradient, so the same accuracy as first order holds.
const SECOND_ORDER_REL_TOL: f64 = 1e-6;

/// ‖∇θ L(x)‖² with `L = weighted_sum(f_θ(x))`, keeping the graph back to `x` and θ.
fn grad_norm_sq(net: &Network, params: &[Var], x: &Tensor) -> Result<Tensor> {
    let ts: Vec<Tensor> = params.iter().map(|v| v.as_tensor().clone()).collect();
    let grads = weighted_sum(&net.forward_with(&ts, x, true)?)?.backward()?;
    let mut total = Tensor::zeros((), DType::F64, &Device::Cpu)?;
    for v in params {
        total = (total + grads.get(v).expect("parameter gradient").sqr()?.sum_all()?)?;
    }
    Ok(total)
}

fn check(config: ConvNetConfig) -> Result<f64> {
    let mut rng = TrustRng::new(21);
    let shape = ImageShape::new(2, 8, 8);
    let net = Network::new(
        &ArchConfig::ConvNet(config),
        shape,
        3,
        DType::F64,
        &Device::Cpu,
        &mut rng,
    )?;
    let params: Vec<Var> = net
        .detached_params()
        .iter()
        .map(Var::from_tensor)
        .collect::<candle_core::Result<_>>()?;
    let x = randn(&[2, 2, 8, 8], &mut rng)?;
    let x_var = Var::from_tensor(&x)?;
    let g = grad_norm_sq(&net, &params, x_var.as_tensor())?.backward()?;
    // With detaching on, no gradient may reach x at all: count that as zeros (a wrong answer).
    let auto = match g.get(&x_var) {
        Some(g) => g.flatten_all()?.to_vec1::<f64>()?,
        None => vec![0.0; x.elem_count()],
    };
    let loss = |xs: &[Tensor]| -> Result<f64> {
        Ok(grad_norm_sq(&net, &params, &xs[0])?.to_scalar::<f64>()?)
    };
    let entries: Vec<usize> = (0..auto.len()).step_by(11).collect();
    let numeric = entries
        .iter()
        .map(|&j| fd_entry(&loss, std::slice::from_ref(&x), 0, j, FD_STEP))
        .collect::<Result<Vec<_>>>()?;
    let picked: Vec<f64> = entries.iter().map(|&j| auto[j]).collect();
    Ok(rel_err(&picked, &numeric))
}

#[test]
fn input_gradient_of_parameter_gradient_norm_matches_finite_differences() {
    // First, without the flag (this thread never sets it): candle's default detaching must give a
    // wrong second-order gradient, which is why the flag matters.
    let plain = NormKind::Instance;
    let default_mode = std::thread::spawn(move || -> Result<f64> {
        check(ConvNetConfig {
            width: 3,
            depth: 2,
            norm: plain,
            pool: PoolKind::Avg,
            activation: Activation::Relu,
        })
    });
    let err = default_mode
        .join()
        .expect("default-mode check panicked")
        .expect("default-mode check failed");
    assert!(
        err > 0.1,
        "second order is right even without CANDLE_GRAD_DO_NOT_DETACH (error {err:.3e})"
    );
    let worker = std::thread::spawn(|| -> Result<()> {
        std::env::set_var("CANDLE_GRAD_DO_NOT_DETACH", "1");
        let configs = [
            (NormKind::Instance, PoolKind::Avg, Activation::Relu),
            (NormKind::Batch, PoolKind::Max, Activation::LeakyRelu),
            (NormKind::Layer, PoolKind::Max, Activation::Sigmoid),
        ];
        // The twice-differentiable fast convolution, and the stock ops throughout.
        for mode in [OpsMode::Differentiable, OpsMode::Stock] {
            let previous = set_ops_mode(mode);
            for (norm, pool, activation) in configs {
                let err = check(ConvNetConfig {
                    width: 3,
                    depth: 2,
                    norm,
                    pool,
                    activation,
                })?;
                assert!(
                    err < SECOND_ORDER_REL_TOL,
                    "{mode:?} {norm:?}/{pool:?}/{activation:?}: relative error {err:.3e}"
                );
            }
            set_ops_mode(previous);
        }
        Ok(())
    });
    worker
        .join()
        .expect("second-order check panicked")
        .expect("second-order check failed");
}
