//! The objective losses pinned BY VALUE on tiny fixed inputs (f64), against independent
//! replays: hand arithmetic, or plain `f64` loops that use no candle op. The gradient tests
//! (`dm_gradient.rs`, `mtt_gradient.rs`, …) only show that autodiff agrees with whatever the code
//! computes; these show the code computes DM, the DC/DSA matching distance, the outlier-exposure
//! matching distance and MTT's normalised trajectory loss.
//!
//! Networks: `Mlp { hidden: [] }` (the embedding is the flattened image, the logits `W x + b`)
//! where a loss must be replayed through a gradient, and ConvNet-1 with batch norm (conv 3×3,
//! pad 1 → BN → ReLU, no pooling) where the train/eval flag must be pinned.

use crate::common;

use anyhow::Result;
use candle_core::{Device, Tensor, Var};
use common::wrap;
use trustdd_core::{ImageShape, TrustRng};
use trustdd_distill::{
    dm_loss, matching_loss, second_order, trajectory_loss, uniform_matching_loss, StudentLabels,
    StudentStep, COSINE_EPS,
};
use trustdd_nn::{Activation, ArchConfig, ConvNetConfig, Network, NormKind, PoolKind};

/// Relative tolerance of a replayed value (f64).
const REL_TOL: f64 = 1e-10;

fn assert_close(got: f64, want: f64, what: &str) {
    let rel = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        rel < REL_TOL,
        "{what}: got {got:.17e}, want {want:.17e} (relative error {rel:.3e})"
    );
}

fn t(v: &[f64], shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_vec(v.to_vec(), shape, &Device::Cpu)?)
}

fn scalar(x: &Tensor) -> Result<f64> {
    Ok(x.to_scalar::<f64>()?)
}

/// `Mlp { hidden: [] }` for `d` inputs (image 1×1×d) and `k` classes: parameters `W` (k×d), `b`.
fn linear_net(d: usize, k: usize) -> Result<Network> {
    Ok(Network::new(
        &ArchConfig::Mlp { hidden: vec![] },
        ImageShape::new(1, 1, d),
        k,
        candle_core::DType::F64,
        &Device::Cpu,
        &mut TrustRng::new(0),
    )?)
}

// ---------------------------------------------------------------------------------------------
// Plain f64 replays (no candle).

