//! ZCA whitening fitted on a dataset's raw training images, as the MTT reference does.
//!
//! The reference (`mtt-distillation/utils.py`) loads CIFAR without normalisation when ZCA is on
//! and fits Kornia's `ZCAWhitening(eps=0.1)` on the raw [0, 1] images: with `X` the centred,
//! flattened images (`N×d`), `Σ = XᵀX / (N−1)` (Kornia's unbiased default) and
//! `Σ = U diag(λ) Uᵀ` (nalgebra's `SymmetricEigen`, equal to Kornia's SVD for a symmetric
//! positive semi-definite matrix): `W = U diag(1/√(λ+ε)) Uᵀ` whitens, `(x − μ) W`, and
//! `W⁻¹ = U diag(√(λ+ε)) Uᵀ` undoes it. The result is a [`Preprocess::Zca`] with the identity
//! normalisation, so batches are whitened raw pixels, as the reference's.
//!
//! Cost: the covariance is a candle f64 matmul (`O(N·d²)`); the eigen-decomposition is
//! `O(d³)` on the CPU (d = 3072 for CIFAR takes on the order of a minute in debug builds).

use candle_core::{DType, Device, Tensor};
use nalgebra::{DMatrix, SymmetricEigen};
use trustdd_core::{Error, ImageDataset, Normalization, Preprocess, Result, Zca};

/// The ε added to the eigenvalues: 0.1, the value MTT passes to Kornia's `ZCAWhitening`
/// (whose own default is 1e-6).
pub const DEFAULT_ZCA_EPSILON: f64 = 0.1;

/// Fits ZCA whitening on the raw [0, 1] images of `dataset`, returning
/// `Preprocess::Zca(identity, zca)` ready for [`ImageDataset::with_preprocess`].
///
/// # Errors
/// [`Error::InvalidParameter`] for ε not positive and finite, or fewer than 2 images; candle
/// errors from the covariance product.
pub fn fit_zca(dataset: &ImageDataset, epsilon: f64) -> Result<Preprocess> {
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(Error::invalid(
            "zca epsilon",
            epsilon,
            "a positive finite number",
        ));
    }
    let shape = dataset.shape();
    let norm = Normalization::identity(shape.channels);
    let n = dataset.len();
    if n < 2 {
        return Err(Error::invalid(
            format!("{} images for ZCA", dataset.name()),
            n,
            "at least 2",
        ));
    }
    let d = shape.numel();
    let x: Vec<f64> = dataset
        .pixels()
        .iter()
        .map(|&p| f64::from(p) / 255.0)
        .collect();
    let x = Tensor::from_vec(x, (n, d), &Device::Cpu)?;
    let mean = x.mean_keepdim(0)?;
    let xc = x.broadcast_sub(&mean)?;
    let cov = (xc.t()?.matmul(&xc)? / (n - 1) as f64)?;
    let cov: Vec<f64> = cov.flatten_all()?.to_vec1()?;
    let eig = SymmetricEigen::new(DMatrix::from_row_slice(d, d, &cov));
    // Round-off can leave tiny negative eigenvalues of a singular covariance.
    let lambda = eig.eigenvalues.map(|l| l.max(0.0) + epsilon);
    let u = &eig.eigenvectors;
    let whiten = u * DMatrix::from_diagonal(&lambda.map(|l| 1.0 / l.sqrt())) * u.transpose();
    let unwhiten = u * DMatrix::from_diagonal(&lambda.map(f64::sqrt)) * u.transpose();
    let mean: Vec<f32> = mean.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
    let zca = Zca {
        mean,
        whiten: row_major_f32(&whiten),
        unwhiten: row_major_f32(&unwhiten),
        epsilon,
    };
    Ok(Preprocess::Zca(norm, zca))
}

