//! The DC/DSA matching loss's gradient with respect to the synthetic pixels (second order)
//! against finite differences: wrong with candle's defaults, right through `second_order::run`.
//!
//! Its own test binary with one test, so no other test's threads interfere with candle's
//! per-thread "do not detach" flag.

use crate::common;

use anyhow::Result;
use candle_core::{Tensor, Var};
use common::{fd_entry, randn, rel_err, tiny_net, FD_STEP, GRAD_REL_TOL};
use trustdd_core::{ImageShape, TrustRng};
use trustdd_distill::{matching_loss, second_order};
use trustdd_nn::Network;
use trustdd_train::dsa::{Dsa, DsaConfig, DsaGroup, DsaTransform};

struct Case {
    net: Network,
    reals: Vec<Tensor>,
    syn: Tensor,
    transform: DsaTransform,
}

fn case() -> Result<Case> {
    let mut rng = TrustRng::new(5);
    let shape = ImageShape::new(1, 8, 8);
    let net = tiny_net(shape, 2, &mut rng)?;
    let reals = vec![
        randn(&[3, 1, 8, 8], &mut rng)?,
        randn(&[3, 1, 8, 8], &mut rng)?,
    ];
    let syn = randn(&[4, 1, 8, 8], &mut rng)?;
    // A Siamese colour transform (DSA): smooth in the pixels, so finite differences apply.
    let dsa = Dsa::new(DsaConfig::default(), shape)?;
    let transform = dsa.sample_group(DsaGroup::Color, 1, &mut rng);
    Ok(Case {
        net,
        reals,
        syn,
        transform,
    })
}

/// Σ_c D(∇θ CE(real_c), ∇θ CE(syn_c)) with both batches transformed.
fn loss(case: &Case, syn: &Tensor) -> Result<Tensor> {
    let params = case.net.params();
    let mut total: Option<Tensor> = None;
    for (c, real) in case.reals.iter().enumerate() {
        let s = syn.narrow(0, 2 * c, 2)?;
        let l = matching_loss(
            &case.net,
            &params,
            &case.transform.apply(real)?,
            &case.transform.apply(&s)?,
            c,
        )?;
        total = Some(match total {
            Some(t) => (t + l)?,
            None => l,
        });
    }
    Ok(total.expect("two classes"))
}

/// Relative error of the autodiff gradient (zeros when none arrives) on sampled entries.
fn gradient_error(case: &Case) -> Result<f64> {
    let var = Var::from_tensor(&case.syn)?;
    let grads = loss(case, var.as_tensor())?.backward()?;
    let auto = match grads.get(var.as_tensor()) {
        Some(g) => g.flatten_all()?.to_vec1::<f64>()?,
        None => vec![0.0; case.syn.elem_count()],
    };
    let f = |x: &Tensor| -> Result<f64> { Ok(loss(case, x)?.to_scalar::<f64>()?) };
    let entries: Vec<usize> = (0..auto.len()).step_by(7).collect();
    let numeric = entries
        .iter()
        .map(|&j| fd_entry(&f, &case.syn, j, FD_STEP))
        .collect::<Result<Vec<_>>>()?;
    let picked: Vec<f64> = entries.iter().map(|&j| auto[j]).collect();
    Ok(rel_err(&picked, &numeric))
}

#[test]
fn matching_gradient_is_wrong_by_default_and_right_through_second_order_run() -> Result<()> {
    // A fresh thread with candle's defaults (detaching on, fast kernels on).
    let plain = std::thread::spawn(|| gradient_error(&case()?))
        .join()
        .expect("plain thread panicked")?;
    assert!(
        plain > 0.1,
        "default mode should be wrong, error {plain:.3e}"
    );
    // Differentiable ops alone are not enough: candle still detaches.
    let ops_only = std::thread::spawn(|| {
        let _g = trustdd_nn::ops::DifferentiableGuard::new();
        gradient_error(&case()?)
    })
    .join()
    .expect("ops-only thread panicked")?;
    assert!(
        ops_only > 0.1,
        "without keeping the graph it should be wrong, error {ops_only:.3e}"
    );
    let (right, calls) = second_order::run(|| {
        let before = trustdd_nn::ops::fast_kernel_calls().conv_twice;
        let err = gradient_error(&case().map_err(to_distill)?).map_err(to_distill)?;
        Ok((err, before, trustdd_nn::ops::fast_kernel_calls().conv_twice))
    })
    .map(|(e, before, after)| (e, (before, after)))?;
    assert!(right < GRAD_REL_TOL, "second_order::run error {right:.3e}");
    // ... and on the fast twice-differentiable convolution: forward, and the first backward's
    // ops differentiated again.
    let (before, after) = calls;
    assert!(
        after.forward > before.forward && after.backward > before.backward,
        "the matching gradient did not run on the fast convolution family ({before:?} -> {after:?})"
    );
    // The process environment is left as it was.
    assert!(std::env::var_os("CANDLE_GRAD_DO_NOT_DETACH").is_none());
    Ok(())
}

/// `second_order::run` returns the crate's error type; carry the test's error message in it.
fn to_distill(e: anyhow::Error) -> trustdd_distill::DistillError {
    trustdd_distill::DistillError::Worker(e.to_string())
}