fn softmax(z: &[f64]) -> Vec<f64> {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Logits `W x + b` of a linear classifier, `w` row-major k×d.
fn linear_logits(w: &[f64], b: &[f64], x: &[f64]) -> Vec<f64> {
    let d = x.len();
    b.iter()
        .enumerate()
        .map(|(k, bk)| bk + (0..d).map(|j| w[k * d + j] * x[j]).sum::<f64>())
        .collect()
}

/// Gradient `(∂W, ∂b)` of `mean_i −Σ_k q_ik log softmax(W x_i + b)_k`, that is
/// `∂W_kj = mean_i (p_ik − q_ik) x_ij`, `∂b_k = mean_i (p_ik − q_ik)`.
fn linear_ce_grad(w: &[f64], b: &[f64], xs: &[Vec<f64>], qs: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let (k, d, n) = (b.len(), xs[0].len(), xs.len() as f64);
    let mut gw = vec![0.0; k * d];
    let mut gb = vec![0.0; k];
    for (x, q) in xs.iter().zip(qs) {
        let p = softmax(&linear_logits(w, b, x));
        for c in 0..k {
            let r = (p[c] - q[c]) / n;
            gb[c] += r;
            for j in 0..d {
                gw[c * d + j] += r * x[j];
            }
        }
    }
    (gw, gb)
}

fn one_hot(c: usize, k: usize) -> Vec<f64> {
    (0..k).map(|i| if i == c { 1.0 } else { 0.0 }).collect()
}

/// `Σ_rows 1 − r·s / (‖r‖‖s‖ + 1e-6)` of two k×d matrices (row-major): `distance_wb` of
/// VICO-UoE/DatasetCondensation `utils.py` for a 2-D (linear) weight.
fn distance_wb(r: &[f64], s: &[f64], k: usize) -> f64 {
    let d = r.len() / k;
    (0..k)
        .map(|row| {
            let (a, b) = (&r[row * d..(row + 1) * d], &s[row * d..(row + 1) * d]);
            let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
            let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
            1.0 - dot / (na * nb + 1e-6)
        })
        .sum()
}

/// A deterministic "random" value for index `i` (fixed inputs without an RNG).
fn val(i: usize, scale: f64, shift: f64) -> f64 {
    ((i as f64) * 0.731 + shift).sin() * scale
}

// ---------------------------------------------------------------------------------------------
// DM.

/// DM with the identity embedding, by hand:
/// class 0: real (1,2), (3,4), (5,0) → mean (3,2); syn (0.5,1), (1.5,−1) → mean (1,0);
///          ‖(2,2)‖² = 8.
/// class 1: real (−1,0), (1,2) → mean (0,1); syn (2,2) → mean (2,2); ‖(−2,−1)‖² = 5.
/// DM = 8 + 5 = 13. ∂/∂syn_j = −(2/m)(mean_real − mean_syn): class 0 each syn row (−2,−2),
/// class 1 (4,2). The real images get NO gradient (their mean is detached).
#[test]
fn dm_loss_identity_embedding_by_hand() -> Result<()> {
    let net = linear_net(2, 2)?;
    let params = net.detached_params();
    let real0 = Var::from_tensor(&t(&[1., 2., 3., 4., 5., 0.], &[3, 1, 1, 2])?)?;
    let syn0 = Var::from_tensor(&t(&[0.5, 1., 1.5, -1.], &[2, 1, 1, 2])?)?;
    let real1 = Var::from_tensor(&t(&[-1., 0., 1., 2.], &[2, 1, 1, 2])?)?;
    let syn1 = Var::from_tensor(&t(&[2., 2.], &[1, 1, 1, 2])?)?;
    let pairs = [
        (real0.as_tensor().clone(), syn0.as_tensor().clone()),
        (real1.as_tensor().clone(), syn1.as_tensor().clone()),
    ];
    let loss = dm_loss(&net, &params, &pairs)?;
    assert_close(scalar(&loss)?, 13.0, "DM value");
    let grads = loss.backward()?;
    for (real, name) in [(&real0, "class 0"), (&real1, "class 1")] {
        assert!(
            grads.get(real.as_tensor()).is_none(),
            "{name}: a gradient reached the real images (their embedding mean must be detached)"
        );
    }
    let g0 = grads
        .get(syn0.as_tensor())
        .expect("syn 0 gradient")
        .flatten_all()?
        .to_vec1::<f64>()?;
    let g1 = grads
        .get(syn1.as_tensor())
        .expect("syn 1 gradient")
        .flatten_all()?
        .to_vec1::<f64>()?;
    for (got, want) in g0.iter().zip([-2., -2., -2., -2.]) {
        assert_close(*got, want, "DM ∂/∂syn class 0");
    }
    for (got, want) in g1.iter().zip([4., 2.]) {
        assert_close(*got, want, "DM ∂/∂syn class 1");
    }
    Ok(())
}

/// ConvNet-1 (width 2, batch norm, ReLU, no pooling) on 1×2×2 images, replayed in plain loops:
/// conv 3×3 pad 1 with bias, then batch norm in TRAINING mode (each batch standardised with its
/// own per-channel mean and biased variance over N×H×W, ε = 1e-5, then γ, β), ReLU, flatten
/// (C, H, W). Real and synthetic batches are embedded separately, as the reference DM does.
fn convnet_bn_embed(params: &[Vec<f64>], xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let (cw, cb, gamma, beta) = (&params[0], &params[1], &params[2], &params[3]);
    let (h, w, width) = (2usize, 2usize, 2usize);
    let conv: Vec<Vec<f64>> = xs
        .iter()
        .map(|x| {
            let mut out = vec![0.0; width * h * w];
            for o in 0..width {
                for y in 0..h {
                    for xx in 0..w {
                        let mut s = cb[o];
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let (iy, ix) =
                                    (y as i64 + ky as i64 - 1, xx as i64 + kx as i64 - 1);
                                if (0..h as i64).contains(&iy) && (0..w as i64).contains(&ix) {
                                    s += cw[o * 9 + ky * 3 + kx] * x[iy as usize * w + ix as usize];
                                }
                            }
                        }
                        out[o * h * w + y * w + xx] = s;
                    }
                }
            }
            out
        })
        .collect();
    let n = (xs.len() * h * w) as f64;
    let mut out = conv.clone();
    for o in 0..width {
        let vals = || {
            conv.iter()
                .flat_map(|c| c[o * h * w..(o + 1) * h * w].iter())
        };
        let mean = vals().sum::<f64>() / n;
        let var = vals().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        for (i, c) in conv.iter().enumerate() {
            for p in 0..h * w {
                let z = (c[o * h * w + p] - mean) / (var + 1e-5).sqrt() * gamma[o] + beta[o];
                out[i][o * h * w + p] = z.max(0.0);
            }
        }
    }
    out
}