fn row_major_f32(m: &DMatrix<f64>) -> Vec<f32> {
    m.transpose().iter().map(|&v| v as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustdd_core::ImageShape;

    /// Reference values from numpy 2.4.6 (Kornia's algorithm written out):
    /// ```python
    /// # Kornia's ZCAWhitening(eps=0.1) as the MTT reference fits it (utils.py: raw [0, 1] images, no
    /// # normalisation): unbiased covariance of the centred flattened images, T = U diag(1/sqrt(S+eps)) Uᵀ
    /// # from its SVD; the inverse U diag(sqrt(S+eps)) Uᵀ. numpy on fixed 8-bit data.
    /// import numpy as np
    /// n, d = 12, 6
    /// i, j = np.meshgrid(np.arange(n), np.arange(d), indexing="ij")
    /// x = (((i * 31 + j * 17 + (i * j) % 5 * 23) % 256) / 255.0).astype(np.float64)
    /// mu = x.mean(axis=0)
    /// xc = x - mu
    /// cov = xc.T @ xc / (n - 1)
    /// u, s, _ = np.linalg.svd(cov)
    /// w = u @ np.diag(1.0 / np.sqrt(s + 0.1)) @ u.T
    /// winv = u @ np.diag(np.sqrt(s + 0.1)) @ u.T
    /// print("mean", " ".join(repr(float(v)) for v in mu))
    /// print("whiten", " ".join(repr(float(v)) for v in w.flatten()))
    /// print("unwhiten", " ".join(repr(float(v)) for v in winv.flatten()))
    /// ```
    const MEAN: [f64; 6] = [
        0.4176470588235293,
        0.47483660130718947,
        0.46535947712418296,
        0.5395424836601308,
        0.6137254901960785,
        0.5,
    ];
    const WHITEN: [f64; 36] = [
        2.2659095691968485,
        -0.12940434154266045,
        0.0729270353459145,
        0.012508152458649238,
        0.035624645705719334,
        0.11736303817819177,
        -0.1294043415426602,
        2.4525175168193627,
        -0.13892894528757377,
        -0.2075878876040039,
        -0.13938391557502602,
        -0.10047460583392127,
        0.07292703534591446,
        -0.1389289452875738,
        2.677709375083337,
        -0.27547768657146104,
        -0.3151023514646496,
        -0.34004651653287293,
        0.01250815245864924,
        -0.20758788760400393,
        -0.2754776865714611,
        2.6724540953230966,
        -0.334082446669279,
        -0.3442786981519342,
        0.035624645705719306,
        -0.13938391557502608,
        -0.3151023514646495,
        -0.334082446669279,
        2.765114730849866,
        -0.27552277942410014,
        0.11736303817819177,
        -0.10047460583392138,
        -0.340046516532873,
        -0.3442786981519342,
        -0.2755227794241001,
        2.7127873706970576,
    ];
    const UNWHITEN: [f64; 36] = [
        0.44433053701627007,
        0.020602688821857524,
        -0.015580417980333754,
        -0.006113993071154461,
        -0.00940673032743555,
        -0.0221442669301943,
        0.020602688821857527,
        0.4173307072652952,
        0.03285969734606702,
        0.0433090119698759,
        0.03248676010453923,
        0.027480289564869163,
        -0.01558041798033376,
        0.03285969734606702,
        0.3971812866181303,
        0.0596000831596042,
        0.06083800352305919,
        0.06542036432994963,
        -0.006113993071154461,
        0.04330901196987593,
        0.059600083159604196,
        0.4003187325668723,
        0.06406156854128986,
        0.06665006216049783,
        -0.009406730327435555,
        0.03248676010453924,
        0.060838003523059216,
        0.06406156854128986,
        0.38369370007789777,
        0.056335869814368215,
        -0.0221442669301943,
        0.02748028956486916,
        0.06542036432994963,
        0.06665006216049782,
        0.056335869814368215,
        0.392981027664936,
    ];

    fn reference_dataset() -> ImageDataset {
        let (n, d) = (12, 6);
        let pixels = (0..n * d)
            .map(|k| {
                let (i, j) = (k / d, k % d);
                ((i * 31 + j * 17 + (i * j) % 5 * 23) % 256) as u8
            })
            .collect();
        ImageDataset::new(
            "zca",
            ImageShape::new(1, 2, 3),
            pixels,
            vec![0; n],
            vec!["a".into()],
        )
        .unwrap()
    }

    #[test]
    fn the_matrices_equal_the_reference_fit_on_raw_pixels() {
        let Preprocess::Zca(norm, zca) = fit_zca(&reference_dataset(), 0.1).unwrap() else {
            panic!("a ZCA preprocess")
        };
        assert_eq!(
            norm,
            Normalization::identity(1),
            "raw pixels, no normalisation first"
        );
        for (name, got, want) in [
            ("mean", &zca.mean, &MEAN[..]),
            ("whiten", &zca.whiten, &WHITEN[..]),
            ("unwhiten", &zca.unwhiten, &UNWHITEN[..]),
        ] {
            assert_eq!(got.len(), want.len(), "{name}");
            for (g, w) in got.iter().zip(want) {
                assert!((f64::from(*g) - w).abs() < 1e-5, "{name}: {g} vs {w}");
            }
        }
        assert!(fit_zca(&reference_dataset(), 0.0).is_err());
    }

    #[test]
    fn whitening_then_unwhitening_gives_the_pixels_back() {
        let ds = reference_dataset();
        let pre = fit_zca(&ds, 0.1).unwrap();
        let ids: Vec<usize> = (0..ds.len()).collect();
        let raw = ds.raw_batch(&ids, &Device::Cpu).unwrap();
        let back = pre.invert(&pre.apply(&raw).unwrap()).unwrap();
        let diff: f32 = (back - raw)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar()
            .unwrap();
        assert!(diff < 1e-5, "round trip error {diff}");
    }
}
