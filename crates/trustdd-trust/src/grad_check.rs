//! Test support: a scalar function of a logits matrix against central differences (f64).

use candle_core::{DType, Device, Tensor, Var};

/// Asserts that the gradient of `f` at `logits` (shape `shape`) equals central differences to
/// 1e-7 in every entry, and that the point is not flat (some derivative above 1e-3).
pub(crate) fn assert_gradient_matches_differences(
    f: impl Fn(&Tensor) -> Tensor,
    logits: &[f64],
    shape: (usize, usize),
) {
    let at = |v: &[f64]| Tensor::from_slice(v, shape, &Device::Cpu).unwrap();
    let value = |v: &[f64]| f(&at(v)).to_scalar::<f64>().unwrap();
    let var = Var::from_tensor(&at(logits)).unwrap();
    let grads = f(var.as_tensor()).backward().unwrap();
    let g = grads
        .get(var.as_tensor())
        .expect("the function has a gradient in the logits")
        .to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    let h = 1e-6;
    let mut largest = 0f64;
    for i in 0..logits.len() {
        let (mut up, mut down) = (logits.to_vec(), logits.to_vec());
        up[i] += h;
        down[i] -= h;
        let fd = (value(&up) - value(&down)) / (2.0 * h);
        assert!(
            (g[i] - fd).abs() < 1e-7,
            "logit {i}: backward {} vs fd {fd}",
            g[i]
        );
        largest = largest.max(fd.abs());
    }
    assert!(
        largest > 1e-3,
        "the check ran on a flat point (largest fd {largest:.2e})"
    );
}