fn mean_rows(rows: &[Vec<f64>]) -> Vec<f64> {
    let n = rows.len() as f64;
    (0..rows[0].len())
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect()
}

/// DM through a batch-norm ConvNet equals the loop replay in TRAINING mode (evaluation mode would
/// normalise with the running statistics 0 and 1 and give a different value).
#[test]
fn dm_loss_batch_norm_convnet_matches_loop_replay() -> Result<()> {
    let net = bn_convnet()?;
    // conv weight 2×1×3×3, conv bias 2, γ 2, β 2, classifier 2×8 and 2 (unused by the embedding).
    let host: Vec<Vec<f64>> = vec![
        (0..18).map(|i| val(i, 0.8, 0.3)).collect(),
        vec![0.1, -0.25],
        vec![1.5, 0.7],
        vec![0.2, -0.1],
        (0..16).map(|i| val(i, 0.5, 1.1)).collect(),
        vec![0.0, 0.0],
    ];
    let specs = net.arch().param_specs();
    let params = host
        .iter()
        .zip(&specs)
        .map(|(v, s)| t(v, &s.shape))
        .collect::<Result<Vec<_>>>()?;
    let batch = |n: usize, seed: f64| -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| (0..4).map(|p| val(i * 4 + p, 1.0, seed)).collect())
            .collect()
    };
    let data = [
        (batch(3, 0.0), batch(2, 2.0)),
        (batch(4, 5.0), batch(2, 7.0)),
    ];
    let mut pairs = Vec::new();
    let mut want = 0.0;
    for (real, syn) in &data {
        let flat = |b: &[Vec<f64>]| -> Result<Tensor> { t(&b.concat(), &[b.len(), 1, 2, 2]) };
        pairs.push((flat(real)?, flat(syn)?));
        let mr = mean_rows(&convnet_bn_embed(&host, real));
        let ms = mean_rows(&convnet_bn_embed(&host, syn));
        want += mr
            .iter()
            .zip(&ms)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>();
    }
    assert!(want > 0.1, "degenerate fixture: {want}");
    let got = scalar(&dm_loss(&net, &params, &pairs)?)?;
    assert_close(got, want, "DM value (batch-norm ConvNet, training mode)");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// DC/DSA and outlier-exposure gradient matching.

/// A linear classifier with d = 3 inputs and k = 3 classes, fixed parameters and batches.
struct MatchFixture {
    w: Vec<f64>,
    b: Vec<f64>,
    real: Vec<Vec<f64>>,
    syn: Vec<Vec<f64>>,
}

