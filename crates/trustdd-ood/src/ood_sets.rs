//! [`OodSet`]: out-of-distribution test images as network inputs, and their builders.

use crate::{noise_sets, ood_resize, GeneratorList, Result};
use candle_core::{Device, Tensor};
use trustdd_core::{ImageDataset, ImageShape, OutlierGenerator, Preprocess, TrustRng};

/// Images at most materialised per generator call (bounds host copies).
const CHUNK: usize = 1024;

/// A named set of OOD images, `N×C×H×W` network inputs (preprocessed like the ID data).
#[derive(Debug, Clone)]
pub struct OodSet {
    /// Shown in reports (for example `"gaussian"`, `"mnist"`).
    pub name: String,
    /// Network inputs, `N×C×H×W`.
    pub images: Tensor,
}

impl OodSet {
    /// The built-in set named by `spec`, sized and preprocessed like `test`: `gaussian`,
    /// `rademacher`, `blobs` (Hendrycks et al.'s definitions, [`crate::noise_sets`]), `uniform`
    /// (each as many images as `test`), or `corrupt:<generator spec>` (every test image
    /// through [`GeneratorList::parse`]`(<generator spec>)`, for example `corrupt:jigsaw:4`).
    /// `Ok(None)` for any other name, so a front end can then look for a dataset of that name
    /// ([`OodSet::from_dataset`]).
    ///
    /// # Errors
    /// [`crate::OodError::Spec`] (inside a strategy error) for a bad generator spec; builder errors.
    pub fn builtin(
        spec: &str,
        test: &ImageDataset,
        rng: &mut TrustRng,
        device: &Device,
    ) -> Result<Option<Self>> {
        let (n, shape, pre) = (test.len(), test.shape(), test.preprocess());
        Ok(match spec.trim() {
            "gaussian" => Some(Self::gaussian_noise(n, shape, pre, rng, device)?),
            "rademacher" => {
                let pixels = noise_sets::rademacher(n * shape.numel(), rng);
                Some(Self::from_pixels(
                    "rademacher",
                    pixels,
                    n,
                    shape,
                    pre,
                    device,
                )?)
            }
            "blobs" => {
                let dims = (shape.channels, shape.height, shape.width);
                let pixels = noise_sets::blobs(n, dims, rng);
                Some(Self::from_pixels("blobs", pixels, n, shape, pre, device)?)
            }
            "uniform" => Some(Self::uniform_noise(n, shape, pre, rng, device)?),
            other => match other.strip_prefix("corrupt:") {
                Some(generators) => {
                    let list = GeneratorList::parse(generators)?;
                    Some(Self::corrupted(test, &list, rng, device)?)
                }
                None => None,
            },
        })
    }

    /// Wraps images already in network-input space.
    ///
    /// # Errors
    /// A shape error unless `images` is 4-D; [`trustdd_core::Error::Empty`] for no image.
    pub fn new(name: impl Into<String>, images: Tensor) -> Result<Self> {
        let name = name.into();
        if images.dims4()?.0 == 0 {
            return Err(trustdd_core::Error::empty(format!("OOD set {name:?}")));
        }
        Ok(Self { name, images })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.dims()[0]
    }

    /// Always `false` (construction rejects empty sets).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` images of Hendrycks et al.'s Gaussian noise (`clip(N(0.5, 0.25²), 0, 1)` pixels,
    /// [`noise_sets::gaussian`]), then `preprocess`; named `"gaussian"`.
    ///
    /// # Errors
    /// [`trustdd_core::Error::Empty`] for `n = 0`; preprocessing errors.
    pub fn gaussian_noise(
        n: usize,
        shape: ImageShape,
        preprocess: &Preprocess,
        rng: &mut TrustRng,
        device: &Device,
    ) -> Result<Self> {
        let pixels = noise_sets::gaussian(n * shape.numel(), rng);
        Self::from_pixels("gaussian", pixels, n, shape, preprocess, device)
    }

