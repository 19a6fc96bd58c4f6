use super::*;
use candle_core::Device;

/// The test image: `sin(0.3y + 0.7x) + 0.1·((y·x) mod 5)`, 28×28, f32.
fn image() -> Vec<f32> {
    let mut v = Vec::with_capacity(28 * 28);
    for y in 0..28 {
        for x in 0..28 {
            v.push(((0.3 * y as f64 + 0.7 * x as f64).sin() + 0.1 * ((y * x) % 5) as f64) as f32);
        }
    }
    v
}

#[test]
fn rotation_equals_scipy_ndimage_rotate() {
    // scipy 1.17.1 / numpy 2.4.6:
    //   y, x = np.mgrid[0:28, 0:28]
    //   img = (np.sin(0.3*y + 0.7*x) + 0.1*((y*x) % 5)).astype(np.float32)
    //   out = scipy.ndimage.rotate(img[None], angle=a, axes=(-2, -1), cval=0.25)[0]
    // (reshape=True, order=3, mode='constant': DC's `rotatefun`); shape, the f64 sum, pixels.
    type Case = (f64, (usize, usize), f64, &'static [((usize, usize), f32)]);
    let cases: [Case; 3] = [
        (
            -45.0,
            (40, 40),
            330.669_814_164_168_2,
            &[
                ((0, 0), 0.25),
                ((3, 17), 0.888_392_2),
                ((10, 10), -0.786_531_3),
                ((19, 5), 0.742_274_3),
                ((20, 20), 1.083_648_3),
                ((38, 7), 0.25),
            ],
        ),
        (
            -17.0,
            (35, 35),
            240.714_528_517_797_6,
            &[
                ((3, 17), 0.308_824_4),
                ((10, 10), -0.315_977_42),
                ((19, 5), 1.172_437_8),
                ((17, 17), 1.125_630_7),
                ((6, 26), 0.745_940_4),
            ],
        ),
        (
            30.0,
            (38, 38),
            294.653_562_457_708_2,
            &[
                ((3, 17), 0.25),
                ((10, 10), 1.000_893_7),
                ((19, 5), 0.226_863),
                ((19, 19), 1.045_17),
            ],
        ),
    ];
    let img = image();
    for (angle, shape, sum, pixels) in cases {
        let (out, oh, ow) = rotate_plane(&img, 28, 28, angle, 0.25);
        assert_eq!((oh, ow), shape, "angle {angle}");
        let total: f64 = out.iter().map(|&v| f64::from(v)).sum();
        assert!(
            (total - sum).abs() < 1e-3,
            "angle {angle}: sum {total} vs {sum}"
        );
        for &((y, x), v) in pixels {
            let got = out[y * ow + x];
            assert!(
                (got - v).abs() < 1e-5,
                "angle {angle} ({y}, {x}): {got} vs {v}"
            );
        }
    }
}

#[test]
fn crop_shifts_with_mean_padding() {
    // 1×3×3 image 1..9, padding 1, window at (0, 2) of the padded 5×5: the image moves one
    // row down and one column left; the new row and column are the mean (here 7.0).
    let mut img: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    crop(&mut img, 1, 3, 3, 1, (0, 2), &[7.0]);
    assert_eq!(img, vec![7.0, 7.0, 7.0, 2.0, 3.0, 7.0, 5.0, 6.0, 7.0]);
}

#[test]
fn scale_is_nearest_resize_centred_on_zeros() {
    // 4×4 image shrunk to 2×2: PyTorch nearest takes rows/cols floor(d·2) = 0, 2; the 2×2 sits
    // at (1, 1) of the 4×4 zero canvas, which is also the window kept.
    let mut img: Vec<f32> = (0..16).map(|v| v as f32).collect();
    scale(&mut img, 1, 4, 4, 2, 2);
    #[rustfmt::skip]
    let want = vec![
        0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 2.0, 0.0,
        0.0, 8.0, 10.0, 0.0,
        0.0, 0.0, 0.0, 0.0,
    ];
    assert_eq!(img, want);
    // Enlarged to 6×5 (rows, cols): canvas 6×6, image at (0, 0)..(6, 5); the window kept is
    // rows 1..5, cols 1..5 of the canvas. Row source floor(d·4/6), col source floor(d·4/5).
    let mut img: Vec<f32> = (0..16).map(|v| v as f32).collect();
    scale(&mut img, 1, 4, 4, 6, 5);
    let src_row = |d: usize| ((d as f32 * (4.0 / 6.0)).floor() as usize).min(3);
    let src_col = |d: usize| ((d as f32 * (4.0 / 5.0)).floor() as usize).min(3);
    for y in 0..4 {
        for x in 0..4 {
            let (cy, cx) = (y + 1, x + 1);
            let want = if cx < 5 {
                (src_row(cy) * 4 + src_col(cx)) as f32
            } else {
                0.0
            };
            assert_eq!(img[y * 4 + x], want, "({y}, {x})");
        }
    }
    // PyTorch's rule for an exact doubling agrees: floor(d·0.5).
    assert_eq!(
        (0..6).map(|d| nearest(d, 3, 6)).collect::<Vec<_>>(),
        vec![0, 0, 1, 1, 2, 2]
    );
}

#[test]
fn apply_draws_one_operation_per_image_from_the_seed() -> Result<()> {
    let dev = Device::Cpu;
    let img = image();
    let batch: Vec<f32> = img.iter().chain(&img).chain(&img).copied().collect();
    let x = Tensor::from_vec(batch, (3, 1, 28, 28), &dev)?;
    let c = DcAugmentConfig::mnist();
    let a = c.apply(&x, &mut TrustRng::new(7))?;
    let b = c.apply(&x, &mut TrustRng::new(7))?;
    let (va, vb): (Vec<f32>, Vec<f32>) = (a.flatten_all()?.to_vec1()?, b.flatten_all()?.to_vec1()?);
    assert_eq!(va, vb, "same seed, same bytes");
    assert_ne!(va, x.flatten_all()?.to_vec1::<f32>()?, "something moved");
    // The three copies of one image got their own draws.
    assert!(va[..784] != va[784..1568] || va[784..1568] != va[1568..]);
    // Noise only: each pixel moves by about 0.001.
    let noise = DcAugmentConfig {
        strategy: vec![DcAugmentOp::Noise],
        ..DcAugmentConfig::default()
    };
    let n: Vec<f32> = noise
        .apply(&x, &mut TrustRng::new(1))?
        .flatten_all()?
        .to_vec1()?;
    let orig: Vec<f32> = x.flatten_all()?.to_vec1()?;
    let rms = (n
        .iter()
        .zip(&orig)
        .map(|(p, q)| f64::from(p - q).powi(2))
        .sum::<f64>()
        / n.len() as f64)
        .sqrt();
    assert!((rms - 0.001).abs() < 1e-4, "rms {rms}");
    Ok(())
}

#[test]
fn validate_names_the_bad_field() {
    let bad = |c: DcAugmentConfig, field: &str| {
        let msg = c.validate().unwrap_err().to_string();
        assert!(msg.contains(field), "{msg}");
    };
    bad(
        DcAugmentConfig {
            strategy: vec![],
            ..DcAugmentConfig::default()
        },
        "strategy",
    );
    bad(
        DcAugmentConfig {
            crop: 0,
            ..DcAugmentConfig::default()
        },
        "crop",
    );
    bad(
        DcAugmentConfig {
            scale: 1.5,
            ..DcAugmentConfig::default()
        },
        "scale",
    );
    bad(
        DcAugmentConfig {
            noise: f64::NAN,
            ..DcAugmentConfig::batch_norm()
        },
        "noise",
    );
    assert!(DcAugmentConfig::mnist().validate().is_ok());
    assert!(DcAugmentConfig::batch_norm().validate().is_ok());
}
