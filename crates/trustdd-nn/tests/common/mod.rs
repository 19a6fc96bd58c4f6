//! Finite-difference gradient checking shared by the integration tests.
#![allow(dead_code)]

use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use trustdd_core::TrustRng;
use trustdd_nn::ops::{set_ops_mode, OpsMode};

/// Step of the central differences, in f64.
pub const FD_STEP: f64 = 1e-5;
/// Largest accepted `max|autodiff − finite difference| / max|finite difference|` for one tensor.
/// Central differences in f64 with step 1e-5 are accurate to ~1e-9 relative on smooth functions.
pub const GRAD_REL_TOL: f64 = 1e-6;
/// Absolute slack added to the relative tolerance: finite differences of a loss of size ~10 carry
/// roundoff of ~1e-16·10/[`FD_STEP`] = 1e-10, which is all there is for a gradient that is exactly
/// zero (a conv bias followed by instance or batch norm, which removes per-channel constants).
pub const GRAD_ABS_TOL: f64 = 1e-9;

/// `n` distinct values `(i − ⌊n/2⌋ + ½)·gap`, never 0, in random order: inputs of max pooling
/// and ReLU stay at least `gap/2` from ties and kinks, far beyond [`FD_STEP`].
pub fn separated(n: usize, gap: f64, rng: &mut TrustRng) -> Vec<f64> {
    let mut v: Vec<f64> = (0..n)
        .map(|i| ((i as f64) - (n / 2) as f64) * gap + gap / 2.0)
        .collect();
    rng.shuffle(&mut v);
    v
}

/// A tensor of N(0, 1) draws from `rng`, f64 on the CPU.
pub fn randn(shape: &[usize], rng: &mut TrustRng) -> Result<Tensor> {
    let n = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    Ok(Tensor::from_vec(v, shape, &Device::Cpu)?)
}

/// The scalar loss `Σ out ⊙ R` with `R` a fixed N(0, 1) tensor (seed 99) of `out`'s shape:
/// every output entry matters with a different weight.
pub fn weighted_sum(out: &Tensor) -> Result<Tensor> {
    let r = randn(out.dims(), &mut TrustRng::new(99))?;
    Ok((out * r)?.sum_all()?)
}

/// Central finite-difference derivative of `loss` w.r.t. entry `j` of input `k`.
pub fn fd_entry(
    loss: &dyn Fn(&[Tensor]) -> Result<f64>,
    inputs: &[Tensor],
    k: usize,
    j: usize,
    step: f64,
) -> Result<f64> {
    let shape = inputs[k].dims().to_vec();
    let base: Vec<f64> = inputs[k].flatten_all()?.to_vec1()?;
    let at = |delta: f64| -> Result<f64> {
        let mut v = base.clone();
        v[j] += delta;
        let mut moved = inputs.to_vec();
        moved[k] = Tensor::from_vec(v, shape.as_slice(), &Device::Cpu)?;
        loss(&moved)
    };
    Ok((at(step)? - at(-step)?) / (2.0 * step))
}

/// Relative error `max|a − n| / max|n|` between autodiff `a` and finite differences `n`.
pub fn rel_err(autodiff: &[f64], numeric: &[f64]) -> f64 {
    let scale = numeric.iter().fold(0f64, |m, v| m.max(v.abs())).max(1e-12);
    autodiff
        .iter()
        .zip(numeric)
        .fold(0f64, |m, (a, n)| m.max((a - n).abs()))
        / scale
}

/// Autodiff gradients of `weighted_sum(f(inputs))` for every input.
pub fn autodiff_grads(
    f: &dyn Fn(&[Tensor]) -> trustdd_nn::Result<Tensor>,
    inputs: &[Tensor],
) -> Result<Vec<Vec<f64>>> {
    let vars: Vec<Var> = inputs
        .iter()
        .map(Var::from_tensor)
        .collect::<candle_core::Result<_>>()?;
    let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let grads = weighted_sum(&f(&tensors)?)?.backward()?;
    vars.iter()
        .map(|v| {
            let g = grads
                .get(v)
                .ok_or_else(|| anyhow::anyhow!("no gradient reached an input"))?;
            Ok(g.flatten_all()?.to_vec1::<f64>()?)
        })
        .collect()
}

/// Checks the autodiff gradient of `weighted_sum(f(inputs))` w.r.t. every input against central
/// finite differences, on at most `max_entries` entries per input (evenly strided): the largest
/// difference must stay within `GRAD_REL_TOL·max|fd| + GRAD_ABS_TOL`. Runs the whole check in
/// each mode: the fast kernels ([`OpsMode::Fast`]), the twice-differentiable fast family
/// ([`OpsMode::Differentiable`]) and the stock candle ops ([`OpsMode::Stock`]). Returns the worst
/// relative error. Inputs must be f64.
pub fn check_grads(
    name: &str,
    f: &dyn Fn(&[Tensor]) -> trustdd_nn::Result<Tensor>,
    inputs: &[Tensor],
    max_entries: usize,
) -> Result<f64> {
    let mut worst = 0f64;
    for mode in [OpsMode::Fast, OpsMode::Differentiable, OpsMode::Stock] {
        let previous = set_ops_mode(mode);
        let result =
            check_grads_in_current_mode(&format!("{name} ({mode:?})"), f, inputs, max_entries);
        set_ops_mode(previous);
        worst = worst.max(result?);
    }
    Ok(worst)
}

/// [`check_grads`] in whatever mode the thread is in.
fn check_grads_in_current_mode(
    name: &str,
    f: &dyn Fn(&[Tensor]) -> trustdd_nn::Result<Tensor>,
    inputs: &[Tensor],
    max_entries: usize,
) -> Result<f64> {
    assert!(
        inputs.iter().all(|t| t.dtype() == DType::F64),
        "{name}: gradient checks run in f64"
    );
    let auto = autodiff_grads(f, inputs)?;
    let loss = |xs: &[Tensor]| -> Result<f64> { Ok(weighted_sum(&f(xs)?)?.to_scalar::<f64>()?) };
    let mut worst = 0f64;
    for (k, grad) in auto.iter().enumerate() {
        let n = grad.len();
        let stride = n.div_ceil(max_entries).max(1);
        let entries: Vec<usize> = (0..n).step_by(stride).collect();
        let numeric = entries
            .iter()
            .map(|&j| fd_entry(&loss, inputs, k, j, FD_STEP))
            .collect::<Result<Vec<_>>>()?;
        let picked: Vec<f64> = entries.iter().map(|&j| grad[j]).collect();
        let diff = picked
            .iter()
            .zip(&numeric)
            .fold(0f64, |m, (a, n)| m.max((a - n).abs()));
        let scale = numeric.iter().fold(0f64, |m, v| m.max(v.abs()));
        assert!(
            diff <= GRAD_REL_TOL * scale + GRAD_ABS_TOL,
            "{name}: input {k}: max difference {diff:.3e} for gradients of size {scale:.3e}\nautodiff {picked:?}\nnumeric  {numeric:?}"
        );
        worst = worst.max(rel_err(&picked, &numeric));
    }
    Ok(worst)
}
