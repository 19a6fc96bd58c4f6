//! Second derivatives on the twice-differentiable fast convolution ([`OpsMode::Differentiable`])
//! against finite differences of first-order gradients from the stock candle ops
//! ([`OpsMode::Stock`], an independent implementation), in f64: Hessian-vector products and the
//! mixed pixel/parameter derivatives, for the convolution alone (several geometries) and for the
//! whole ConvNet-3.
//!
//! candle keeps the graph of a backward pass only on a thread that saw
//! `CANDLE_GRAD_DO_NOT_DETACH=1` before its first backward, so each check runs on a fresh thread
//! that sets it. This file is its own test binary; every test in it wants the flag.

mod common;

use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use common::{randn, rel_err, weighted_sum, GRAD_ABS_TOL};
use trustdd_core::{ImageShape, TrustRng};
use trustdd_nn::ops::{self, set_ops_mode, FastKernelCalls, OpCalls, OpsMode};
use trustdd_nn::{ArchConfig, ConvNetConfig, Network};

/// Step of the central differences of the gradient (f64).
const FD_STEP: f64 = 1e-5;
/// `max|autodiff − fd| / max|fd|`: the differences of an exact gradient are accurate to ~1e-9.
const TOL: f64 = 1e-6;

type Scalar<'a> = dyn Fn(&[Tensor]) -> Result<Tensor> + 'a;

/// Runs `f` on a fresh thread where candle keeps the graph of backward passes.
fn on_second_order_thread<R: Send + 'static>(f: impl FnOnce() -> Result<R> + Send + 'static) -> R {
    std::thread::spawn(move || {
        std::env::set_var("CANDLE_GRAD_DO_NOT_DETACH", "1");
        f()
    })
    .join()
    .expect("second-order check panicked")
    .expect("second-order check failed")
}

fn f64s(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.flatten_all()?.to_vec1::<f64>()?)
}

/// `H·v` of `f` at `inputs` (all inputs as one vector) by double backward in the current mode.
fn hvp_autodiff(f: &Scalar<'_>, inputs: &[Tensor], v: &[Tensor]) -> Result<Vec<Vec<f64>>> {
    let vars: Vec<Var> = inputs
        .iter()
        .map(Var::from_tensor)
        .collect::<Result<_, _>>()?;
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let grads = f(&ts)?.backward()?;
    let mut s = Tensor::zeros((), DType::F64, &Device::Cpu)?;
    for (var, dir) in vars.iter().zip(v) {
        let g = grads.get(var).expect("first-order gradient");
        s = (s + (g * dir)?.sum_all()?)?;
    }
    let second = s.backward()?;
    vars.iter()
        .map(|var| match second.get(var) {
            Some(g) => f64s(g),
            None => Ok(vec![0.0; var.elem_count()]),
        })
        .collect()
}

/// `(∇f(inputs + h·v) − ∇f(inputs − h·v)) / 2h` with first-order gradients of the stock ops.
fn hvp_fd(f: &Scalar<'_>, inputs: &[Tensor], v: &[Tensor]) -> Result<Vec<Vec<f64>>> {
    let previous = set_ops_mode(OpsMode::Stock);
    let grad_at = |sign: f64| -> Result<Vec<Vec<f64>>> {
        let vars: Vec<Var> = inputs
            .iter()
            .zip(v)
            .map(|(x, d)| Var::from_tensor(&(x + d.affine(sign * FD_STEP, 0.0)?)?))
            .collect::<Result<_, _>>()?;
        let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let grads = f(&ts)?.backward()?;
        vars.iter()
            .map(|var| f64s(grads.get(var).expect("stock gradient")))
            .collect()
    };
    let (plus, minus) = (grad_at(1.0), grad_at(-1.0));
    set_ops_mode(previous);
    Ok(plus?
        .iter()
        .zip(&minus?)
        .map(|(p, m)| {
            p.iter()
                .zip(m)
                .map(|(a, b)| (a - b) / (2.0 * FD_STEP))
                .collect()
        })
        .collect())
}

