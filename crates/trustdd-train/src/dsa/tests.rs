//! DSA tests: finite differences in f64, closed forms worked out by hand, Siamese semantics.

use super::*;
use candle_core::{DType, Device, Tensor, Var};
use trustdd_core::{ImageShape, TrustRng};

const STRICT: f64 = 1e-12;

fn batch(n: usize, c: usize, h: usize, w: usize, seed: u64) -> Tensor {
    let mut rng = TrustRng::new(seed);
    let data: Vec<f64> = (0..n * c * h * w).map(|_| rng.normal()).collect();
    Tensor::from_vec(data, (n, c, h, w), &Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    values(a)
        .iter()
        .zip(values(b))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// One fixed transform of every group, with per-sample parameters for a batch of 2.
fn one_of_each() -> Vec<DsaTransform> {
    vec![
        DsaTransform::Color {
            brightness: vec![0.3, -0.2],
            saturation: vec![1.7, 0.4],
            contrast: vec![0.6, 1.3],
        },
        DsaTransform::Crop {
            shifts: vec![(1, -2), (-1, 1)],
        },
        DsaTransform::Cutout {
            height: 3,
            width: 3,
            centres: vec![(1, 4), (5, 0)],
        },
        DsaTransform::Flip {
            flipped: vec![true, false],
        },
        DsaTransform::Scale {
            factors: vec![(1.13, 0.87), (0.9, 1.18)],
        },
        DsaTransform::Rotate {
            radians: vec![0.2, -0.25],
        },
    ]
}

#[test]
fn every_op_gradient_matches_central_finite_differences() {
    // L(x) = Σ v ⊙ T(x)²: quadratic, so the central difference is exact up to rounding.
    let x0 = batch(2, 2, 5, 6, 1);
    let v = batch(2, 2, 5, 6, 2);
    let loss = |t: &DsaTransform, x: &Tensor| -> Tensor {
        (t.apply(x).unwrap().sqr().unwrap() * &v)
            .unwrap()
            .sum_all()
            .unwrap()
    };
    let h = 1e-4;
    for t in one_of_each() {
        let x = Var::from_tensor(&x0).unwrap();
        let grads = loss(&t, x.as_tensor()).backward().unwrap();
        let analytic = values(grads.get(x.as_tensor()).unwrap());
        let base = values(&x0);
        for (i, &g) in analytic.iter().enumerate() {
            let shifted = |d: f64| {
                let mut p = base.clone();
                p[i] += d;
                let xt = Tensor::from_vec(p, x0.shape(), &Device::Cpu).unwrap();
                loss(&t, &xt).to_scalar::<f64>().unwrap()
            };
            let fd = (shifted(h) - shifted(-h)) / (2.0 * h);
            assert!(
                (fd - g).abs() < 1e-7 * (1.0 + g.abs()),
                "{t:?} pixel {i}: {fd} vs {g}"
            );
        }
    }
}

#[test]
fn flip_twice_is_identity_and_flip_mirrors_columns() {
    let x = batch(2, 3, 4, 5, 3);
    let flip = DsaTransform::Flip {
        flipped: vec![true],
    };
    let once = flip.apply(&x).unwrap();
    assert!(max_diff(&flip.apply(&once).unwrap(), &x) < STRICT);
    let mirrored = x.flip(&[3]).unwrap();
    assert!(max_diff(&once, &mirrored) < STRICT);
}

#[test]
fn crop_by_one_row_shifts_rows_and_zero_fills() {
    // 1x1x3x2 image [[1,2],[3,4],[5,6]]; output (i, j) = input (i + 1, j): [[3,4],[5,6],[0,0]].
    let x = Tensor::new(&[1f64, 2., 3., 4., 5., 6.], &Device::Cpu)
        .unwrap()
        .reshape((1, 1, 3, 2))
        .unwrap();
    let crop = DsaTransform::Crop {
        shifts: vec![(1, 0)],
    };
    assert_eq!(
        values(&crop.apply(&x).unwrap()),
        vec![3., 4., 5., 6., 0., 0.]
    );
    let crop = DsaTransform::Crop {
        shifts: vec![(0, -1)],
    };
    assert_eq!(
        values(&crop.apply(&x).unwrap()),
        vec![0., 1., 0., 3., 0., 5.]
    );
}

#[test]
fn rotate_zero_and_scale_one_are_identity() {
    let x = batch(3, 2, 7, 6, 4);
    let rot = DsaTransform::Rotate { radians: vec![0.0] };
    assert!(max_diff(&rot.apply(&x).unwrap(), &x) < STRICT);
    let scale = DsaTransform::Scale {
        factors: vec![(1.0, 1.0); 3],
    };
    assert!(max_diff(&scale.apply(&x).unwrap(), &x) < STRICT);
}

#[test]
fn rotate_ninety_degrees_is_transpose_then_flip() {
    // theta = [[0, 1, 0], [-1, 0, 0]] samples source (x, y) = (y_out, -x_out), i.e.
    // out[i][j] = in[W-1-j][i]: the transpose mirrored horizontally.
    let x = batch(2, 3, 6, 6, 5);
    let rot = DsaTransform::Rotate {
        radians: vec![std::f64::consts::FRAC_PI_2],
    };
    let expected = x
        .transpose(2, 3)
        .unwrap()
        .contiguous()
        .unwrap()
        .flip(&[3])
        .unwrap();
    assert!(max_diff(&rot.apply(&x).unwrap(), &expected) < 1e-12);
}

#[test]
fn scale_follows_align_corners_true_by_hand() {
    // Width 5, sx = 0.5: normalised x_j = -1 + j/2, source x = x_j/2, pixel (x+1)/2*4 = 1 + j/2,
    // so a row [a0..a4] becomes [a1, (a1+a2)/2, a2, (a2+a3)/2, a3].
    let x = Tensor::new(&[[[[0f64, 10., 20., 30., 40.]]]], &Device::Cpu).unwrap();
    let scale = DsaTransform::Scale {
        factors: vec![(0.5, 1.0)],
    };
    assert_eq!(
        values(&scale.apply(&x).unwrap()),
        vec![10., 15., 20., 25., 30.]
    );
    // sx = 2: source pixels -2, 0, 2, 4, 6; outside reads zero.
    let scale = DsaTransform::Scale {
        factors: vec![(2.0, 1.0)],
    };
    assert_eq!(
        values(&scale.apply(&x).unwrap()),
        vec![0., 0., 20., 40., 0.]
    );
}

#[test]
fn colour_ops_match_hand_values() {
    // One pixel, two channels [1, 3]: channel mean 2.
    let x = Tensor::new(&[[[[1f64]], [[3.]]]], &Device::Cpu).unwrap();
    let color = |b: f64, s: f64, c: f64| DsaTransform::Color {
        brightness: vec![b],
        saturation: vec![s],
        contrast: vec![c],
    };
    // Brightness adds a constant: [1.25, 3.25].
    assert_eq!(
        values(&color(0.25, 1.0, 1.0).apply(&x).unwrap()),
        vec![1.25, 3.25]
    );
    // Saturation 0.5 around 2: [1.5, 2.5]; contrast 1 keeps it.
    assert_eq!(
        values(&color(0.0, 0.5, 1.0).apply(&x).unwrap()),
        vec![1.5, 2.5]
    );
    // Contrast 2 around the image mean 2: [0, 4].
    assert_eq!(
        values(&color(0.0, 1.0, 2.0).apply(&x).unwrap()),
        vec![0.0, 4.0]
    );
}

#[test]
fn cutout_zeroes_the_clipped_rectangle() {
    let x = Tensor::ones((1, 1, 4, 4), DType::F64, &Device::Cpu).unwrap();
    // 2x2 centred at (0, 3): rows -1..1 -> 0, cols 2..4 -> 2, 3.
    let cut = DsaTransform::Cutout {
        height: 2,
        width: 2,
        centres: vec![(0, 3)],
    };
    let got = values(&cut.apply(&x).unwrap());
    let mut expected = vec![1.0; 16];
    expected[2] = 0.0;
    expected[3] = 0.0;
    assert_eq!(got, expected);
}

#[test]
fn siamese_transform_is_identical_across_batches() {
    let dsa = Dsa::new(DsaConfig::default(), ImageShape::new(2, 8, 8)).unwrap();
    let mut rng = TrustRng::new(9);
    let real = batch(5, 2, 8, 8, 6);
    let syn = batch(2, 2, 8, 8, 7);
    for group in DsaConfig::default().strategy {
        let t = dsa.sample_group(group, 1, &mut rng);
        assert!(t.is_siamese());
        let both = Tensor::cat(&[&real, &syn], 0).unwrap();
        let joint = t.apply(&both).unwrap();
        let separate = Tensor::cat(&[t.apply(&real).unwrap(), t.apply(&syn).unwrap()], 0).unwrap();
        assert!(max_diff(&joint, &separate) < STRICT, "{group:?}");
        // An image gets the same output whichever batch, and position, it sits in.
        let mixed = Tensor::cat(
            &[
                &syn.narrow(0, 0, 1).unwrap(),
                &real.narrow(0, 0, 1).unwrap(),
            ],
            0,
        )
        .unwrap();
        let from_mixed = t.apply(&mixed).unwrap().narrow(0, 1, 1).unwrap();
        let from_real = joint.narrow(0, 0, 1).unwrap();
        assert!(max_diff(&from_mixed, &from_real) < STRICT, "{group:?}");
    }
}

#[test]
fn per_sample_parameters_differ_per_image() {
    let dsa = Dsa::new(DsaConfig::default(), ImageShape::new(1, 8, 8)).unwrap();
    let mut rng = TrustRng::new(10);
    let one = batch(1, 1, 8, 8, 8);
    let same = Tensor::cat(&[&one; 4], 0).unwrap();
    for group in [DsaGroup::Color, DsaGroup::Scale, DsaGroup::Rotate] {
        let t = dsa.sample_group(group, 4, &mut rng);
        assert_eq!(t.num_param_sets(), 4);
        let out = t.apply(&same).unwrap();
        let first = out.narrow(0, 0, 1).unwrap();
        for k in 1..4 {
            assert!(
                max_diff(&first, &out.narrow(0, k, 1).unwrap()) > 1e-6,
                "{group:?}"
            );
        }
        // A per-sample transform refuses a batch of another size.
        assert!(t.apply(&batch(3, 1, 8, 8, 1)).is_err());
    }
}

#[test]
fn sampled_parameters_stay_in_their_ranges_and_every_group_is_drawn() {
    let dsa = Dsa::new(DsaConfig::default(), ImageShape::new(3, 32, 32)).unwrap();
    let mut rng = TrustRng::new(11);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..300 {
        match dsa.sample(16, &mut rng) {
            DsaTransform::Crop { shifts } => {
                seen.insert("crop");
                // int(32 * 0.125 + 0.5) = 4.
                assert!(shifts.iter().all(|&(y, x)| y.abs() <= 4 && x.abs() <= 4));
            }
            DsaTransform::Rotate { radians } => {
                seen.insert("rotate");
                assert!(radians.iter().all(|a| a.abs() <= 15f64.to_radians()));
            }
            DsaTransform::Scale { factors } => {
                seen.insert("scale");
                let ok = |s: f64| (1.0 / 1.2..=1.2).contains(&s);
                assert!(factors.iter().all(|&(a, b)| ok(a) && ok(b)));
            }
            DsaTransform::Cutout { height, width, .. } => {
                seen.insert("cutout");
                assert_eq!((height, width), (16, 16));
            }
            DsaTransform::Color { saturation, .. } => {
                seen.insert("color");
                assert!(saturation.iter().all(|s| (0.0..2.0).contains(s)));
            }
            DsaTransform::Flip { .. } => {
                seen.insert("flip");
            }
        }
    }
    assert_eq!(seen.len(), 6);
    let digits = Dsa::new(DsaConfig::digits(), ImageShape::new(1, 28, 28)).unwrap();
    for _ in 0..100 {
        assert!(!matches!(
            digits.sample(2, &mut rng),
            DsaTransform::Flip { .. }
        ));
    }
}

#[test]
fn same_seed_same_transform() {
    let dsa = Dsa::new(DsaConfig::default(), ImageShape::new(3, 16, 16)).unwrap();
    let a: Vec<_> = (0..20)
        .scan(TrustRng::new(5), |r, _| Some(dsa.sample(3, r)))
        .collect();
    let b: Vec<_> = (0..20)
        .scan(TrustRng::new(5), |r, _| Some(dsa.sample(3, r)))
        .collect();
    assert_eq!(a, b);
}