    /// `n` images of i.i.d. `U[0, 1)` pixels, then `preprocess`; named `"uniform"`.
    ///
    /// # Errors
    /// As [`OodSet::gaussian_noise`].
    pub fn uniform_noise(
        n: usize,
        shape: ImageShape,
        preprocess: &Preprocess,
        rng: &mut TrustRng,
        device: &Device,
    ) -> Result<Self> {
        let pixels = rng.uniform_vec(n * shape.numel(), 0.0, 1.0);
        Self::from_pixels("uniform", pixels, n, shape, preprocess, device)
    }

    fn from_pixels(
        name: &str,
        pixels: Vec<f32>,
        n: usize,
        shape: ImageShape,
        preprocess: &Preprocess,
        device: &Device,
    ) -> Result<Self> {
        if n == 0 {
            return Err(trustdd_core::Error::empty(format!("OOD set {name:?}")));
        }
        let raw = Tensor::from_vec(pixels, shape.batch_dims(n), device)?.clamp(0f32, 1f32)?;
        Self::new(name, preprocess.apply(&raw)?)
    }

    /// Every image of `test` corrupted by `generator` (in pixel space, in chunks of 1024), then
    /// preprocessed with `test`'s preprocess; named `"corrupt-<generator name>"`.
    ///
    /// # Errors
    /// [`trustdd_core::Error::Empty`] for an empty dataset; generator errors.
    pub fn corrupted(
        test: &ImageDataset,
        generator: &dyn OutlierGenerator,
        rng: &mut TrustRng,
        device: &Device,
    ) -> Result<Self> {
        let name = format!("corrupt-{}", generator.name());
        let ids: Vec<usize> = (0..test.len()).collect();
        let parts = ids
            .chunks(CHUNK)
            .map(|chunk| {
                let raw = generator.generate(&test.raw_batch(chunk, device)?, rng)?;
                test.preprocess().apply(&raw)
            })
            .collect::<Result<Vec<_>>>()?;
        if parts.is_empty() {
            return Err(trustdd_core::Error::empty(format!("OOD set {name:?}")));
        }
        Self::new(name, Tensor::cat(&parts, 0)?)
    }