/// Images scaled by `scale`: at 1 the `+ 1e-6` of the cosine barely matters; at 3e-3 the row
/// norms product is about 1e-5, so the `+ 1e-6` is felt and the distance is no longer invariant
/// to the scale of the gradients: the loss's normalisers (mean over samples, 1/K) are pinned too.
fn match_fixture(scale: f64) -> MatchFixture {
    let rows = |n: usize, shift: f64| -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| (0..3).map(|j| val(i * 3 + j, 1.2 * scale, shift)).collect())
            .collect()
    };
    MatchFixture {
        w: (0..9).map(|i| val(i, 0.6, 0.4)).collect(),
        b: vec![0.3, -0.2, 0.05],
        real: rows(4, 0.9),
        syn: rows(2, 2.3),
    }
}

/// Runs a matching loss on the fixture (inside `second_order::run`, as the objective does).
fn run_match(
    f: &MatchFixture,
    loss: impl Fn(&Network, &[Tensor], &Tensor, &Tensor) -> trustdd_distill::Result<Tensor> + Sync,
) -> Result<f64> {
    let net = linear_net(3, 3)?;
    let w = t(&f.w, &[3, 3])?;
    let b = t(&f.b, &[3])?;
    let real = t(&f.real.concat(), &[f.real.len(), 1, 1, 3])?;
    let syn = t(&f.syn.concat(), &[f.syn.len(), 1, 1, 3])?;
    Ok(second_order::run(|| {
        // Tracked parameters, as `Network::params` gives them.
        let params = vec![
            Var::from_tensor(&w)?.as_tensor().clone(),
            Var::from_tensor(&b)?.as_tensor().clone(),
        ];
        let d = loss(&net, &params, &real, &syn)?;
        Ok(d.to_scalar::<f64>()?)
    })?)
}

/// DC/DSA: `distance_wb(∇W CE(real, c), ∇W CE(syn, c))` with the bias gradient contributing 0
/// (rank 1), CE the MEAN over the batch, `cos = r·s / (‖r‖‖s‖ + 1e-6)` per output row.
#[test]
fn matching_loss_equals_reference_distance_wb() -> Result<()> {
    assert_eq!(COSINE_EPS, 1e-6);
    for scale in [3e-3, 1.0] {
        let f = match_fixture(scale);
        let class = 1;
        let target = |n: usize| vec![one_hot(class, 3); n];
        let (gr, _) = linear_ce_grad(&f.w, &f.b, &f.real, &target(f.real.len()));
        let (gs, _) = linear_ce_grad(&f.w, &f.b, &f.syn, &target(f.syn.len()));
        let want = distance_wb(&gr, &gs, 3);
        assert!(want > 1e-3, "degenerate fixture: {want}");
        let got = run_match(&f, |net, p, r, s| matching_loss(net, p, r, s, class))?;
        assert_close(got, want, &format!("DC matching distance (scale {scale})"));
    }
    Ok(())
}

