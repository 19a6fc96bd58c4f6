//! The benchmark's blobs OOD set and the resizing of another dataset to the ID shape, against
//! skimage, scipy and Pillow (numpy 2.4.6, scikit-image 0.26.0, Pillow 13.0.0) on fixed
//! inputs; values as the hex of their bytes (blobs: little-endian `float32`, `C×H×W`):
//!
//! ```python
//! # Hendrycks et al.'s "blobs" OOD set (outlier-exposure test.py, the definition TrustDD's
//! # test_ood_model_syn.py keeps): a Bernoulli(0.7) mask over H×W×C, skimage's gaussian with
//! # sigma 1.5 over all three axes (channel_axis=None, mode "nearest"), values below 0.75 set to 0.
//! import numpy as np
//! from skimage.filters import gaussian as gblur
//!
//! def mask(h, w, c):
//!     i, j, k = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
//!     return np.float32(((i * 7 + j * 3 + k * 5 + (i * j) % 5) % 10) < 7)
//!
//! for (h, w, c) in [(8, 8, 1), (6, 7, 3)]:
//!     x = gblur(mask(h, w, c), sigma=1.5, channel_axis=None)
//!     x[x < 0.75] = 0.0
//!     print(f"blobs_{h}x{w}x{c}", np.asarray(x, np.float32).transpose(2, 0, 1).tobytes().hex())
//!
//! # Another dataset's image made into the ID shape: Pillow grey conversion, shorter side resized
//! # bilinearly (torchvision's Resize rule), centre crop (torchvision's CenterCrop rule).
//! from PIL import Image
//! def pattern(c, h, w):
//!     i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
//!     return np.stack([((i * 37 + j * 11 + k * 53 + (i * j) % 7 * 19) % 256) for k in range(c)]).astype(np.uint8)
//! rgb = pattern(3, 20, 30)
//! im = Image.fromarray(rgb.transpose(1, 2, 0), mode="RGB").convert("L")
//! side = 28
//! new_w = int(side * 30 / 20)
//! im = im.resize((new_w, side), Image.Resampling.BILINEAR)
//! left = int(round((new_w - side) / 2.0))
//! print("resized_20x30_rgb_to_28", np.asarray(im)[:, left:left + side].tobytes().hex())
//! ```

use trustdd_core::ImageShape;
use trustdd_ood::noise_sets::blobs_from_mask;
use trustdd_ood::resize_to_shape;

