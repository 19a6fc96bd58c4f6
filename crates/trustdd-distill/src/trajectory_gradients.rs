//! The gradients of MTT's trajectory loss by reverse accumulation through the unrolled student,
//! one step at a time: linear time in the number of steps and one step's graph in memory.
//!
//! The student runs `θ_{n+1} = θ_n − α·g_n` with `g_n = ∇θ CE(f_θn(x_n), y_n)` and the loss is
//! `L = ‖θ_N − θ*‖² / D`. With `λ_n = ∂L/∂θ_n`:
//!
//! - `λ_N = 2(θ_N − θ*) / D`;
//! - `λ_n = λ_{n+1} − α·H_n·λ_{n+1}` (`H_n` the Hessian of step n's loss, symmetric);
//! - `∂L/∂α = −Σ_n g_n·λ_{n+1}`;
//! - `∂L/∂X = −α·Σ_n ∂(g_n·λ_{n+1})/∂X`, and the same for soft-label logits.
//!
//! `H_n·λ_{n+1}` and the pixel/label terms all come from one double backward of the scalar
//! `g_n·λ_{n+1}` (λ a constant), built on a fresh graph rooted at `θ_n`. The forward pass keeps
//! only the flat vectors `θ_0 … θ_N` and needs first-order gradients alone, so it runs on the
//! fast kernels. This is exact (the same derivative as differentiating the fully unrolled
//! graph, [`crate::trajectory_loss`]); the full unrolling instead holds every step's graph and
//! re-walks all earlier steps in each step's backward.

use crate::mtt::{student_loss, StudentLabels, StudentStep};
use crate::{second_order, Result};
use candle_core::{DType, Tensor, Var};
use trustdd_nn::Network;

/// The trajectory loss and its gradients.
#[derive(Debug, Clone)]
pub struct TrajectoryGradients {
    /// `‖θ_N − θ*‖² / ‖θ_start − θ*‖²`.
    pub loss: f64,
    /// `∂L/∂images`, the images' shape.
    pub images: Tensor,
    /// `∂L/∂α`, a scalar tensor.
    pub lr: Tensor,
    /// `∂L/∂logits` for [`StudentLabels::SoftLogits`], else `None`.
    pub labels: Option<Tensor>,
}

/// The value and gradients of [`crate::trajectory_loss`] (same arguments) by reverse
/// accumulation: memory is one student step's graph plus `steps.len() + 1` flat parameter
/// vectors, and time is linear in the number of steps. Runs its second-order part through
/// [`second_order::run`] itself; `images`, `lr` and soft-label logits need not be variables.
///
/// # Errors
/// Shape errors (flat vectors not matching `net`); [`trustdd_core::Error::NoGradient`] if a step's
/// loss does not reach the parameters, the images or the soft labels; candle errors.
pub fn trajectory_gradients(
    net: &Network,
    start: &Tensor,
    target: &Tensor,
    steps: &[StudentStep],
    images: &Tensor,
    labels: StudentLabels<'_>,
    lr: &Tensor,
) -> Result<TrajectoryGradients> {
    let alpha = lr.to_dtype(DType::F64)?.to_scalar::<f64>()?;
    let images = images.detach();
    // Forward: first order only, on whatever kernels the caller's thread uses.
    let z = soft_logits(labels)?;
    let mut thetas = Vec::with_capacity(steps.len() + 1);
    thetas.push(start.detach());
    for step in steps {
        let theta = thetas.last().expect("starts with θ_0");
        let at = Var::from_tensor(theta)?;
        let ce = student_loss(net, at.as_tensor(), step, &images, labels_of(labels, &z))?;
        let g = ce
            .backward()?
            .get(at.as_tensor())
            .map(Tensor::detach)
            .ok_or_else(|| missing("the student parameters"))?;
        thetas.push((theta - g.affine(alpha, 0.0)?)?);
    }
    let last = thetas.last().expect("N + 1 points");
    let den = (start - target)?.sqr()?.sum_all()?.to_dtype(DType::F64)?;
    let den = den.to_scalar::<f64>()?;
    let diff = (last - target)?;
    let loss = diff
        .sqr()?
        .sum_all()?
        .to_dtype(DType::F64)?
        .to_scalar::<f64>()?
        / den;
    let lambda = diff.affine(2.0 / den, 0.0)?;
    second_order::run(|| reverse(net, &thetas, steps, &images, labels, alpha, lambda, loss))
}

/// The backward walk `t = N−1 … 0` (on a second-order worker); `loss` is passed through.
#[allow(clippy::too_many_arguments)]
fn reverse(
    net: &Network,
    thetas: &[Tensor],
    steps: &[StudentStep],
    images: &Tensor,
    labels: StudentLabels<'_>,
    alpha: f64,
    mut lambda: Tensor,
    loss: f64,
) -> Result<TrajectoryGradients> {
    let x = Var::from_tensor(images)?;
    let z = soft_logits(labels)?
        .map(|t| Var::from_tensor(&t))
        .transpose()?;
    let mut g_x = x.zeros_like()?;
    let mut g_z = z.as_ref().map(|v| v.zeros_like()).transpose()?;
    let mut g_alpha = 0.0;
    for (step, theta) in steps.iter().zip(thetas).rev() {
        let at = Var::from_tensor(theta)?;
        let z_t = z.as_ref().map(|v| v.as_tensor().clone());
        let ce = student_loss(
            net,
            at.as_tensor(),
            step,
            x.as_tensor(),
            labels_of(labels, &z_t),
        )?;
        let g = ce
            .backward()?
            .get(at.as_tensor())
            .cloned()
            .ok_or_else(|| missing("the student parameters"))?;
        let inner = (g * &lambda)?.sum_all()?;
        g_alpha -= inner.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        let second = inner.backward()?;
        let h_lambda = second
            .get(at.as_tensor())
            .ok_or_else(|| missing("the student parameters (second order)"))?;
        let d_x = second
            .get(x.as_tensor())
            .ok_or_else(|| missing("the synthetic images"))?;
        g_x = (g_x + d_x.detach())?;
        if let (Some(z), Some(acc)) = (&z, g_z.as_mut()) {
            let d_z = second
                .get(z.as_tensor())
                .ok_or_else(|| missing("the soft labels"))?;
            *acc = (&*acc + d_z.detach())?;
        }
        lambda = (&lambda - h_lambda.detach().affine(alpha, 0.0)?)?;
    }
    let dtype = images.dtype();
    Ok(TrajectoryGradients {
        loss,
        images: g_x.affine(-alpha, 0.0)?,
        lr: Tensor::new(g_alpha, images.device())?.to_dtype(dtype)?,
        labels: g_z.map(|g| g.affine(-alpha, 0.0)).transpose()?,
    })
}

fn soft_logits(labels: StudentLabels<'_>) -> Result<Option<Tensor>> {
    Ok(match labels {
        StudentLabels::Hard(_) => None,
        StudentLabels::SoftLogits(z) => Some(z.detach()),
    })
}

/// `labels` with soft logits replaced by `z` (the pass's own copy or variable).
fn labels_of<'a>(labels: StudentLabels<'a>, z: &'a Option<Tensor>) -> StudentLabels<'a> {
    match (labels, z) {
        (StudentLabels::SoftLogits(_), Some(z)) => StudentLabels::SoftLogits(z),
        (other, _) => other,
    }
}

fn missing(what: &str) -> trustdd_core::Error {
    trustdd_core::Error::NoGradient {
        context: "mtt".into(),
        what: what.into(),
    }
}