/// Compares the two, input by input, and checks that the fast family ran both as the forward
/// op and inside the backward being differentiated. Returns the worst relative error.
fn check(name: &str, f: &Scalar<'_>, inputs: &[Tensor], v: &[Tensor]) -> Result<f64> {
    check_on(name, f, inputs, v, |c| c.conv_twice)
}

/// [`check`], counting the calls of the fast op `kernel` picks.
fn check_on(
    name: &str,
    f: &Scalar<'_>,
    inputs: &[Tensor],
    v: &[Tensor],
    kernel: fn(&FastKernelCalls) -> OpCalls,
) -> Result<f64> {
    let previous = set_ops_mode(OpsMode::Differentiable);
    let before = kernel(&ops::fast_kernel_calls());
    let auto = hvp_autodiff(f, inputs, v);
    let after = kernel(&ops::fast_kernel_calls());
    set_ops_mode(previous);
    let auto = auto?;
    assert!(
        after.forward >= before.forward + 2 && after.backward >= before.backward + 2,
        "{name}: the fast op did not run twice over ({before:?} -> {after:?})"
    );
    let numeric = hvp_fd(f, inputs, v)?;
    let mut worst = 0f64;
    for (k, (a, n)) in auto.iter().zip(&numeric).enumerate() {
        let scale = n.iter().fold(0f64, |m, x| m.max(x.abs()));
        let diff = a.iter().zip(n).fold(0f64, |m, (x, y)| m.max((x - y).abs()));
        // The absolute slack covers rows that are exactly zero (a conv bias before instance
        // norm), where the finite differences hold rounding alone.
        assert!(
            diff <= TOL * scale + GRAD_ABS_TOL,
            "{name}: input {k}: max difference {diff:.3e} for values of size {scale:.3e}"
        );
        if scale > 1e-6 {
            worst = worst.max(rel_err(a, n));
        }
    }
    Ok(worst)
}

#[test]
fn convolution_hessian_vector_products_match_finite_differences() {
    on_second_order_thread(|| {
        let mut rng = TrustRng::new(41);
        // (input n, c_in, h, w; weight c_out, kh, kw; stride; padding): square and not, strided,
        // ConvNet's padding 3 on a small map, a 1×1 kernel, and different remainders of H and W.
        let cases = [
            ([2, 3, 7, 9], [4, 3, 3], 1, 1),
            ([2, 2, 8, 7], [3, 3, 2], 2, 0),
            ([1, 1, 6, 6], [3, 3, 3], 1, 3),
            ([3, 4, 5, 5], [2, 1, 1], 1, 0),
            ([2, 2, 9, 8], [3, 3, 3], 2, 1),
        ];
        for ([n, c_in, h, w], [c_out, kh, kw], stride, padding) in cases {
            let x = randn(&[n, c_in, h, w], &mut rng)?;
            let wt = randn(&[c_out, c_in, kh, kw], &mut rng)?;
            let b = randn(&[c_out], &mut rng)?;
            // tanh makes the second derivative in x and w non-trivial (conv is bilinear).
            let f = move |t: &[Tensor]| -> Result<Tensor> {
                let y = ops::conv2d(&t[0], &t[1], Some(&t[2]), stride, padding)?;
                weighted_sum(&y.tanh()?)
            };
            let inputs = [x, wt, b];
            let v: Vec<Tensor> = inputs
                .iter()
                .map(|t| randn(t.dims(), &mut rng))
                .collect::<Result<_>>()?;
            let name = format!("conv {n}x{c_in}x{h}x{w} * {c_out}x{kh}x{kw} s{stride} p{padding}");
            check(&name, &f, &inputs, &v)?;
        }
        Ok(())
    });
}

