//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use trustdd_core::{ImageDataset, ImageShape, NoiseContext, NoiseModel, TrustRng};

/// `n` labels cycling through `0..classes` (balanced by construction).
pub fn balanced_labels(n: usize, classes: usize) -> Vec<u32> {
    (0..n).map(|i| (i % classes) as u32).collect()
}

/// Labels only: the model's output on `labels`.
pub fn corrupt(model: &dyn NoiseModel, labels: &[u32], classes: usize, seed: u64) -> Vec<u32> {
    model
        .corrupt(&NoiseContext {
            labels,
            num_classes: classes,
            dataset: None,
            seed,
        })
        .unwrap()
}

/// Asserts that `hits` successes of `trials` Bernoulli(p) draws lie within 4 binomial standard
/// deviations of `trials·p` (and exactly at the bound when p is 0).
pub fn assert_binomial(hits: usize, trials: usize, p: f64, what: &str) {
    let mean = trials as f64 * p;
    let sd = (trials as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (hits as f64 - mean).abs() <= 4.0 * sd + 1e-9,
        "{what}: {hits} of {trials}, expected {mean:.1} ± 4·{sd:.1}"
    );
}

/// How many labels differ.
pub fn changed(clean: &[u32], noisy: &[u32]) -> usize {
    clean.iter().zip(noisy).filter(|(a, b)| a != b).count()
}

/// A dataset of `n` random `1×4×4` images named `name`, labels cycling over `classes`.
pub fn random_images(name: &str, n: usize, classes: usize, seed: u64) -> ImageDataset {
    let mut rng = TrustRng::new(seed);
    let pixels: Vec<u8> = (0..n * 16).map(|_| rng.below(256) as u8).collect();
    let names = (0..classes).map(|c| format!("c{c}")).collect();
    ImageDataset::new(
        name,
        ImageShape::new(1, 4, 4),
        pixels,
        balanced_labels(n, classes),
        names,
    )
    .unwrap()
}

/// Writes `tensors` (name, U8 values) to a safetensors file.
pub fn write_u8_safetensors(path: &Path, tensors: &[(&str, Vec<u8>)]) {
    use safetensors::tensor::TensorView;
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, v)| {
            (
                *n,
                TensorView::new(safetensors::Dtype::U8, vec![v.len()], v).unwrap(),
            )
        })
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}