    /// Every image of another dataset (for example MNIST digits against a Fashion-MNIST model),
    /// preprocessed with the IN-DISTRIBUTION `preprocess` (the model sees it as it sees ID data);
    /// named after the dataset. Images of another shape are first made into `id_shape` as the
    /// benchmark's transforms do ([`ood_resize::to_shape`]: channels converted, shorter side
    /// resized bilinearly, centre crop).
    ///
    /// # Errors
    /// [`trustdd_core::Error::Empty`] for an empty dataset.
    pub fn from_dataset(
        dataset: &ImageDataset,
        id_shape: ImageShape,
        preprocess: &Preprocess,
        device: &Device,
    ) -> Result<Self> {
        let resized;
        let dataset = if dataset.shape() == id_shape {
            dataset
        } else {
            let from = dataset.shape();
            let pixels: Vec<u8> = (0..dataset.len())
                .flat_map(|i| ood_resize::to_shape(dataset.image(i), from, id_shape))
                .collect();
            resized = ImageDataset::new(
                dataset.name(),
                id_shape,
                pixels,
                vec![0; dataset.len()],
                vec![dataset.name().to_string()],
            )?;
            &resized
        };
        let ids: Vec<usize> = (0..dataset.len()).collect();
        let parts = ids
            .chunks(CHUNK)
            .map(|chunk| preprocess.apply(&dataset.raw_batch(chunk, device)?))
            .collect::<Result<Vec<_>>>()?;
        if parts.is_empty() {
            return Err(trustdd_core::Error::empty(format!(
                "OOD set {:?}",
                dataset.name()
            )));
        }
        Self::new(dataset.name(), Tensor::cat(&parts, 0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Invert;
    use trustdd_core::Normalization;

    fn dataset(shape: ImageShape, n: usize) -> ImageDataset {
        let pixels = (0..n * shape.numel())
            .map(|i| (i * 7 % 256) as u8)
            .collect();
        ImageDataset::new("d", shape, pixels, vec![0; n], vec!["a".into()]).unwrap()
    }

    #[test]
    fn builders_preprocess_and_check_shapes() {
        let shape = ImageShape::new(1, 2, 2);
        let norm = Preprocess::Normalize(Normalization {
            mean: vec![0.5],
            std: vec![0.25],
        });
        let mut rng = TrustRng::new(0);
        let g = OodSet::gaussian_noise(50, shape, &norm, &mut rng, &Device::Cpu).unwrap();
        assert_eq!(g.images.dims(), &[50, 1, 2, 2]);
        // Pixels in [0, 1] → inputs in [(0 − 0.5)/0.25, (1 − 0.5)/0.25] = [−2, 2]; N(0.5, 0.25²)
        // leaves [0, 1] 4.6% of the time, so of 200 pixels some are clipped to an end.
        let v: Vec<f32> = g.images.flatten_all().unwrap().to_vec1().unwrap();
        assert!(v.iter().all(|x| (-2.0..=2.0).contains(x)));
        let clipped = v.iter().filter(|x| x.abs() == 2.0).count();
        assert!((1..=30).contains(&clipped), "{clipped} of 200 clipped");
        let r = OodSet::builtin(
            "rademacher",
            &dataset(shape, 50).with_preprocess(norm.clone()).unwrap(),
            &mut rng,
            &Device::Cpu,
        )
        .unwrap()
        .unwrap();
        let v: Vec<f32> = r.images.flatten_all().unwrap().to_vec1().unwrap();
        assert!(v.iter().all(|x| x.abs() == 2.0) && v.contains(&2.0) && v.contains(&-2.0));
        let u = OodSet::uniform_noise(3, shape, &norm, &mut rng, &Device::Cpu).unwrap();
        assert_eq!(u.name, "uniform");
        assert!(OodSet::uniform_noise(0, shape, &norm, &mut rng, &Device::Cpu).is_err());

        let test = dataset(shape, 3).with_preprocess(norm.clone()).unwrap();
        let c = OodSet::corrupted(&test, &Invert, &mut rng, &Device::Cpu).unwrap();
        assert_eq!(c.name, "corrupt-invert");
        // Pixel 0 of image 0 is 0 → inverted 1 → (1 − 0.5)/0.25 = 2.
        let first: Vec<f32> = c.images.flatten_all().unwrap().to_vec1().unwrap();
        assert!((first[0] - 2.0).abs() < 1e-6);

        let other = dataset(shape, 2);
        let d = OodSet::from_dataset(&other, shape, &norm, &Device::Cpu).unwrap();
        let want = norm
            .apply(&other.raw_batch(&[0, 1], &Device::Cpu).unwrap())
            .unwrap();
        let diff = (d.images - want).unwrap().abs().unwrap().sum_all().unwrap();
        assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
        // Another shape is converted (grey, resized, cropped) rather than refused.
        let colour = dataset(ImageShape::new(3, 4, 6), 2);
        let d = OodSet::from_dataset(&colour, shape, &norm, &Device::Cpu).unwrap();
        assert_eq!(d.images.dims(), &[2, 1, 2, 2]);
        // Invert is deterministic, so the built-in corrupted set equals the one built above.
        let b = OodSet::builtin("corrupt:invert", &test, &mut rng, &Device::Cpu)
            .unwrap()
            .unwrap();
        assert_eq!(b.name, "corrupt-invert");
        let same = (b.images - &c.images)
            .unwrap()
            .abs()
            .unwrap()
            .sum_all()
            .unwrap();
        assert_eq!(same.to_scalar::<f32>().unwrap(), 0.0);
        let b = OodSet::builtin("uniform", &test, &mut rng, &Device::Cpu)
            .unwrap()
            .unwrap();
        assert_eq!((b.name.as_str(), b.len()), ("uniform", 3));
        assert!(OodSet::builtin("mnist", &test, &mut rng, &Device::Cpu)
            .unwrap()
            .is_none());
        assert!(matches!(
            OodSet::builtin("corrupt:blur", &test, &mut rng, &Device::Cpu)
                .map_err(|e| e.downcast_ref::<crate::OodError>().is_some()),
            Err(true)
        ));
        let empty = Tensor::zeros((0, 1, 2, 2), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(matches!(
            OodSet::new("e", empty),
            Err(trustdd_core::Error::Empty { .. })
        ));
    }
}
