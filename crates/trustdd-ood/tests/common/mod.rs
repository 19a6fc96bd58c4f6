//! Tiny data shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use trustdd_core::{DatasetSampler, ImageDataset, ImageShape, Normalization, Preprocess, TrustRng};

/// Non-trivial normalisation, so the pixel ↔ input round trip is exercised.
pub fn preprocess() -> Preprocess {
    Preprocess::Normalize(Normalization {
        mean: vec![0.4],
        std: vec![0.3],
    })
}

/// `classes × per_class` random 1×8×8 images; brighter for larger class.
pub fn tiny_dataset(classes: usize, per_class: usize, seed: u64) -> ImageDataset {
    let shape = ImageShape::new(1, 8, 8);
    let mut rng = TrustRng::new(seed);
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for i in 0..classes * per_class {
        let c = i % classes;
        labels.push(c as u32);
        for _ in 0..shape.numel() {
            pixels
                .push((30.0 + 160.0 * c as f64 / classes as f64 + 60.0 * rng.uniform_f64()) as u8);
        }
    }
    let names = (0..classes).map(|c| format!("c{c}")).collect();
    ImageDataset::new("tiny", shape, pixels, labels, names)
        .unwrap()
        .with_preprocess(preprocess())
        .unwrap()
}

/// A sampler over [`tiny_dataset`].
pub fn sampler(ds: ImageDataset) -> Arc<DatasetSampler> {
    Arc::new(DatasetSampler::new(Arc::new(ds), candle_core::Device::Cpu))
}
