//! The DM loss's gradient with respect to the synthetic pixels against finite differences (f64).

use crate::common;

use anyhow::Result;
use candle_core::{Tensor, Var};
use common::{fd_entry, randn, rel_err, tiny_net, FD_STEP, GRAD_REL_TOL};
use trustdd_core::{ImageShape, TrustRng};
use trustdd_distill::dm_loss;
use trustdd_train::dsa::{Dsa, DsaConfig, DsaGroup};

#[test]
fn dm_loss_gradient_matches_finite_differences() -> Result<()> {
    let mut rng = TrustRng::new(9);
    let shape = ImageShape::new(1, 8, 8);
    let net = tiny_net(shape, 2, &mut rng)?;
    let params = net.detached_params();
    let reals = [
        randn(&[4, 1, 8, 8], &mut rng)?,
        randn(&[4, 1, 8, 8], &mut rng)?,
    ];
    let syn = randn(&[4, 1, 8, 8], &mut rng)?;
    let dsa = Dsa::new(DsaConfig::default(), shape)?;
    // One Siamese transform per class, as DM draws them: colour for class 0, scale for class 1
    // (bilinear resampling: piecewise linear in the pixels, exact for finite differences).
    let transforms = [
        dsa.sample_group(DsaGroup::Color, 1, &mut rng),
        dsa.sample_group(DsaGroup::Scale, 1, &mut rng),
    ];
    let loss = |s: &Tensor| -> Result<Tensor> {
        let pairs = (0..2)
            .map(|c| {
                let t = &transforms[c];
                Ok((t.apply(&reals[c])?, t.apply(&s.narrow(0, 2 * c, 2)?)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(dm_loss(&net, &params, &pairs)?)
    };
    let var = Var::from_tensor(&syn)?;
    let grads = loss(var.as_tensor())?.backward()?;
    let auto = grads
        .get(var.as_tensor())
        .expect("gradient reaches the pixels");
    let auto = auto.flatten_all()?.to_vec1::<f64>()?;
    let f = |x: &Tensor| -> Result<f64> { Ok(loss(x)?.to_scalar::<f64>()?) };
    let entries: Vec<usize> = (0..auto.len()).step_by(5).collect();
    let numeric = entries
        .iter()
        .map(|&j| fd_entry(&f, &syn, j, FD_STEP))
        .collect::<Result<Vec<_>>>()?;
    let picked: Vec<f64> = entries.iter().map(|&j| auto[j]).collect();
    let err = rel_err(&picked, &numeric);
    assert!(err < GRAD_REL_TOL, "relative error {err:.3e}");
    // The loss is not trivially zero (so the check is not vacuous).
    assert!(f(&syn)? > 1e-6);
    Ok(())
}
