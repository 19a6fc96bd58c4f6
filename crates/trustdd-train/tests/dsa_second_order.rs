//! DSA is twice differentiable: the gradient of a loss through a transform, differentiated
//! again, matches central finite differences of the first gradient (f64).
//!
//! candle detaches gradients during backprop unless `CANDLE_GRAD_DO_NOT_DETACH=1` is set
//! before a thread's first backward (CANDLE_NOTES.md); this file is its own test binary with
//! one test, so setting it at the start is safe.

use candle_core::{Device, Tensor, Var};
use trustdd_core::TrustRng;
use trustdd_train::dsa::DsaTransform;

fn random(seed: u64, shape: (usize, usize, usize, usize)) -> Tensor {
    let mut rng = TrustRng::new(seed);
    let n = shape.0 * shape.1 * shape.2 * shape.3;
    let data: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    Tensor::from_vec(data, shape, &Device::Cpu).unwrap()
}

/// g(x) = ∂/∂x Σ v ⊙ T(x)³, then Σ u ⊙ g(x); both keep the graph when `keep` is set.
fn inner_product_of_gradient(t: &DsaTransform, x: &Var, v: &Tensor, u: &Tensor) -> Tensor {
    let y = t.apply(x.as_tensor()).unwrap();
    let f = (y.powf(3.0).unwrap() * v).unwrap().sum_all().unwrap();
    let grads = f.backward().unwrap();
    let g = grads.get(x.as_tensor()).unwrap();
    (g * u).unwrap().sum_all().unwrap()
}

#[test]
fn dsa_second_order_gradients_match_finite_differences() {
    std::env::set_var("CANDLE_GRAD_DO_NOT_DETACH", "1");
    let shape = (2, 2, 4, 5);
    let x0 = random(1, shape);
    let v = random(2, shape);
    let u = random(3, shape);
    let transforms = [
        DsaTransform::Color {
            brightness: vec![0.1, -0.3],
            saturation: vec![1.4, 0.6],
            contrast: vec![0.8, 1.2],
        },
        DsaTransform::Crop {
            shifts: vec![(1, 1), (0, -2)],
        },
        DsaTransform::Cutout {
            height: 2,
            width: 3,
            centres: vec![(2, 2)],
        },
        DsaTransform::Flip {
            flipped: vec![false, true],
        },
        DsaTransform::Scale {
            factors: vec![(1.1, 0.9)],
        },
        DsaTransform::Rotate {
            radians: vec![0.15, -0.2],
        },
    ];
    let h = 1e-5;
    for t in &transforms {
        let x = Var::from_tensor(&x0).unwrap();
        let second = inner_product_of_gradient(t, &x, &v, &u).backward().unwrap();
        let analytic: Vec<f64> = second
            .get(x.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let base: Vec<f64> = x0.flatten_all().unwrap().to_vec1().unwrap();
        for (i, &a) in analytic.iter().enumerate() {
            let at = |d: f64| {
                let mut p = base.clone();
                p[i] += d;
                let xp = Var::from_vec(p, shape, &Device::Cpu).unwrap();
                inner_product_of_gradient(t, &xp, &v, &u)
                    .to_scalar::<f64>()
                    .unwrap()
            };
            let fd = (at(h) - at(-h)) / (2.0 * h);
            assert!(
                (fd - a).abs() < 1e-6 * (1.0 + a.abs()),
                "{t:?} pixel {i}: fd {fd} vs {a}"
            );
        }
    }
}
