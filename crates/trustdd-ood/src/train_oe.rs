//! Training on distilled data with outlier exposure: `L = CE(f(S), y) + λ·L_OE(f(S_o))`,
//! through the ordinary training loop.

use crate::Result;
use candle_core::{DType, Device, Tensor};
use trustdd_core::{ImageShape, SyntheticLabels, SyntheticSet, TrustRng};
use trustdd_train::{Targets, TrainSource};

/// λ of ALGORITHMS.md §7.
pub const DEFAULT_LAMBDA: f64 = 0.5;

/// A [`TrainSource`] over S followed by S_o whose soft targets make the batch loss
/// `mean_{in rows} CE + λ·mean_{outlier rows} L_OE` EXACTLY.
///
/// Its epochs are the official `epoch_oe`'s: S and S_o are shuffled apart and batch `k` is the
/// `k`-th batch of S joined with the `k`-th batch of S_o (two loaders zipped, so an epoch has
/// as many batches as the shorter of the two); the training loop then augments every image
/// with its own draw.
///
/// The training loop's loss on soft targets `p` is `(1/B) Σ_rows −Σ_k p_k log softmax(z)_k`.
/// In a batch of `B` rows with `n_in` rows of S and `n_out` rows of S_o, an S row gets its label
/// distribution (one-hot, or softmax of learnt soft labels) times `B / n_in`, and an S_o row the
/// uniform distribution times `λ·B / n_out`; since CE to the uniform distribution is L_OE, the
/// batch loss is the wanted sum. A batch without S_o rows is plain CE; one without S rows is
/// `λ·L_OE` (with the default batch 256 and IPC ≤ 12 on 10 classes, the whole of S ∪ S_o is one
/// batch, so every step sees both).
///
/// The training loop's "accuracy" on these targets counts an outlier row as correct when its
/// argmax is class 0 (the argmax of a uniform row); use test accuracy instead.
#[derive(Debug, Clone)]
pub struct OeSource {
    images: Tensor,
    label_probs: Vec<f32>,
    n_in: usize,
    num_classes: usize,
    lambda: f64,
}

impl OeSource {
    /// S (`syn`, hard or soft labels) with S_o (`outliers`, whose labels are ignored) and weight
    /// `lambda`. Images are detached.
    ///
    /// # Errors
    /// An invalid-parameter error for a negative or non-finite `lambda`; a shape error when the
    /// image shapes differ; [`trustdd_core::Error::Empty`] when either set is empty.
    pub fn new(syn: &SyntheticSet, outliers: &SyntheticSet, lambda: f64) -> Result<Self> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "lambda (OE weight)",
                lambda,
                "a finite number ≥ 0",
            ));
        }
        let k = syn.num_classes;
        let images_in = syn.images.as_tensor().detach();
        let images_out = outliers.images.as_tensor().detach();
        let (n_in, n_out) = (images_in.dim(0)?, images_out.dim(0)?);
        if n_in == 0 || n_out == 0 || k == 0 {
            return Err(trustdd_core::Error::empty(
                "synthetic or outlier set for OE training",
            ));
        }
        if images_in.dims()[1..] != images_out.dims()[1..] {
            return Err(trustdd_core::Error::shape(
                "outlier image shape vs synthetic images",
                format!("{:?}", &images_in.dims()[1..]),
                format!("{:?}", &images_out.dims()[1..]),
            ));
        }
        let label_probs = match &syn.labels {
            SyntheticLabels::Hard(labels) => {
                let mut p = vec![0f32; n_in * k];
                for (i, &l) in labels.iter().enumerate() {
                    p[i * k + l as usize] = 1.0;
                }
                p
            }
            SyntheticLabels::Soft(logits) => {
                let Targets::Soft(p) = Targets::soft_from_logits(logits.as_tensor())? else {
                    unreachable!("soft_from_logits returns soft targets")
                };
                p.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?
            }
        };
        let images = Tensor::cat(&[&images_in, &images_out.to_dtype(images_in.dtype())?], 0)?;
        Ok(Self {
            images,
            label_probs,
            n_in,
            num_classes: k,
            lambda,
        })
    }
}

impl TrainSource for OeSource {
    fn len(&self) -> usize {
        self.images.dims()[0]
    }
    fn image_shape(&self) -> ImageShape {
        let d = self.images.dims();
        ImageShape::new(d[1], d[2], d[3])
    }
    fn batch(&self, ids: &[usize], device: &Device) -> trustdd_train::Result<(Tensor, Targets)> {
        let n = self.len();
        if let Some(&bad) = ids.iter().find(|&&i| i >= n) {
            return Err(trustdd_core::Error::NotEnough {
                what: "OE training example index".into(),
                requested: bad + 1,
                available: n,
            });
        }
        let k = self.num_classes;
        let b = ids.len() as f64;
        let n_in = ids.iter().filter(|&&i| i < self.n_in).count();
        let (w_in, w_out) = (
            b / n_in.max(1) as f64,
            self.lambda * b / (ids.len() - n_in).max(1) as f64,
        );
        let mut targets = Vec::with_capacity(ids.len() * k);
        for &i in ids {
            if i < self.n_in {
                let row = &self.label_probs[i * k..(i + 1) * k];
                targets.extend(row.iter().map(|&p| (p as f64 * w_in) as f32));
            } else {
                targets.extend(std::iter::repeat_n((w_out / k as f64) as f32, k));
            }
        }
        let index: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
        let index = Tensor::from_vec(index, ids.len(), self.images.device())?;
        let x = self.images.index_select(&index, 0)?.to_device(device)?;
        let y = Tensor::from_vec(targets, (ids.len(), k), device)?;
        Ok((x, Targets::Soft(y)))
    }

