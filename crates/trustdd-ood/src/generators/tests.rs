//! Each generator on small hand-made images, against pixels worked out by hand.

use super::*;
use candle_core::{Device, Tensor};
use trustdd_core::{OutlierGenerator, TrustRng};

fn t(v: Vec<f32>, dims: (usize, usize, usize, usize)) -> Tensor {
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

fn host(x: &Tensor) -> Vec<f32> {
    x.flatten_all().unwrap().to_vec1().unwrap()
}

/// A 1×1×H×W image whose pixel (r, c) is `(r·W + c) / 100`.
fn ramp(h: usize, w: usize) -> Tensor {
    t((0..h * w).map(|i| i as f32 / 100.0).collect(), (1, 1, h, w))
}

#[test]
fn fixed_jigsaw_moves_blocks_cyclically_and_keeps_the_remainder() {
    // 5×5 with grid 2: 2×2 blocks over rows/cols 0..4; row 4 and column 4 stay.
    let x = ramp(5, 5);
    let y = host(
        &Jigsaw::default()
            .generate(&x, &mut TrustRng::new(0))
            .unwrap(),
    );
    let v = |r: usize, c: usize| y[r * 5 + c];
    let orig = |r: usize, c: usize| (r * 5 + c) as f32 / 100.0;
    // σ(p) = p + 1 mod 4: out block 0 (top-left) ← in block 1 (top-right), 1 ← 2 (bottom-left),
    // 2 ← 3 (bottom-right), 3 ← 0 (top-left).
    assert_eq!(v(0, 0), orig(0, 2));
    assert_eq!(v(1, 1), orig(1, 3));
    assert_eq!(v(0, 2), orig(2, 0));
    assert_eq!(v(2, 0), orig(2, 2));
    assert_eq!(v(3, 3), orig(1, 1));
    for k in 0..5 {
        assert_eq!(v(4, k), orig(4, k), "bottom remainder row moved");
        assert_eq!(v(k, 4), orig(k, 4), "right remainder column moved");
    }
    assert!(Jigsaw {
        grid: 1,
        ..Jigsaw::default()
    }
    .generate(&x, &mut TrustRng::new(0))
    .is_err());
}

#[test]
fn random_jigsaw_permutes_blocks_and_is_deterministic_by_seed() {
    // 3 channels, 4×4, grid 2: each output block must equal some input block, the same one in
    // every channel, and the image must change.
    let x = t(
        (0..2 * 48).map(|i| i as f32 / 100.0).collect(),
        (2, 3, 4, 4),
    );
    let g = Jigsaw {
        grid: 2,
        random_permutation: true,
    };
    let a = host(&g.generate(&x, &mut TrustRng::new(3)).unwrap());
    let b = host(&g.generate(&x, &mut TrustRng::new(3)).unwrap());
    assert_eq!(a, b);
    let xs = host(&x);
    assert_ne!(a, xs);
    let mut sorted_a = a.clone();
    let mut sorted_x = xs.clone();
    sorted_a.sort_by(f32::total_cmp);
    sorted_x.sort_by(f32::total_cmp);
    assert_eq!(sorted_a, sorted_x, "a permutation only moves pixels");
    // Top-left pixel of each output block is the top-left pixel of an input block, and the
    // offset inside the block is preserved (pixel (1,1) of a block = its (0,0) + 0.05).
    for img in 0..2 {
        for ch in 0..3 {
            let base = img * 48 + ch * 16;
            for (r, c) in [(0, 0), (0, 2), (2, 0), (2, 2)] {
                assert!((a[base + (r + 1) * 4 + c + 1] - a[base + r * 4 + c] - 0.05).abs() < 1e-6);
            }
        }
    }
}

#[test]
fn invert_one_channel_and_keep_channel_zero_of_colour() {
    let grey = t(vec![0.0, 0.25, 1.0, 0.5], (1, 1, 2, 2));
    let y = host(&Invert.generate(&grey, &mut TrustRng::new(0)).unwrap());
    assert_eq!(y, vec![1.0, 0.75, 0.0, 0.5]);
    let rgb = t(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], (1, 3, 1, 2));
    let y = host(&Invert.generate(&rgb, &mut TrustRng::new(0)).unwrap());
    let want = [0.1, 0.2, 0.7, 0.6, 0.5, 0.4];
    for (a, b) in y.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{y:?}");
    }
}

#[test]
fn pixelate_averages_bytes_into_cells() {
    // Exact byte values 16·k: the default factor on 4×4 gives int(0.8) → 1 cell, the image
    // mean 120 (each row's mean, 64r + 24, is exact, and so is their mean). The official
    // Pillow-equality tests are in tests/official_corruptions.rs.
    let x = t(
        (0..16).map(|k| (16 * k) as f32 / 255.0).collect(),
        (1, 1, 4, 4),
    );
    let y = host(
        &Pixelate::default()
            .generate(&x, &mut TrustRng::new(0))
            .unwrap(),
    );
    assert!(y.iter().all(|v| (v - 120.0 / 255.0).abs() < 1e-6), "{y:?}");
    // Factor 1 keeps every byte.
    let y = host(
        &Pixelate { factor: 1.0 }
            .generate(&x, &mut TrustRng::new(0))
            .unwrap(),
    );
    assert_eq!(y, host(&x));
    assert!(Pixelate { factor: 0.0 }
        .generate(&x, &mut TrustRng::new(0))
        .is_err());
}