const BLOBS_8X8X1: &str = "95ef4a3f8aa4453f00000000000000000000000000000000000000002204463f00000000000000000000000000000000000000000000000000000000b018403f000000000000000000000000000000000000000000000000000000003fe8403f000000000000000000000000000000000000000000000000542d4c3f356f4f3f00000000000000000000000000000000000000008070423f6ea4553fed6d603f000000000000000000000000000000000000000000000000978f513fe620653f0000000000000000000000000000000000000000000000008348443f618b5d3f0000000000000000000000000000000000000000000000000000000035df523f";
const BLOBS_6X7X3: &str = "b4ce493fa0c9423f000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003ab4493f00000000000000000000000000000000000000004297423fa79b4f3f00000000000000000000000000000000000000002d3c413f444b4e3f2087493fe014423f00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000d48e443f000000000000000000000000000000000000000000000000b4b5493f000000000000000000000000000000000000000000000000a2d5473fb4ce493fa0c9423f000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003ab4493f00000000000000000000000000000000000000004297423fa79b4f3f00000000000000000000000000000000000000002d3c413f444b4e3f";
const RESIZED_20X30_RGB_TO_28: &str = "60687078808890979fa7afb7b2aab1b9c1c9d1984b525a626a7259359a786b8d9da59f717578687899b4868a8d7d8c816c7b5f4f5e6d6f6cc5876b9fb8b699565451334c7b9f5c636d5f5d6c859e6b4c657e94a4c58e76a5c8ab6d59514632556058445c7fa2666386a9806a8db0c7cabe9586bf786468415458315e5b45628c9d86989185a28b82a08090ab97786d9a5b4b565661696a77644f859ba097ae9674a39c8c807e8689684f43536458497d7680b596776aa89b97bba97e5eaaaf8c478c8e686a5744377986746c8daab49f8984bcb7adb3856360b5b88b38616454695d52468ea4988ca4b6b3a89c93958c848168575576a5a455615f576664636194a8a6a3adb5b3b1aca087807f7d7b674d4a869f6d5b5452636b737b838b939aa2aab2bab5adb4bcc4ccd49b4e555d656d3e3038ab7f6d95a7afa66b6d6f596b96ba7e81836d7e7e7788634d5e606b7dc88b70a39192935a5652365179945a65746f626d88a3725570829aafc78c74ad5f566f57554d355a62574d69889f706d89ab85729497b0c7bf745ec85c4d6a3f575e34635d456b98a684938f87a3918aa77786a88e5e4e8c604f546469707f826b57909d9fa3a88d71a7a48f75868e856b5446516b64557c7e8bb89b7d72afa49fbca57c62afb48f478689676e5b473480927f6c94b6b7a4908cc3bfb4b5816063babd8e385c5e536b61584e95aca298acbab6ada3998d837c7865585569a3ad6066635c6868696994a5a5a4aeb6b6b6b1a6938f90906250504f819670585050747275838a939a949aa1a3adb2b3acadb2bc6a4f596261636d483f49bd866e9ea0acad6466674b5e92bf77524a5d616f8296684b5e697a8dcb9076a87f808e5d59523855768959536380666e8ba97a5e7b8ca5b9c58a73b6625771555853385f645756708b9d7a778bac8b7a9b94abc4b6725cd05e4e6c3d5b6537685f4474949b819d998aa59692ae7380a5825d4e7f645352717076958c72609b9a9aafaf8e6fabab926b8f7d516f58494e7270607c8597bba0847ab6aca6bea17965b4b99247817040715e4a378395826f97b9baa7938fc6c2b7b8846366bdc0913b5f6156";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The script's `mask(h, w, c)`, laid out `C×H×W`.
fn mask(h: usize, w: usize, c: usize) -> Vec<f32> {
    let mut out = vec![0f32; c * h * w];
    for i in 0..h {
        for j in 0..w {
            for k in 0..c {
                out[k * h * w + i * w + j] =
                    f32::from(u8::from((i * 7 + j * 3 + k * 5 + (i * j) % 5) % 10 < 7));
            }
        }
    }
    out
}

#[test]
fn blobs_equal_the_benchmark_definition() {
    for (h, w, c, reference) in [(8, 8, 1, BLOBS_8X8X1), (6, 7, 3, BLOBS_6X7X3)] {
        let want: Vec<f32> = hex(reference)
            .chunks(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let got = blobs_from_mask(&mask(h, w, c), (c, h, w));
        assert_eq!(got.len(), want.len());
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() < 1e-6, "{h}x{w}x{c} value {k}: {g} vs {w}");
        }
        assert!(want.contains(&0.0) && want.iter().any(|&v| v > 0.75));
    }
}

#[test]
fn another_shape_is_converted_resized_and_cropped_as_the_benchmark_does() {
    let (c, h, w) = (3, 20, 30);
    let mut rgb = Vec::with_capacity(c * h * w);
    for k in 0..c {
        for i in 0..h {
            for j in 0..w {
                rgb.push(((i * 37 + j * 11 + k * 53 + (i * j) % 7 * 19) % 256) as u8);
            }
        }
    }
    let got = resize_to_shape(&rgb, ImageShape::new(3, 20, 30), ImageShape::new(1, 28, 28));
    assert_eq!(got, hex(RESIZED_20X30_RGB_TO_28));
}