    fn epoch_batches(&self, batch_size: usize, rng: &mut TrustRng) -> Vec<Vec<usize>> {
        let mut inside: Vec<usize> = (0..self.n_in).collect();
        let mut outside: Vec<usize> = (self.n_in..self.len()).collect();
        rng.shuffle(&mut inside);
        rng.shuffle(&mut outside);
        inside
            .chunks(batch_size)
            .zip(outside.chunks(batch_size))
            .map(|(a, b)| a.iter().chain(b).copied().collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oe_loss;
    use candle_core::Var;

    fn set(n: usize, classes: usize, seed: u64) -> SyntheticSet {
        let mut rng = TrustRng::new(seed);
        SyntheticSet::from_noise(ImageShape::new(1, 2, 2), classes, n, &Device::Cpu, &mut rng)
            .unwrap()
    }

    #[test]
    fn batch_loss_is_ce_plus_lambda_oe() {
        let syn = set(2, 3, 1); // 6 images, labels 0,0,1,1,2,2
        let outliers = set(2, 2, 2); // 4 outlier images
        let source = OeSource::new(&syn, &outliers, 0.7).unwrap();
        assert_eq!(source.len(), 10);
        let mut rng = TrustRng::new(3);
        let logits_all: Vec<f32> = rng.normal_vec(10 * 3, 0.0, 2.0);
        let logits_all = Tensor::from_vec(logits_all, (10, 3), &Device::Cpu).unwrap();
        // A mixed, shuffled batch: 3 in-distribution rows (ids 5, 0, 2), 2 outlier rows (7, 9).
        let ids = [5usize, 7, 0, 9, 2];
        let (_, targets) = source.batch(&ids, &Device::Cpu).unwrap();
        let index = Tensor::new(&[5u32, 7, 0, 9, 2], &Device::Cpu).unwrap();
        let logits = logits_all.index_select(&index, 0).unwrap();
        let got = targets.loss(&logits).unwrap().to_scalar::<f32>().unwrap() as f64;
        // Directly: mean CE over the ID rows + 0.7 · oe_loss over the outlier rows.
        let id_logits = logits_all
            .index_select(&Tensor::new(&[5u32, 0, 2], &Device::Cpu).unwrap(), 0)
            .unwrap();
        let labels = Tensor::new(&[2u32, 0, 1], &Device::Cpu).unwrap();
        let ce = candle_nn::loss::cross_entropy(&id_logits, &labels).unwrap();
        let out_logits = logits_all
            .index_select(&Tensor::new(&[7u32, 9], &Device::Cpu).unwrap(), 0)
            .unwrap();
        let oe = oe_loss(&out_logits).unwrap();
        let want =
            ce.to_scalar::<f32>().unwrap() as f64 + 0.7 * oe.to_scalar::<f32>().unwrap() as f64;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn epochs_zip_a_batch_of_each_set() {
        let syn = set(3, 2, 1); // 6 ID images
        let outliers = set(1, 2, 2); // 2 outliers
        let source = OeSource::new(&syn, &outliers, 0.5).unwrap();
        let batches = source.epoch_batches(2, &mut TrustRng::new(4));
        // ID in 3 batches of 2, outliers in 1: zipped, one batch of 2 + 2.
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.len(), 4);
        assert!(b[..2].iter().all(|&i| i < 6) && b[2..].iter().all(|&i| i >= 6));
        // Larger batches: everything in one, ID part first.
        let all = source.epoch_batches(256, &mut TrustRng::new(4));
        assert_eq!(all.len(), 1);
        let mut ids = all[0].clone();
        ids.sort_unstable();
        assert_eq!(ids, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn soft_labels_are_softmaxed_and_lambda_is_checked() {
        let mut syn = set(1, 2, 1);
        let logits = Tensor::new(&[[0f32, 0.], [2f32.ln(), 0.]], &Device::Cpu).unwrap();
        syn.labels = SyntheticLabels::Soft(Var::from_tensor(&logits).unwrap());
        let outliers = set(1, 2, 2);
        let source = OeSource::new(&syn, &outliers, 0.5).unwrap();
        // Only ID rows: weight B/n_in = 1; softmax([ln 2, 0]) = [2/3, 1/3].
        let (_, t) = source.batch(&[0, 1], &Device::Cpu).unwrap();
        let Targets::Soft(p) = t else { panic!("soft") };
        let p = p.to_vec2::<f32>().unwrap();
        assert!((p[0][0] - 0.5).abs() < 1e-6 && (p[1][0] - 2.0 / 3.0).abs() < 1e-6);
        // Only outlier rows: λ·B/n_out/K = 0.5·2/2/2 = 0.25 each.
        let (_, t) = source.batch(&[2, 3], &Device::Cpu).unwrap();
        let Targets::Soft(p) = t else { panic!("soft") };
        assert_eq!(p.to_vec2::<f32>().unwrap(), vec![vec![0.25, 0.25]; 2]);
        for bad in [-0.1, f64::NAN] {
            assert!(matches!(
                OeSource::new(&syn, &outliers, bad),
                Err(trustdd_core::Error::InvalidParameter { .. })
            ));
        }
        assert!(source.batch(&[4], &Device::Cpu).is_err());
    }
}
