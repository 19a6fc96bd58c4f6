//! Gradient matching with uniform targets (`MatchTargets::Uniform`, TrustDD's outlier exposure
//! when the set is an outlier set): one step's loss and image update against an independent f64
//! computation.

use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use std::sync::Arc;
use trustdd_core::{
    DatasetSampler, DistillContext, DistillObjective, ImageDataset, ImageShape, RealSampler,
    Silent, SyntheticLabels, SyntheticSet, TrustRng,
};
use trustdd_distill::{GradientMatching, GradientMatchingConfig, MatchTargets, COSINE_EPS};
use trustdd_nn::{ArchConfig, Network};

/// In-distribution classes K (the network's outputs); the outlier set has 2 groups.
const K: usize = 3;
const GROUPS: usize = 2;
const PIXELS: usize = 4;

/// `logsumexp(z)`.
fn lse(z: &[f64]) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// ∇_W of L_OE(W x + b) = mean_i [lse(z_i) − mean_k z_ik] over the rows `xs`, for a linear
/// classifier: dL/dz_ik = (softmax(z_i)_k − 1/K) / n, so ∇W_k = Σ_i dL/dz_ik · x_i.
fn oe_weight_grad(w: &[Vec<f64>], b: &[f64], xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut g = vec![vec![0.0; PIXELS]; K];
    for x in xs {
        let z: Vec<f64> = (0..K)
            .map(|k| w[k].iter().zip(x).map(|(a, v)| a * v).sum::<f64>() + b[k])
            .collect();
        let l = lse(&z);
        for k in 0..K {
            let dz = ((z[k] - l).exp() - 1.0 / K as f64) / xs.len() as f64;
            for (gj, xj) in g[k].iter_mut().zip(x) {
                *gj += dz * xj;
            }
        }
    }
    g
}

/// Σ_groups Σ_rows k of the weight gradient: 1 − r_k·s_k / (‖r_k‖‖s_k‖ + 1e-6) (the bias
/// gradient, rank 1, contributes nothing), written out independently.
fn oe_matching_loss(w: &[Vec<f64>], b: &[f64], real: &[Vec<Vec<f64>>], syn: &[f64]) -> f64 {
    let mut total = 0.0;
    for (g, real_rows) in real.iter().enumerate() {
        let syn_rows = vec![syn[g * PIXELS..(g + 1) * PIXELS].to_vec()]; // ipc 1
        let gr = oe_weight_grad(w, b, real_rows);
        let gs = oe_weight_grad(w, b, &syn_rows);
        for (r, s) in gr.iter().zip(&gs) {
            let dot: f64 = r.iter().zip(s).map(|(a, c)| a * c).sum();
            let nr = r.iter().map(|a| a * a).sum::<f64>().sqrt();
            let ns = s.iter().map(|a| a * a).sum::<f64>().sqrt();
            total += 1.0 - dot / (nr * ns + COSINE_EPS);
        }
    }
    total
}

#[test]
fn outlier_exposure_matching_step_matches_an_independent_computation() -> Result<()> {
    let dev = Device::Cpu;
    let shape = ImageShape::new(1, 2, 2);
    // The "real" outliers: 2 groups of 3 images with fixed pixels.
    let pixels: Vec<u8> = (0..6 * PIXELS)
        .map(|i| ((i * 37 + 11) % 251) as u8)
        .collect();
    let ds = ImageDataset::new(
        "outliers",
        shape,
        pixels,
        vec![0, 1, 0, 1, 0, 1],
        vec!["g0".into(), "g1".into()],
    )?;
    let real = DatasetSampler::new(Arc::new(ds), dev.clone());
    // The outlier set S_o in f64: 2 groups, one image each.
    let syn0: Vec<f64> = vec![0.3, -1.2, 0.8, 0.1, -0.5, 0.9, 1.4, -0.7];
    let mut syn = SyntheticSet {
        images: Var::from_tensor(&Tensor::from_vec(syn0.clone(), (2, 1, 2, 2), &dev)?)?,
        labels: SyntheticLabels::Hard(vec![0, 1]),
        ipc: 1,
        num_classes: GROUPS,
    };
    let arch = ArchConfig::Mlp { hidden: vec![] };
    let lr_img = 0.1;
    let mut objective = GradientMatching::with_targets(
        GradientMatchingConfig {
            arch: arch.clone(),
            real_batch: 3,
            lr_img,
            momentum: 0.0,
            outer_loop: Some(1),
            inner_loop: Some(1),
            ..GradientMatchingConfig::default()
        },
        MatchTargets::Uniform { outputs: K },
    )?;

    // Replay the step's draws: the network from the first fork, then each group's real batch.
    let rng = TrustRng::new(5);
    let mut replay = rng.clone();
    let net = Network::new(&arch, shape, K, DType::F64, &dev, &mut replay.fork())?;
    let p = net.detached_params();
    let w = p[0].to_vec2::<f64>()?;
    let b = p[1].to_vec1::<f64>()?;
    assert_eq!((w.len(), w[0].len(), b.len()), (K, PIXELS, K));
    let real_rows: Vec<Vec<Vec<f64>>> = (0..GROUPS)
        .map(|g| -> Result<_> {
            let x = real.sample(g, 3, &mut replay)?;
            Ok(x.to_dtype(DType::F64)?.flatten_from(1)?.to_vec2::<f64>()?)
        })
        .collect::<Result<_>>()?;

    let ctx = DistillContext {
        real: &real,
        iteration: 0,
        progress: &Silent,
    };
    let mut step_rng = rng.clone();
    let report = objective.step(&mut syn, &ctx, &mut step_rng)?;

    // The loss value.
    let want = oe_matching_loss(&w, &b, &real_rows, &syn0);
    assert!(want > 1e-3, "a non-trivial distance: {want}");
    assert!(
        (report.loss - want).abs() < 1e-9 * want.max(1.0),
        "loss {} vs independent {want}",
        report.loss
    );

    // The image update: momentum 0, so syn1 = syn0 − lr·∇, with ∇ by central differences.
    let syn1 = syn.images.as_tensor().flatten_all()?.to_vec1::<f64>()?;
    let h = 1e-6;
    let mut max_err: f64 = 0.0;
    let mut norm: f64 = 0.0;
    for j in 0..syn0.len() {
        let (mut up, mut down) = (syn0.clone(), syn0.clone());
        up[j] += h;
        down[j] -= h;
        let numeric = (oe_matching_loss(&w, &b, &real_rows, &up)
            - oe_matching_loss(&w, &b, &real_rows, &down))
            / (2.0 * h);
        let got = (syn0[j] - syn1[j]) / lr_img;
        max_err = max_err.max((got - numeric).abs());
        norm = norm.max(numeric.abs());
    }
    assert!(norm > 1e-3, "a non-trivial gradient");
    assert!(
        max_err < 1e-6 * norm.max(1.0),
        "image gradient off by {max_err:.3e} (scale {norm:.3e})"
    );
    Ok(())
}
