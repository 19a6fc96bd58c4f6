//! Gradient matching with a batch-norm network, as the reference: before each outer step the
//! running statistics are fixed from 16 real images per class (one forward pass in training
//! mode), and both gradients are taken in evaluation mode. A replay of the step's draws computes
//! the same loss independently; matching in training mode (the old behaviour) gives another one.

use crate::common;

use anyhow::Result;
use candle_core::Tensor;
use common::tiny_sampler;
use trustdd_core::{DistillContext, DistillObjective, RealSampler, Silent, SyntheticSet, TrustRng};
use trustdd_distill::{
    gradient_distance, matching_loss, GradientMatching, GradientMatchingConfig, BN_IMAGES_PER_CLASS,
};
use trustdd_nn::{ArchConfig, ConvNetConfig, Network, NormKind};

fn bn_arch() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 3,
        depth: 2,
        norm: NormKind::Batch,
        ..ConvNetConfig::default()
    })
}

#[test]
fn a_batch_norm_network_matches_in_evaluation_mode_with_statistics_from_real_images() -> Result<()>
{
    let sampler = tiny_sampler(2, 20, 3)?;
    let mut rng = TrustRng::new(4);
    let mut syn = SyntheticSet::from_real(&sampler, 1, &mut rng)?;
    let config = GradientMatchingConfig {
        arch: bn_arch(),
        real_batch: 6,
        outer_loop: Some(1),
        inner_loop: Some(1),
        ..GradientMatchingConfig::default()
    };
    let mut gm = GradientMatching::new(config)?;
    // Replay the draws: the network's fork, 16 real images per class for the statistics, then
    // each class's real batch (no DSA).
    let mut replay = rng.clone();
    let shape = sampler.image_shape();
    let mut net = Network::new(
        &bn_arch(),
        shape,
        2,
        syn.images.dtype(),
        &candle_core::Device::Cpu,
        &mut replay.fork(),
    )?;
    let stats: Vec<Tensor> = (0..2)
        .map(|c| sampler.sample(c, BN_IMAGES_PER_CLASS, &mut replay))
        .collect::<trustdd_core::Result<_>>()?;
    net.forward(&Tensor::cat(&stats, 0)?, true)?;
    let batches: Vec<Tensor> = (0..2)
        .map(|c| sampler.sample(c, 6, &mut replay))
        .collect::<trustdd_core::Result<_>>()?;
    let params = net.params();
    // Independently, with candle's own cross-entropy: the gradient distance per class, the
    // network in evaluation (running statistics) or training (batch statistics) mode.
    let grads = |x: &Tensor, c: u32, train: bool| -> Result<Vec<Tensor>> {
        let labels = Tensor::new(vec![c; x.dim(0)?], &candle_core::Device::Cpu)?;
        let logits = net.forward_with(&params, x, train)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &labels)?;
        let store = loss.backward()?;
        Ok(params
            .iter()
            .map(|p| store.get(p).unwrap().detach())
            .collect())
    };
    let total = |train: bool| -> Result<f64> {
        let mut sum = 0.0;
        for (c, real) in batches.iter().enumerate() {
            let s = syn.class_images(c)?;
            let d =
                gradient_distance(&grads(real, c as u32, train)?, &grads(&s, c as u32, train)?)?;
            sum += d.to_scalar::<f32>()? as f64;
        }
        Ok(sum)
    };
    let expected = total(false)?;
    // The old behaviour, training-mode gradients (batch statistics), gives another loss; the
    // public `matching_loss` keeps that mode (it is checked against PyTorch in loss_values.rs).
    let train_mode = total(true)?;
    let mut public = 0.0;
    for (c, real) in batches.iter().enumerate() {
        let l = matching_loss(&net, &params, real, &syn.class_images(c)?, c)?;
        public += l.to_scalar::<f32>()? as f64;
    }
    assert!((public - train_mode).abs() < 1e-5 * train_mode.abs().max(1.0));
    let ctx = DistillContext {
        real: &sampler,
        iteration: 0,
        progress: &Silent,
    };
    let report = gm.step(&mut syn, &ctx, &mut rng)?;
    assert!(
        (report.loss - expected).abs() < 1e-5 * expected.abs().max(1.0),
        "{} vs {expected} (train mode {train_mode})",
        report.loss
    );
    assert!(
        (train_mode - expected).abs() > 1e-3,
        "train mode {train_mode} vs eval mode {expected}"
    );
    Ok(())
}
