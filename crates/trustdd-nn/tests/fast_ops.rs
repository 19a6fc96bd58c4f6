//! The fast CPU kernels against the stock candle ops (the differentiable path), forward and every
//! gradient, in f32 on random inputs: odd sizes, batch 1, stride 2, the 28×28 padding-3 first
//! convolution, convolution without bias.

use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use trustdd_core::TrustRng;
use trustdd_nn::ops::{self, differentiable_scope, OpsMode};

/// Largest accepted `max|fast − stock| / max|stock|` per tensor: both are f32 with sums of up to
/// ~10³ terms in different orders, so roundoff is ~10⁻⁶ relative; the issue asks for 1e-4.
const F32_REL_TOL: f32 = 1e-4;

fn randn(shape: &[usize], rng: &mut TrustRng) -> Result<Tensor> {
    let n = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
    Ok(Tensor::from_vec(v, shape, &Device::Cpu)?)
}

/// The output and the gradients of `Σ f(inputs) ⊙ R` (R fixed, seed 99) w.r.t. every input.
fn run(
    f: &dyn Fn(&[Tensor]) -> trustdd_nn::Result<Tensor>,
    inputs: &[Tensor],
) -> Result<Vec<Vec<f32>>> {
    let vars: Vec<Var> = inputs
        .iter()
        .map(Var::from_tensor)
        .collect::<candle_core::Result<_>>()?;
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let out = f(&ts)?;
    let r = randn(out.dims(), &mut TrustRng::new(99))?;
    let grads = (&out * r)?.sum_all()?.backward()?;
    let mut all = vec![out.flatten_all()?.to_vec1::<f32>()?];
    for v in &vars {
        let g = grads
            .get(v)
            .ok_or_else(|| anyhow::anyhow!("no gradient reached an input"))?;
        all.push(g.flatten_all()?.to_vec1::<f32>()?);
    }
    Ok(all)
}

/// Runs `f` on both paths and compares the output and every gradient.
fn compare(
    name: &str,
    f: &dyn Fn(&[Tensor]) -> trustdd_nn::Result<Tensor>,
    inputs: &[Tensor],
) -> Result<()> {
    assert_eq!(ops::ops_mode(), OpsMode::Fast);
    let fast = run(f, inputs)?;
    let stock = differentiable_scope(|| run(f, inputs))?;
    for (k, (a, b)) in fast.iter().zip(&stock).enumerate() {
        assert_eq!(a.len(), b.len(), "{name}: tensor {k} sizes");
        let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-30);
        let diff = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        let what = if k == 0 {
            "output".into()
        } else {
            format!("gradient of input {}", k - 1)
        };
        assert!(
            diff <= F32_REL_TOL * scale,
            "{name}: {what}: max difference {diff:.3e} at scale {scale:.3e}"
        );
    }
    Ok(())
}

#[test]
fn conv2d_fast_equals_stock() -> Result<()> {
    let mut rng = TrustRng::new(31);
    // (batch, C_in, H, W, C_out, stride, padding): ConvNet's 3×3 padding 1, an odd map, batch 1,
    // the 28×28 padding-3 first layer, stride 2 with mixed parity, no padding.
    for (n, ci, h, w, co, s, p) in [
        (3, 5, 8, 8, 7, 1, 1),
        (2, 3, 7, 5, 4, 1, 1),
        (1, 4, 9, 6, 3, 1, 1),
        (2, 1, 28, 28, 4, 1, 3),
        (2, 3, 7, 6, 4, 2, 1),
        (2, 2, 5, 5, 3, 1, 0),
    ] {
        let x = randn(&[n, ci, h, w], &mut rng)?;
        let wt = randn(&[co, ci, 3, 3], &mut rng)?;
        let b = randn(&[co], &mut rng)?;
        let f = |t: &[Tensor]| ops::conv2d(&t[0], &t[1], Some(&t[2]), s, p);
        compare(
            &format!("conv2d {n}x{ci}x{h}x{w} -> {co} s{s} p{p}"),
            &f,
            &[x.clone(), wt.clone(), b],
        )?;
        let g = |t: &[Tensor]| ops::conv2d(&t[0], &t[1], None, s, p);
        compare(
            &format!("conv2d without bias {n}x{ci}x{h}x{w}"),
            &g,
            &[x, wt],
        )?;
    }
    Ok(())
}

