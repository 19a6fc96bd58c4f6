//! Tiny synthetic data where label noise is detectable.
#![allow(dead_code)]

use anyhow::Result;
use candle_core::Device;
use trustdd_core::{
    ImageDataset, ImageShape, PartitionContext, Silent, TrustPartitioner, TrustRng,
};
use trustdd_nn::{ArchConfig, ConvNetConfig};
use trustdd_train::dsa::DsaConfig;
use trustdd_trust::TadConfig;

/// 3 classes of 1×8×8 images with clearly different patterns (horizontal stripes, vertical
/// stripes, a bright centre) plus pixel noise, `per_class` each; `flip` of class 0's samples
/// are labelled 1 (clean labels kept).
pub fn patterns(per_class: usize, flip: f64, seed: u64) -> Result<ImageDataset> {
    let shape = ImageShape::new(1, 8, 8);
    let mut rng = TrustRng::new(seed);
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for i in 0..3 * per_class {
        let c = i % 3;
        labels.push(c as u32);
        for y in 0..8 {
            for x in 0..8 {
                let on = match c {
                    0 => y % 2 == 0,
                    1 => x % 2 == 0,
                    _ => (2..6).contains(&x) && (2..6).contains(&y),
                };
                let base = if on { 190.0 } else { 40.0 };
                pixels.push((base + 50.0 * rng.uniform_f64()) as u8);
            }
        }
    }
    let names = (0..3).map(|c| format!("p{c}")).collect();
    let clean = ImageDataset::new("patterns", shape, pixels, labels.clone(), names)?;
    let flips = (per_class as f64 * flip).round() as usize;
    let mut noisy = labels;
    let mut seen = 0;
    for l in noisy.iter_mut() {
        if *l == 0 && seen < flips {
            *l = 1;
            seen += 1;
        }
    }
    Ok(clean.relabel(noisy)?)
}

/// A TAD configuration for the tiny data: a width-8 ConvNet-2 trained briefly.
pub fn tiny_tad() -> TadConfig {
    let mut c = TadConfig::default();
    c.proxy.arch = ArchConfig::ConvNet(ConvNetConfig {
        width: 8,
        depth: 2,
        ..ConvNetConfig::default()
    });
    c.proxy.warmup_epochs = 3;
    c.proxy.epochs_per_round = 2;
    c.proxy.batch_size = 16;
    c.proxy.lr = 0.02;
    c.proxy.augment = Some(DsaConfig::digits());
    c.min_trusted_per_class = 4;
    c
}

/// Runs `rounds` observes of `partitioner` on `dataset` (CPU), round `r` from
/// `TrustRng::for_item(seed, r)`.
pub fn observe_rounds(
    partitioner: &mut dyn TrustPartitioner,
    dataset: &ImageDataset,
    rounds: usize,
    seed: u64,
) -> Result<()> {
    for round in 0..rounds {
        let ctx = PartitionContext {
            dataset,
            device: &Device::Cpu,
            round,
            progress: &Silent,
        };
        partitioner.observe(&ctx, &mut TrustRng::for_item(seed, round as u64))?;
    }
    Ok(())
}