#[test]
fn speckle_statistics_clip_and_seed() {
    // x = 0.5 everywhere, σ = 0.2: y = 0.5 + 0.5·n, so mean 0.5, std 0.1 (clipping at 0 or 1
    // needs |n| > 5σ: negligible).
    let n = 20_000;
    let x = t(vec![0.5; n], (n, 1, 1, 1));
    let g = Speckle { sigma: 0.2 };
    let y = host(&g.generate(&x, &mut TrustRng::new(7)).unwrap());
    let mean = y.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let var = y.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    // Standard error of the mean 0.1/√20000 ≈ 7e-4; of the std ≈ 5e-4.
    assert!((mean - 0.5).abs() < 4e-3, "mean {mean}");
    assert!((var.sqrt() - 0.1).abs() < 4e-3, "std {}", var.sqrt());
    assert_eq!(y, host(&g.generate(&x, &mut TrustRng::new(7)).unwrap()));
    assert_ne!(y, host(&g.generate(&x, &mut TrustRng::new(8)).unwrap()));
    // σ = 1 on bright and black pixels: clipped to [0, 1], black stays black.
    let x = t([vec![1.0; 500], vec![0.0; 500]].concat(), (1000, 1, 1, 1));
    let y = host(
        &Speckle::default()
            .generate(&x, &mut TrustRng::new(1))
            .unwrap(),
    );
    assert!(y.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(y[..500].iter().any(|&v| v < 1.0) && y[..500].contains(&1.0));
    assert!(y[500..].iter().all(|&v| v == 0.0));
}

#[test]
fn mix_blends_with_another_image() {
    let x = t(vec![0.0, 0.0, 1.0, 1.0], (2, 1, 1, 2));
    let y = host(
        &Mix { alpha: 0.25 }
            .generate(&x, &mut TrustRng::new(0))
            .unwrap(),
    );
    // With two images each one's partner is the other.
    assert_eq!(y, vec![0.25, 0.25, 0.75, 0.75]);
    let one = t(vec![0.3], (1, 1, 1, 1));
    assert_eq!(
        host(
            &Mix::default()
                .generate(&one, &mut TrustRng::new(0))
                .unwrap()
        ),
        vec![0.3]
    );
}

#[test]
fn list_applies_generator_k_mod_len_and_parses_specs() {
    let list = GeneratorList::parse("invert,pixelate:1").unwrap();
    assert_eq!(list.len(), 2);
    // Images 0 and 2 inverted, 1 and 3 untouched (pixelate with factor 1 is the identity).
    let x = t(vec![0.0, 0.1, 0.2, 0.3], (4, 1, 1, 1));
    let y = host(&list.generate(&x, &mut TrustRng::new(0)).unwrap());
    // Pixelate works on bytes: the identity keeps each value to within half a byte step.
    let want = [1.0, 0.1, 0.8, 0.3];
    for (a, b) in y.iter().zip(want) {
        assert!((a - b).abs() < 0.5 / 255.0 + 1e-6, "{y:?}");
    }
    let poe = GeneratorList::parse("poe").unwrap();
    assert_eq!(poe.names(), GeneratorList::poe().names());
    assert_eq!(
        poe.names(),
        ["jigsaw", "invert", "pixelate(0.2)", "speckle(1)"]
    );
    let custom = GeneratorList::parse("jigsaw:4, pixelate:0.25,jigsaw-random,mix:0.3").unwrap();
    assert_eq!(
        custom.names(),
        [
            "jigsaw(4, fixed)",
            "pixelate(0.25)",
            "jigsaw(2, random)",
            "mix(0.3)"
        ]
    );
    for bad in [
        "jigsaw:x",
        "pixelate:2",
        "blur",
        "invert:3",
        "speckle:-1",
        "jigsaw:1",
    ] {
        match GeneratorList::parse(&format!("invert,{bad}")) {
            Err(e) => match e.downcast_ref::<crate::OodError>() {
                Some(crate::OodError::Spec { item, .. }) => assert_eq!(item, bad),
                other => panic!("{bad}: {other:?}"),
            },
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert!(matches!(
        GeneratorList::parse(" "),
        Err(trustdd_core::Error::Empty { .. })
    ));
}

#[test]
fn speckle_is_the_official_formula_on_its_noise() {
    // The official `clamp(x + x·randn_like(x), 0, 1)`, with the noise drawn from the same stream.
    let x: Vec<f32> = (0..24).map(|i| i as f32 / 23.0).collect();
    let images = t(x.clone(), (2, 3, 2, 2));
    let y = host(
        &Speckle { sigma: 1.0 }
            .generate(&images, &mut TrustRng::new(9))
            .unwrap(),
    );
    let noise = TrustRng::new(9).normal_vec(24, 0.0, 1.0);
    for ((v, n), got) in x.iter().zip(&noise).zip(&y) {
        assert!(
            (got - (v + v * n).clamp(0.0, 1.0)).abs() < 1e-6,
            "{got} vs {v}, {n}"
        );
    }
}