#[test]
fn norm_relu_pool_block_hessian_vector_products_match_finite_differences() {
    on_second_order_thread(|| {
        let mut rng = TrustRng::new(42);
        // Even and odd planes (floor mode drops the last row/column), one and several channels.
        for [n, c, h, w] in [[2, 3, 6, 8], [3, 2, 7, 9], [1, 1, 4, 4]] {
            let x = randn(&[n, c, h, w], &mut rng)?;
            // γ of both signs and β off zero so that the ReLU keeps part of every plane.
            let gamma = randn(&[c], &mut rng)?;
            let beta = randn(&[c], &mut rng)?.affine(0.3, 0.2)?;
            let f = |t: &[Tensor]| -> Result<Tensor> {
                let y = ops::instance_norm_relu_avg_pool(&t[0], &t[1], &t[2])?;
                // A square keeps the second derivative in the upstream gradient non-trivial.
                weighted_sum(&y.sqr()?)
            };
            let inputs = [x, gamma, beta];
            let v: Vec<Tensor> = inputs
                .iter()
                .map(|t| randn(t.dims(), &mut rng))
                .collect::<Result<_>>()?;
            check_on(&format!("block {n}x{c}x{h}x{w}"), &f, &inputs, &v, |k| {
                k.norm_relu_pool_twice
            })?;
        }
        Ok(())
    });
}

/// ConvNet-3 (instance norm, ReLU, average pooling), its cross-entropy on hard labels as a
/// function of `[x, θ...]`, and the inputs.
fn convnet_case() -> Result<(Network, Tensor, Vec<Tensor>)> {
    let mut rng = TrustRng::new(43);
    let arch = ArchConfig::ConvNet(ConvNetConfig {
        width: 4,
        depth: 3,
        ..ConvNetConfig::default()
    });
    let net = Network::new(
        &arch,
        ImageShape::new(2, 16, 16),
        3,
        DType::F64,
        &Device::Cpu,
        &mut rng,
    )?;
    let labels = Tensor::new(&[0u32, 1, 2, 1], &Device::Cpu)?;
    let mut inputs = vec![randn(&[4, 2, 16, 16], &mut rng)?];
    inputs.extend(net.detached_params());
    Ok((net, labels, inputs))
}

fn cross_entropy<'a>(
    net: &'a Network,
    labels: &'a Tensor,
) -> impl Fn(&[Tensor]) -> Result<Tensor> + 'a {
    move |t: &[Tensor]| -> Result<Tensor> {
        let logits = net.forward_with(&t[1..], &t[0], true)?;
        let logp = candle_nn::ops::log_softmax(&logits, 1)?;
        let picked = logp.gather(&labels.unsqueeze(1)?, 1)?;
        Ok(picked.mean_all()?.neg()?)
    }
}

#[test]
fn convnet_hessian_vector_products_and_mixed_derivatives_match_finite_differences() {
    on_second_order_thread(|| {
        let (net, labels, inputs) = convnet_case()?;
        let f = cross_entropy(&net, &labels);
        let mut rng = TrustRng::new(44);
        let random: Vec<Tensor> = inputs
            .iter()
            .map(|t| randn(t.dims(), &mut rng))
            .collect::<Result<_>>()?;
        let zero = |t: &Tensor| t.zeros_like();
        // A direction in θ only: the θ rows are H_θθ·v, the pixel row the mixed ∂²L/∂x∂θ·v.
        let mut theta_only = random.clone();
        theta_only[0] = zero(&random[0])?;
        check("ConvNet-3, θ direction", &f, &inputs, &theta_only)?;
        // A direction in the pixels only: H_xx·v and the mixed ∂²L/∂θ∂x·v.
        let mut pixels_only: Vec<Tensor> = random.iter().map(zero).collect::<Result<_, _>>()?;
        pixels_only[0] = random[0].clone();
        check_on(
            "ConvNet-3, pixel direction",
            &f,
            &inputs,
            &pixels_only,
            |k| k.norm_relu_pool_twice,
        )?;
        Ok(())
    });
}