#[test]
fn instance_norm_fast_equals_stock() -> Result<()> {
    let mut rng = TrustRng::new(32);
    for shape in [[3, 4, 5, 3], [1, 2, 8, 8], [2, 3, 1, 7]] {
        // Offset and scale so the statistics are far from the trivial mean 0, variance 1.
        let x = randn(&shape, &mut rng)?.affine(3.0, 1.5)?;
        let gamma = randn(&[shape[1]], &mut rng)?;
        let beta = randn(&[shape[1]], &mut rng)?;
        let f = |t: &[Tensor]| ops::instance_norm(&t[0], &t[1], &t[2]);
        compare(&format!("instance_norm {shape:?}"), &f, &[x, gamma, beta])?;
    }
    Ok(())
}

#[test]
fn fused_norm_relu_pool_fast_equals_stock() -> Result<()> {
    // The stock side is the three separate stock layers.
    let mut rng = TrustRng::new(37);
    for shape in [[3, 4, 6, 8], [1, 2, 5, 7], [2, 3, 2, 3]] {
        let x = randn(&shape, &mut rng)?.affine(2.0, -0.5)?;
        let gamma = randn(&[shape[1]], &mut rng)?;
        let beta = randn(&[shape[1]], &mut rng)?;
        let f = |t: &[Tensor]| ops::instance_norm_relu_avg_pool(&t[0], &t[1], &t[2]);
        compare(
            &format!("instance_norm_relu_avg_pool {shape:?}"),
            &f,
            &[x, gamma, beta],
        )?;
    }
    Ok(())
}

#[test]
fn avg_pool_fast_equals_stock() -> Result<()> {
    let mut rng = TrustRng::new(33);
    for shape in [[2, 3, 8, 8], [1, 2, 5, 7], [2, 1, 2, 3]] {
        let x = randn(&shape, &mut rng)?;
        let f = |t: &[Tensor]| ops::avg_pool2d_2x2(&t[0]);
        compare(&format!("avg_pool2d_2x2 {shape:?}"), &f, &[x])?;
    }
    Ok(())
}

#[test]
fn relu_fast_equals_stock() -> Result<()> {
    // Includes exact zeros, where both paths pass the gradient (candle's mask is x ≥ 0).
    let mut rng = TrustRng::new(36);
    let x = (randn(&[2, 3, 4, 5], &mut rng)?.relu()? - 0.3)?.maximum(0.0)?;
    let y = randn(&[7], &mut rng)?;
    let f = |t: &[Tensor]| ops::relu(&t[0]);
    compare("relu with exact zeros", &f, std::slice::from_ref(&x))?;
    compare("relu with negatives", &f, &[(x - 0.2)?])?;
    compare("relu 1-D", &f, &[y])?;
    Ok(())
}

#[test]
fn fast_ops_take_strided_inputs() -> Result<()> {
    // A transposed (non-contiguous) input must give the same result as its contiguous copy.
    let mut rng = TrustRng::new(34);
    let x = randn(&[2, 3, 6, 5], &mut rng)?.transpose(2, 3)?;
    let w = randn(&[4, 3, 3, 3], &mut rng)?;
    let strided = ops::conv2d(&x, &w, None, 1, 1)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let dense = ops::conv2d(&x.contiguous()?, &w, None, 1, 1)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    assert_eq!(strided, dense);
    Ok(())
}

#[test]
fn fast_path_leaves_untracked_operands_without_gradient() -> Result<()> {
    // A frozen network (plain weight tensors) and a Var input: only the input gets a gradient,
    // and it equals the stock path's.
    let mut rng = TrustRng::new(35);
    let x = Var::from_tensor(&randn(&[2, 3, 6, 6], &mut rng)?)?;
    let w = randn(&[4, 3, 3, 3], &mut rng)?;
    let grad = |x: &Var| -> Result<Vec<f32>> {
        let y = ops::conv2d(x.as_tensor(), &w, None, 1, 1)?;
        let g = y.sqr()?.sum_all()?.backward()?;
        assert!(g.get(&w).is_none() || ops::ops_mode() == OpsMode::Differentiable);
        Ok(g.get(x)
            .expect("input gradient")
            .flatten_all()?
            .to_vec1::<f32>()?)
    };
    let fast = grad(&x)?;
    let stock = differentiable_scope(|| grad(&x))?;
    let scale = stock.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = fast
        .iter()
        .zip(&stock)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        diff <= F32_REL_TOL * scale,
        "{diff:.3e} at scale {scale:.3e}"
    );
    assert_eq!(x.dtype(), DType::F32);
    Ok(())
}
