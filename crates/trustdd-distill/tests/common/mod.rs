//! Shared helpers of the integration tests: tiny datasets, networks and finite differences.
#![allow(dead_code)]

use anyhow::Result;
use candle_core::{DType, Device, Tensor};
use std::sync::Arc;
use trustdd_core::{DatasetSampler, ImageDataset, ImageShape, TrustRng};
use trustdd_nn::{ArchConfig, ConvNetConfig, Network};

/// Central-difference step for f64 checks.
pub const FD_STEP: f64 = 1e-5;
/// Relative tolerance of a gradient against central differences in f64 (truncation error
/// O(h²) ≈ 1e-10 relative; rounding ≈ 1e-16/h ≈ 1e-11, so 1e-6 leaves margin for kinks).
pub const GRAD_REL_TOL: f64 = 1e-6;

/// A ConvNet small enough for finite differences: width 3, depth 2.
pub fn tiny_arch() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 3,
        depth: 2,
        ..ConvNetConfig::default()
    })
}

/// A tiny network in f64 for `shape` and `classes`.
pub fn tiny_net(shape: ImageShape, classes: usize, rng: &mut TrustRng) -> Result<Network> {
    Ok(Network::new(
        &tiny_arch(),
        shape,
        classes,
        DType::F64,
        &Device::Cpu,
        rng,
    )?)
}

/// N(0,1) tensor of `shape` in f64.
pub fn randn(shape: &[usize], rng: &mut TrustRng) -> Result<Tensor> {
    let n = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    Ok(Tensor::from_vec(v, shape, &Device::Cpu)?)
}

/// `(f(x + h e_j) − f(x − h e_j)) / 2h` for entry `j` of `x`.
pub fn fd_entry(f: &dyn Fn(&Tensor) -> Result<f64>, x: &Tensor, j: usize, h: f64) -> Result<f64> {
    let base = x.flatten_all()?.to_vec1::<f64>()?;
    let at = |delta: f64| -> Result<f64> {
        let mut v = base.clone();
        v[j] += delta;
        f(&Tensor::from_vec(v, x.dims(), x.device())?)
    };
    Ok((at(h)? - at(-h)?) / (2.0 * h))
}

/// ‖a − b‖ / ‖b‖.
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    let den: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    num / den.max(1e-300)
}

/// A labelled dataset of `per_class` random images per class (`classes` classes, 1×8×8), pixels
/// from `seed`; class `c` images are brighter for larger `c`, so classes differ.
pub fn tiny_dataset(classes: usize, per_class: usize, seed: u64) -> Result<ImageDataset> {
    let shape = ImageShape::new(1, 8, 8);
    let mut rng = TrustRng::new(seed);
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for i in 0..classes * per_class {
        let c = i % classes;
        labels.push(c as u32);
        for _ in 0..shape.numel() {
            let base = 40.0 + 150.0 * c as f64 / classes.max(1) as f64;
            pixels.push((base + 60.0 * rng.uniform_f64()) as u8);
        }
    }
    let names = (0..classes).map(|c| format!("class{c}")).collect();
    Ok(ImageDataset::new("tiny", shape, pixels, labels, names)?)
}

/// A sampler over [`tiny_dataset`].
pub fn tiny_sampler(classes: usize, per_class: usize, seed: u64) -> Result<DatasetSampler> {
    Ok(DatasetSampler::new(
        Arc::new(tiny_dataset(classes, per_class, seed)?),
        Device::Cpu,
    ))
}

/// An `anyhow` error of a test body run on the second-order worker, as the core error
/// `second_order::run` passes back.
#[allow(dead_code)]
pub fn wrap(e: anyhow::Error) -> trustdd_core::Error {
    trustdd_core::Error::from(trustdd_distill::DistillError::Worker(e.to_string()))
}
