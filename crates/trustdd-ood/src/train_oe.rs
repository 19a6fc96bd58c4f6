//! Training on distilled data with outlier exposure: `L = CE(f(S), y) + λ·L_OE(f(S_o))`,
//! through the ordinary training loop.

use crate::Result;
use candle_core::{Device, Tensor};
use trustdd_core::{ImageShape, SyntheticLabels, SyntheticSet, TrustRng};
use trustdd_train::{MixedSource, Targets, TrainSource};

/// λ of ALGORITHMS.md §7.
pub const DEFAULT_LAMBDA: f64 = 0.5;

/// Training on S with outlier exposure on S_o: a [`MixedSource`] with S's label distributions
/// (one-hot, or the softmax of learnt soft labels) first and S_o with uniform targets weighted by
/// λ, so every batch's loss is `mean_{S rows} CE + λ·mean_{S_o rows} L_OE` exactly (CE to the
/// uniform distribution is L_OE). Its epochs are the official `epoch_oe`'s: a batch of S zipped
/// with a batch of S_o, each image augmented with its own draw by the training loop.
///
/// The training loop's "accuracy" on these targets counts an outlier row as correct when its
/// argmax is class 0 (the argmax of a uniform row); use test accuracy instead.
#[derive(Debug, Clone)]
pub struct OeSource(MixedSource);

impl OeSource {
    /// S (`syn`, hard or soft labels) with S_o (`outliers`, whose labels are ignored) and weight
    /// `lambda`. Images are detached.
    ///
    /// # Errors
    /// As [`MixedSource::new`].
    pub fn new(syn: &SyntheticSet, outliers: &SyntheticSet, lambda: f64) -> Result<Self> {
        let k = syn.num_classes;
        let first = match &syn.labels {
            SyntheticLabels::Hard(labels) => MixedSource::one_hot(labels, k),
            SyntheticLabels::Soft(logits) => {
                MixedSource::distributions(&Targets::soft_from_logits(logits.as_tensor())?, k)?
            }
        };
        let n_out = outliers.images.dims()[0];
        let uniform = vec![1.0 / k.max(1) as f32; n_out * k];
        Ok(Self(MixedSource::new(
            (syn.images.as_tensor(), first),
            (outliers.images.as_tensor(), uniform),
            k,
            lambda,
        )?))
    }
}

impl TrainSource for OeSource {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn image_shape(&self) -> ImageShape {
        self.0.image_shape()
    }
    fn batch(&self, ids: &[usize], device: &Device) -> Result<(Tensor, Targets)> {
        self.0.batch(ids, device)
    }
    fn epoch_batches(&self, batch_size: usize, rng: &mut TrustRng) -> Vec<Vec<usize>> {
        self.0.epoch_batches(batch_size, rng)
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
