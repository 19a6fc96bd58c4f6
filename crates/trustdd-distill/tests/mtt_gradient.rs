//! The MTT trajectory loss's gradient with respect to the synthetic pixels and the learnable
//! learning rate, against finite differences (f64), through `second_order::run`.

use crate::common;

use anyhow::Result;
use candle_core::{Device, Tensor, Var};
use common::wrap;
use common::{fd_entry, randn, rel_err, tiny_net, FD_STEP, GRAD_REL_TOL};
use trustdd_core::{ImageShape, TrustRng};
use trustdd_distill::{second_order, trajectory_loss, StudentLabels, StudentStep};
use trustdd_nn::Network;
use trustdd_train::dsa::{Dsa, DsaConfig, DsaGroup};

#[test]
fn trajectory_loss_gradients_match_finite_differences() -> Result<()> {
    let errors = second_order::run(|| check().map_err(wrap))?;
    let (pixels, lr) = errors;
    assert!(pixels < GRAD_REL_TOL, "pixels: relative error {pixels:.3e}");
    assert!(lr < GRAD_REL_TOL, "lr: relative error {lr:.3e}");
    Ok(())
}

fn check() -> Result<(f64, f64)> {
    let mut rng = TrustRng::new(13);
    let shape = ImageShape::new(1, 8, 8);
    let net = tiny_net(shape, 2, &mut rng)?;
    let start = Network::flatten(&net.detached_params())?;
    let other = tiny_net(shape, 2, &mut rng)?;
    let target = Network::flatten(&other.detached_params())?;
    let images = randn(&[4, 1, 8, 8], &mut rng)?;
    let labels = Tensor::new(&[0u32, 0, 1, 1], &Device::Cpu)?;
    let dsa = Dsa::new(DsaConfig::default(), shape)?;
    // Three student steps: all images; a subset with a per-sample colour transform; all again.
    let steps = vec![
        StudentStep {
            ids: Tensor::new(&[0u32, 1, 2, 3], &Device::Cpu)?,
            transform: None,
        },
        StudentStep {
            ids: Tensor::new(&[3u32, 0, 2], &Device::Cpu)?,
            transform: Some(dsa.sample_group(DsaGroup::Color, 3, &mut rng)),
        },
        StudentStep {
            ids: Tensor::new(&[1u32, 2, 3, 0], &Device::Cpu)?,
            transform: None,
        },
    ];
    let loss = |x: &Tensor, lr: &Tensor| -> Result<Tensor> {
        Ok(trajectory_loss(
            &net,
            &start,
            &target,
            &steps,
            x,
            StudentLabels::Hard(&labels),
            lr,
        )?)
    };
    let x_var = Var::from_tensor(&images)?;
    let lr_var = Var::new(0.3f64, &Device::Cpu)?;
    let grads = loss(x_var.as_tensor(), lr_var.as_tensor())?.backward()?;
    let g_x = grads
        .get(x_var.as_tensor())
        .expect("pixel gradient")
        .flatten_all()?
        .to_vec1::<f64>()?;
    let g_lr = grads
        .get(lr_var.as_tensor())
        .expect("lr gradient")
        .to_scalar::<f64>()?;
    let lr0 = Tensor::new(0.3f64, &Device::Cpu)?;
    let f_x = |x: &Tensor| -> Result<f64> { Ok(loss(x, &lr0)?.to_scalar::<f64>()?) };
    let entries: Vec<usize> = (0..g_x.len()).step_by(9).collect();
    let numeric = entries
        .iter()
        .map(|&j| fd_entry(&f_x, &images, j, FD_STEP))
        .collect::<Result<Vec<_>>>()?;
    let picked: Vec<f64> = entries.iter().map(|&j| g_x[j]).collect();
    let f_lr =
        |lr: &Tensor| -> Result<f64> { Ok(loss(&images, &lr.reshape(())?)?.to_scalar::<f64>()?) };
    let numeric_lr = fd_entry(&f_lr, &lr0.reshape(1)?, 0, FD_STEP)?;
    assert!(g_lr.abs() > 1e-8, "the lr gradient is not trivially zero");
    Ok((rel_err(&picked, &numeric), rel_err(&[g_lr], &[numeric_lr])))
}