/// Outlier exposure: L_OE(z) = mean_i [logsumexp z_i − (1/K) Σ_k z_ik] (cross-entropy to the
/// uniform distribution, Hendrycks et al.), whose logit gradient is `(softmax(z_i) − 1/K) / N`;
/// the matched distance is `distance_wb` of the two `∇W L_OE`.
#[test]
fn uniform_matching_loss_equals_reference_distance_wb() -> Result<()> {
    for scale in [3e-3, 1.0] {
        let f = match_fixture(scale);
        let uniform = |n: usize| vec![vec![1.0 / 3.0; 3]; n];
        let (gr, _) = linear_ce_grad(&f.w, &f.b, &f.real, &uniform(f.real.len()));
        let (gs, _) = linear_ce_grad(&f.w, &f.b, &f.syn, &uniform(f.syn.len()));
        let want = distance_wb(&gr, &gs, 3);
        assert!(want > 1e-3, "degenerate fixture: {want}");
        let got = run_match(&f, uniform_matching_loss)?;
        assert_close(got, want, &format!("OE matching distance (scale {scale})"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// MTT.

/// Replays `‖θ_N − θ*_target‖² / ‖θ*_start − θ*_target‖²` for the linear student (θ = W then b,
/// W row-major), `θ_{n+1} = θ_n − lr·∇θ CE(batch_n)`, CE the mean over the batch.
fn replay_trajectory(
    start: &[f64],
    target: &[f64],
    steps: &[Vec<usize>],
    images: &[Vec<f64>],
    labels: &[Vec<f64>],
    lr: f64,
    k: usize,
) -> f64 {
    let d = images[0].len();
    let mut theta = start.to_vec();
    for ids in steps {
        let xs: Vec<Vec<f64>> = ids.iter().map(|&i| images[i].clone()).collect();
        let qs: Vec<Vec<f64>> = ids.iter().map(|&i| labels[i].clone()).collect();
        let (gw, gb) = linear_ce_grad(&theta[..k * d], &theta[k * d..], &xs, &qs);
        for (th, g) in theta.iter_mut().zip(gw.iter().chain(&gb)) {
            *th -= lr * g;
        }
    }
    let sq = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
    sq(&theta, target) / sq(start, target)
}

/// `trajectory_loss` with hard and with soft (learnt-logit) labels against the replay: two
/// student steps (all three images, then images 2 and 0), lr = 2.5.
#[test]
fn trajectory_loss_equals_replayed_normalised_distance() -> Result<()> {
    let (d, k) = (2usize, 2usize);
    let start: Vec<f64> = (0..6).map(|i| val(i, 0.5, 0.2)).collect();
    let target: Vec<f64> = (0..6).map(|i| val(i, 0.9, 1.7)).collect();
    let images: Vec<Vec<f64>> = (0..3)
        .map(|i| (0..d).map(|j| val(i * d + j, 1.5, 3.1)).collect())
        .collect();
    let hard = [0u32, 1, 1];
    let label_logits: Vec<Vec<f64>> = (0..3)
        .map(|i| (0..k).map(|j| val(i * k + j, 2.0, 0.6)).collect())
        .collect();
    let steps_host = vec![vec![0usize, 1, 2], vec![2, 0]];
    let lr = 2.5;
    let want_hard = replay_trajectory(
        &start,
        &target,
        &steps_host,
        &images,
        &hard
            .iter()
            .map(|&c| one_hot(c as usize, k))
            .collect::<Vec<_>>(),
        lr,
        k,
    );
    let want_soft = replay_trajectory(
        &start,
        &target,
        &steps_host,
        &images,
        &label_logits.iter().map(|z| softmax(z)).collect::<Vec<_>>(),
        lr,
        k,
    );
    assert!(
        (want_hard - 1.0).abs() > 1e-2 && (want_soft - want_hard).abs() > 1e-3,
        "degenerate fixture: {want_hard} {want_soft}"
    );
    let net = linear_net(d, k)?;
    let (got_hard, got_soft) = second_order::run(|| {
        (|| -> Result<(f64, f64)> {
            let start = t(&start, &[6])?;
            let target = t(&target, &[6])?;
            let images = t(&images.concat(), &[3, 1, 1, d])?;
            let steps = steps_host
                .iter()
                .map(|ids| {
                    let ids: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
                    Ok(StudentStep {
                        ids: Tensor::new(ids.as_slice(), &Device::Cpu)?,
                        transform: None,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let lr = Tensor::new(lr, &Device::Cpu)?;
            let y = Tensor::new(&hard, &Device::Cpu)?;
            let z = t(&label_logits.concat(), &[3, k])?;
            let run = |labels| -> Result<f64> {
                scalar(&trajectory_loss(
                    &net, &start, &target, &steps, &images, labels, &lr,
                )?)
            };
            Ok((
                run(StudentLabels::Hard(&y))?,
                run(StudentLabels::SoftLogits(&z))?,
            ))
        })()
        .map_err(wrap)
    })?;
    assert_close(got_hard, want_hard, "MTT loss (hard labels)");
    assert_close(got_soft, want_soft, "MTT loss (soft labels)");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The train/eval flag of gradient matching and MTT, against PyTorch.
//
// ConvNet-1 (width 2, batch norm, ReLU, no pooling, classifier 8 → 2) on 1×2×2 images: batch norm
// in TRAINING mode is what the reference code uses when it matches gradients and unrolls the
// student; evaluation mode (running statistics 0 and 1) would give other values. The values
// below were printed by this script (torch 2.15.0, CPU, float64; the MTT replay detaches θ
// between steps because only the value is needed):
//
// ```python
// import math, torch
// import torch.nn.functional as F
// torch.set_default_dtype(torch.float64)
// def val(i, scale, shift): return math.sin(i * 0.731 + shift) * scale
// def T(v, shape): return torch.tensor(v).reshape(shape)
// shapes = [(2, 1, 3, 3), (2,), (2,), (2,), (2, 8), (2,)]
// params = [T([val(i, 0.8, 0.3) for i in range(18)], shapes[0]), T([0.1, -0.25], (2,)),
//           T([1.5, 0.7], (2,)), T([0.2, -0.1], (2,)),
//           T([val(i, 0.5, 1.1) for i in range(16)], shapes[4]), T([0.05, -0.15], (2,))]
// def images(n, shift): return T([val(i, 1.0, shift) for i in range(n * 4)], (n, 1, 2, 2))
// def fwd(p, x):  # ConvNet-1: conv 3x3 pad 1 -> BatchNorm (training mode) -> ReLU -> flatten -> linear
//     h = F.conv2d(x, p[0], p[1], padding=1)
//     h = F.batch_norm(h, None, None, p[2], p[3], training=True, eps=1e-5)
//     return F.linear(F.relu(h).flatten(1), p[4], p[5])
// def distance_wb(gr, gs):  # VICO-UoE/DatasetCondensation utils.py, 'ours'
//     if gr.dim() == 1: return 0.0
//     gr, gs = gr.reshape(gr.shape[0], -1), gs.reshape(gs.shape[0], -1)
//     return torch.sum(1 - torch.sum(gr * gs, -1) / (gr.norm(dim=-1) * gs.norm(dim=-1) + 0.000001)).item()
// def grads(loss_fn, x):
//     p = [q.clone().requires_grad_(True) for q in params]
//     return torch.autograd.grad(loss_fn(fwd(p, x)), p)
// real, syn = images(3, 0.0), images(2, 2.0)
// ce = lambda z: F.cross_entropy(z, torch.full((z.shape[0],), 1))
// oe = lambda z: -(z.log_softmax(1).mean(1)).mean()   # Hendrycks OE: CE to the uniform distribution
// for name, fn in [("dc", ce), ("oe", oe)]:
//     print(name, "%.17e" % sum(distance_wb(a, b) for a, b in zip(grads(fn, real), grads(fn, syn))))
// # MTT: two unrolled student steps from start to target, normalised.
// start = torch.cat([q.flatten() for q in params])
// target = start + torch.tensor([val(i, 0.3, 2.9) for i in range(42)])
// x, y, lr = images(3, 5.0), torch.tensor([0, 1, 1]), 0.5
// def unflat(v):
//     out, o = [], 0
//     for s in shapes:
//         n = math.prod(s); out.append(v[o:o + n].reshape(s)); o += n
//     return out
// theta = start.clone()
// for ids in [[0, 1, 2], [2, 0]]:
//     theta = theta.detach().requires_grad_(True)
//     g, = torch.autograd.grad(F.cross_entropy(fwd(unflat(theta), x[ids]), y[ids]), theta)
//     theta = theta - lr * g
// print("mtt", "%.17e" % (((theta - target) ** 2).sum() / ((start - target) ** 2).sum()).item())
// ```
//
// Output:
// ```text
// dc 2.92460613308915285e+00
// oe 6.48095780925931209e+00
// mtt 1.04035655778918290e+00
// ```

const TORCH_DC: f64 = 2.924_606_133_089_153;
const TORCH_OE: f64 = 6.480_957_809_259_312;
const TORCH_MTT: f64 = 1.040_356_557_789_183;

/// ConvNet-1 of width 2 with batch norm and no pooling, f64, on 1×2×2 images, 2 classes.
fn bn_convnet() -> Result<Network> {
    let arch = ArchConfig::ConvNet(ConvNetConfig {
        width: 2,
        depth: 1,
        norm: NormKind::Batch,
        pool: PoolKind::None,
        activation: Activation::Relu,
    });
    Ok(Network::new(
        &arch,
        ImageShape::new(1, 2, 2),
        2,
        candle_core::DType::F64,
        &Device::Cpu,
        &mut TrustRng::new(0),
    )?)
}

/// The script's `params`, in the network's spec order.
fn torch_params() -> Vec<Vec<f64>> {
    vec![
        (0..18).map(|i| val(i, 0.8, 0.3)).collect(),
        vec![0.1, -0.25],
        vec![1.5, 0.7],
        vec![0.2, -0.1],
        (0..16).map(|i| val(i, 0.5, 1.1)).collect(),
        vec![0.05, -0.15],
    ]
}

fn torch_images(n: usize, shift: f64) -> Result<Tensor> {
    let v: Vec<f64> = (0..n * 4).map(|i| val(i, 1.0, shift)).collect();
    t(&v, &[n, 1, 2, 2])
}

#[test]
fn batch_norm_matching_and_trajectory_losses_match_pytorch() -> Result<()> {
    let net = bn_convnet()?;
    let specs = net.arch().param_specs();
    let host = torch_params();
    let (dc, oe, mtt) = second_order::run(|| {
        (|| -> Result<(f64, f64, f64)> {
            let params = host
                .iter()
                .zip(&specs)
                .map(|(v, s)| Ok(Var::from_tensor(&t(v, &s.shape)?)?.as_tensor().clone()))
                .collect::<Result<Vec<_>>>()?;
            let (real, syn) = (torch_images(3, 0.0)?, torch_images(2, 2.0)?);
            let dc = scalar(&matching_loss(&net, &params, &real, &syn, 1)?)?;
            let oe = scalar(&uniform_matching_loss(&net, &params, &real, &syn)?)?;
            let start = t(&host.concat(), &[42])?;
            let offset: Vec<f64> = (0..42).map(|i| val(i, 0.3, 2.9)).collect();
            let target = (&start + t(&offset, &[42])?)?;
            let steps = [vec![0u32, 1, 2], vec![2, 0]]
                .iter()
                .map(|ids| {
                    Ok(StudentStep {
                        ids: Tensor::new(ids.as_slice(), &Device::Cpu)?,
                        transform: None,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let y = Tensor::new(&[0u32, 1, 1], &Device::Cpu)?;
            let mtt = scalar(&trajectory_loss(
                &net,
                &start,
                &target,
                &steps,
                &torch_images(3, 5.0)?,
                StudentLabels::Hard(&y),
                &Tensor::new(0.5f64, &Device::Cpu)?,
            )?)?;
            Ok((dc, oe, mtt))
        })()
        .map_err(wrap)
    })?;
    assert_close(
        dc,
        TORCH_DC,
        "DC matching distance (batch-norm ConvNet) vs PyTorch",
    );
    assert_close(
        oe,
        TORCH_OE,
        "OE matching distance (batch-norm ConvNet) vs PyTorch",
    );
    assert_close(mtt, TORCH_MTT, "MTT loss (batch-norm ConvNet) vs PyTorch");
    Ok(())
}
