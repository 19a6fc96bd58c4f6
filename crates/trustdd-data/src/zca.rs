//! ZCA whitening fitted on a dataset's normalised training images.
//!
//! With `X` the centred, flattened, per-channel-normalised images (`N×d`), `Σ = XᵀX / N`
//! and `Σ = U diag(λ) Uᵀ` (nalgebra's `SymmetricEigen`):
//! `W = U diag(1/√(λ+ε)) Uᵀ` whitens and `W⁻¹ = U diag(√(λ+ε)) Uᵀ` undoes it.
//!
//! Differences from the reference code (MTT's `kornia.enhance.ZCAWhitening(eps=0.1)`): the
//! covariance divides by `N` (Kornia's default divides by `N−1`; the factor `N/(N−1)` is
//! negligible at dataset sizes), and the eigen-decomposition replaces Kornia's SVD (equal for a
//! symmetric positive semi-definite matrix).
//!
//! Cost: the covariance is a candle f64 matmul (`O(N·d²)`); the eigen-decomposition is
//! `O(d³)` on the CPU (d = 3072 for CIFAR takes on the order of a minute in debug builds).

use candle_core::{DType, Device, Tensor};
use nalgebra::{DMatrix, SymmetricEigen};
use trustdd_core::{Error, ImageDataset, Normalization, Preprocess, Result, Zca};

/// The ε added to the eigenvalues: 0.1, the value MTT passes to Kornia's `ZCAWhitening`
/// (whose own default is 1e-6).
pub const DEFAULT_ZCA_EPSILON: f64 = 0.1;

/// Fits ZCA whitening on the images of `dataset` normalised by `norm`, returning
/// `Preprocess::Zca(norm, zca)` ready for [`ImageDataset::with_preprocess`].
///
/// # Errors
/// [`Error::InvalidParameter`] for ε not positive and finite, invalid statistics, or fewer
/// than 2 images; candle errors from the covariance product.
pub fn fit_zca(dataset: &ImageDataset, norm: Normalization, epsilon: f64) -> Result<Preprocess> {
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(Error::invalid(
            "zca epsilon",
            epsilon,
            "a positive finite number",
        ));
    }
    let shape = dataset.shape();
    norm.validate(shape.channels)?;
    let n = dataset.len();
    if n < 2 {
        return Err(Error::invalid(
            format!("{} images for ZCA", dataset.name()),
            n,
            "at least 2",
        ));
    }
    let d = shape.numel();
    let hw = shape.height * shape.width;
    let x: Vec<f64> = dataset
        .pixels()
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let c = (i % d) / hw;
            (p as f64 / 255.0 - norm.mean[c] as f64) / norm.std[c] as f64
        })
        .collect();
    let x = Tensor::from_vec(x, (n, d), &Device::Cpu)?;
    let mean = x.mean_keepdim(0)?;
    let xc = x.broadcast_sub(&mean)?;
    let cov = (xc.t()?.matmul(&xc)? / n as f64)?;
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
    use trustdd_core::{ImageShape, TrustRng};

    /// 300 images of 2×4×4 with correlated pixels: a shared per-image level plus noise.
    fn correlated_dataset() -> ImageDataset {
        let shape = ImageShape::new(2, 4, 4);
        let mut rng = TrustRng::new(7);
        let mut pixels = Vec::new();
        for _ in 0..300 {
            let level = rng.uniform_range(40.0, 200.0);
            for k in 0..shape.numel() {
                let v = level + 15.0 * rng.normal() + k as f64;
                pixels.push(v.clamp(0.0, 255.0) as u8);
            }
        }
        ImageDataset::new("zca", shape, pixels, vec![0; 300], vec!["a".into()]).unwrap()
    }

    /// Covariance (÷N) of the rows of an `N×d` f64 matrix, by plain loops.
    fn covariance(x: &DMatrix<f64>) -> DMatrix<f64> {
        let n = x.nrows() as f64;
        let mean = x.row_mean();
        let mut c = DMatrix::zeros(x.ncols(), x.ncols());
        for r in 0..x.nrows() {
            let v = (x.row(r) - &mean).transpose();
            c += &v * v.transpose();
        }
        c / n
    }

    fn rows(t: &Tensor) -> DMatrix<f64> {
        let (n, c, h, w) = t.dims4().unwrap();
        let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
        DMatrix::from_row_iterator(n, c * h * w, v.into_iter().map(f64::from))
    }

    #[test]
    fn whitened_covariance_matches_closed_form_and_inverse_round_trips() {
        let ds = correlated_dataset();
        let norm = ds.channel_stats();
        let ids: Vec<usize> = (0..ds.len()).collect();
        let normalised = Preprocess::Normalize(norm.clone())
            .apply(&ds.raw_batch(&ids, &Device::Cpu).unwrap())
            .unwrap();
        // Closed form: W Σ W = U diag(λ/(λ+ε)) Uᵀ = Σ (Σ + εI)⁻¹, computed by LU inversion
        // without any eigen-decomposition.
        let sigma = covariance(&rows(&normalised));
        let d = sigma.nrows();
        for eps in [DEFAULT_ZCA_EPSILON, 1e-3] {
            let pre = fit_zca(&ds, norm.clone(), eps).unwrap();
            let z = pre
                .apply(&ds.raw_batch(&ids, &Device::Cpu).unwrap())
                .unwrap();
            let got = covariance(&rows(&z));
            let inv = (&sigma + DMatrix::identity(d, d) * eps)
                .try_inverse()
                .unwrap();
            let want = &sigma * inv;
            let err = (&got - &want).abs().max();
            assert!(err < 2e-3, "eps {eps}: max |cov - closed form| = {err}");
            let back = pre.invert(&z).unwrap();
            let raw = ds.raw_batch(&ids, &Device::Cpu).unwrap();
            let diff: f32 = (back - raw)
                .unwrap()
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar()
                .unwrap();
            assert!(diff < 1e-4, "round trip error {diff}");
        }
        // With a negligible ε the whitened covariance is the identity.
        let pre = fit_zca(&ds, norm.clone(), 1e-9).unwrap();
        let z = pre
            .apply(&ds.raw_batch(&ids, &Device::Cpu).unwrap())
            .unwrap();
        let err = (covariance(&rows(&z)) - DMatrix::<f64>::identity(d, d))
            .abs()
            .max();
        assert!(err < 1e-2, "max |cov - I| = {err}");
        assert!(fit_zca(&ds, norm, 0.0).is_err());
    }
}
