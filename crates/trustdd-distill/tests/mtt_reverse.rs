//! Reverse accumulation through the unrolled student (`trajectory_gradients`) against
//! differentiating the fully unrolled graph (`trajectory_loss`): the same loss and the same
//! pixel, learning-rate and soft-label gradients in f64, with every DSA group on the way.

use crate::common;

use anyhow::Result;
use candle_core::{Device, Tensor, Var};
use common::wrap;
use common::{randn, rel_err, tiny_net};
use trustdd_core::{ImageShape, TrustRng};
use trustdd_distill::{
    second_order, trajectory_gradients, trajectory_loss, StudentLabels, StudentStep,
};
use trustdd_nn::Network;
use trustdd_train::dsa::{Dsa, DsaConfig, DsaGroup};

/// Two independent evaluations of one derivative in f64 agree to rounding (≈1e-14 relative);
/// 1e-8 is the bar, and a wrong term (a missing step, a sign, λ not carried) is O(1).
const SAME: f64 = 1e-8;

fn f64s(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.flatten_all()?.to_vec1::<f64>()?)
}

/// `(loss, ∂images, ∂lr, ∂soft logits)`.
type Grads = (f64, Vec<f64>, f64, Option<Vec<f64>>);

struct Problem {
    net: Network,
    start: Tensor,
    target: Tensor,
    steps: Vec<StudentStep>,
    images: Tensor,
    hard: Tensor,
    soft: Tensor,
}

fn problem() -> Result<Problem> {
    let mut rng = TrustRng::new(23);
    let shape = ImageShape::new(1, 8, 8);
    let net = tiny_net(shape, 3, &mut rng)?;
    let start = Network::flatten(&net.detached_params())?;
    let target = Network::flatten(&tiny_net(shape, 3, &mut rng)?.detached_params())?;
    let images = randn(&[6, 1, 8, 8], &mut rng)?;
    let hard = Tensor::new(&[0u32, 0, 1, 1, 2, 2], &Device::Cpu)?;
    let soft = randn(&[6, 3], &mut rng)?;
    let dsa = Dsa::new(DsaConfig::default(), shape)?;
    let groups = [
        DsaGroup::Color,
        DsaGroup::Crop,
        DsaGroup::Cutout,
        DsaGroup::Flip,
        DsaGroup::Scale,
        DsaGroup::Rotate,
    ];
    let mut steps = Vec::new();
    // Seven steps: batches of 4 (repeats across steps), every DSA group once, one plain step.
    for (k, ids) in [
        [0u32, 1, 2, 3],
        [4, 5, 0, 1],
        [2, 3, 4, 5],
        [5, 0, 3, 1],
        [1, 2, 4, 0],
        [3, 5, 2, 4],
        [0, 2, 4, 5],
    ]
    .iter()
    .enumerate()
    {
        steps.push(StudentStep {
            ids: Tensor::new(ids, &Device::Cpu)?,
            transform: groups.get(k).map(|&g| dsa.sample_group(g, 4, &mut rng)),
        });
    }
    Ok(Problem {
        net,
        start,
        target,
        steps,
        images,
        hard,
        soft,
    })
}

/// `(loss, ∂images, ∂lr, ∂soft logits)` of the full unrolling.
fn unrolled(p: &Problem, soft: bool, lr: f64) -> Result<Grads> {
    Ok(second_order::run(|| {
        let run = || -> Result<_> {
            let x = Var::from_tensor(&p.images)?;
            let a = Var::new(lr, &Device::Cpu)?;
            let z = Var::from_tensor(&p.soft)?;
            let labels = if soft {
                StudentLabels::SoftLogits(z.as_tensor())
            } else {
                StudentLabels::Hard(&p.hard)
            };
            let loss = trajectory_loss(
                &p.net,
                &p.start,
                &p.target,
                &p.steps,
                x.as_tensor(),
                labels,
                a.as_tensor(),
            )?;
            let g = loss.backward()?;
            Ok((
                loss.to_scalar::<f64>()?,
                f64s(g.get(x.as_tensor()).expect("pixel gradient"))?,
                g.get(a.as_tensor())
                    .expect("lr gradient")
                    .to_scalar::<f64>()?,
                soft.then(|| f64s(g.get(z.as_tensor()).expect("label gradient")))
                    .transpose()?,
            ))
        };
        run().map_err(wrap)
    })?)
}

fn reversed(p: &Problem, soft: bool, lr: f64) -> Result<Grads> {
    let labels = if soft {
        StudentLabels::SoftLogits(&p.soft)
    } else {
        StudentLabels::Hard(&p.hard)
    };
    let a = Tensor::new(lr, &Device::Cpu)?;
    let g = trajectory_gradients(&p.net, &p.start, &p.target, &p.steps, &p.images, labels, &a)?;
    Ok((
        g.loss,
        f64s(&g.images)?,
        g.lr.to_scalar::<f64>()?,
        g.labels.as_ref().map(f64s).transpose()?,
    ))
}

fn compare(soft: bool) -> Result<()> {
    let p = problem()?;
    // A large α so each step moves θ far and the Hessian terms matter.
    let lr = 0.5;
    let (l_ref, x_ref, a_ref, z_ref) = unrolled(&p, soft, lr)?;
    let (l, x, a, z) = reversed(&p, soft, lr)?;
    assert!(rel_err(&[l], &[l_ref]) < SAME, "loss {l} vs {l_ref}");
    let e_x = rel_err(&x, &x_ref);
    assert!(e_x < SAME, "pixels: relative difference {e_x:.3e}");
    assert!(a_ref.abs() > 1e-6, "the lr gradient is not trivially zero");
    let e_a = rel_err(&[a], &[a_ref]);
    assert!(e_a < SAME, "lr: {a} vs {a_ref} ({e_a:.3e})");
    match (z, z_ref) {
        (Some(z), Some(z_ref)) => {
            let e_z = rel_err(&z, &z_ref);
            assert!(e_z < SAME, "soft labels: relative difference {e_z:.3e}");
        }
        (None, None) => {}
        other => panic!("label gradients present on one side only: {other:?}"),
    }
    Ok(())
}

#[test]
fn reverse_accumulation_equals_full_unrolling_with_hard_labels_and_dsa() -> Result<()> {
    compare(false)
}

#[test]
fn reverse_accumulation_equals_full_unrolling_with_soft_labels_and_dsa() -> Result<()> {
    compare(true)
}
