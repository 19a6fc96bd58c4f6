//! [`WeightedSampler`]: a [`RealSampler`] whose classes hold samples at weights, so that a
//! batch's mean estimates a weighted class mean (a soft trust split, for example).

use crate::{Error, ImageDataset, ImageShape, RealSampler, Result, TrustRng};
use candle_core::{Device, Tensor};
use std::sync::Arc;

/// Each class a list of `(sample id, weight)`; [`sample`](RealSampler::sample) draws distinct
/// ids with probability increasing in their weights.
///
/// Draws are weighted sampling without replacement (Efraimidis and Spirakis, 2006: each member
/// gets the key `ln(u) / w` for a uniform `u`, the `n` largest keys are taken). A single draw
/// takes member `i` with probability exactly `w_i / Σ w`; for a batch much smaller than its
/// class the batch mean is then close to the class's weighted mean, and with equal weights the
/// draw is uniform.
#[derive(Debug, Clone)]
pub struct WeightedSampler {
    dataset: Arc<ImageDataset>,
    ids: Vec<Vec<usize>>,
    weights: Vec<Vec<f64>>,
    device: Device,
}

impl WeightedSampler {
    /// A sampler over `dataset` with `members[c]` the `(id, weight)` pairs of class `c`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `members` does not have one list per class of the
    /// dataset; [`Error::InvalidParameter`] for an id outside the dataset or a weight that is
    /// not a number in `(0, 1]`.
    pub fn new(
        dataset: Arc<ImageDataset>,
        members: Vec<Vec<(usize, f64)>>,
        device: Device,
    ) -> Result<Self> {
        if members.len() != dataset.num_classes() {
            return Err(Error::shape(
                "weighted sampler classes",
                dataset.num_classes(),
                members.len(),
            ));
        }
        let n = dataset.len();
        let mut ids = Vec::with_capacity(members.len());
        let mut weights = Vec::with_capacity(members.len());
        for (class, list) in members.into_iter().enumerate() {
            let (i, w): (Vec<usize>, Vec<f64>) = list.into_iter().unzip();
            if let Some(bad) = i.iter().find(|&&i| i >= n) {
                return Err(Error::invalid(
                    format!("weighted sampler class {class} sample id"),
                    bad,
                    format!("an id below the dataset's {n} samples"),
                ));
            }
            if let Some(bad) = w
                .iter()
                .find(|w| !(w.is_finite() && **w > 0.0 && **w <= 1.0))
            {
                return Err(Error::invalid(
                    format!("weighted sampler class {class} weight"),
                    bad,
                    "a number in (0, 1]",
                ));
            }
            ids.push(i);
            weights.push(w);
        }
        Ok(Self {
            dataset,
            ids,
            weights,
            device,
        })
    }
}

impl RealSampler for WeightedSampler {
    fn num_classes(&self) -> usize {
        self.ids.len()
    }
    fn image_shape(&self) -> ImageShape {
        self.dataset.shape()
    }
    fn device(&self) -> &Device {
        &self.device
    }
    fn class_members(&self, class: usize) -> &[usize] {
        self.ids.get(class).map_or(&[], |v| v.as_slice())
    }
    fn images(&self, ids: &[usize]) -> Result<Tensor> {
        self.dataset.batch(ids, &self.device)
    }

    /// `min(n, class size)` distinct images of `class`, drawn by weight.
    ///
    /// # Errors
    /// [`Error::EmptyClass`] when the class has no member.
    fn sample(&self, class: usize, n: usize, rng: &mut TrustRng) -> Result<Tensor> {
        let ids = self.class_members(class);
        if ids.is_empty() {
            return Err(Error::EmptyClass {
                context: "weighted sampler".into(),
                class,
            });
        }
        let weights = &self.weights[class];
        // `1 − u` lies in (0, 1], so every key is finite or (for u → 1) −∞ at worst.
        let mut keyed: Vec<(f64, usize)> = weights
            .iter()
            .zip(ids)
            .map(|(w, &i)| ((1.0 - rng.uniform_f64()).ln() / w, i))
            .collect();
        let n = n.min(keyed.len());
        // Largest keys first; ties (probability 0 for continuous keys) broken by id.
        keyed.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let chosen: Vec<usize> = keyed[..n].iter().map(|&(_, i)| i).collect();
        self.images(&chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(n: usize) -> Arc<ImageDataset> {
        Arc::new(
            ImageDataset::new(
                "t",
                ImageShape::new(1, 1, 1),
                (0..n).map(|i| i as u8).collect(),
                (0..n).map(|i| (i % 2) as u32).collect(),
                vec!["a".into(), "b".into()],
            )
            .unwrap(),
        )
    }

    /// The ids a batch drew, found by pixel value (pixel `i` holds `i`).
    fn drawn(s: &WeightedSampler, n: usize, rng: &mut TrustRng) -> Vec<usize> {
        let raw = s
            .dataset
            .batch(&(0..s.dataset.len()).collect::<Vec<_>>(), &Device::Cpu);
        let all: Vec<f32> = raw.unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let got: Vec<f32> = s
            .sample(0, n, rng)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        got.iter()
            .map(|v| all.iter().position(|a| a == v).unwrap())
            .collect()
    }

    #[test]
    fn single_draws_follow_the_weights() {
        // P(i) = w_i / Σw exactly for a batch of one: check the frequencies within 5σ.
        let w = [1.0, 0.5, 0.25, 0.25];
        let members = vec![w.iter().copied().enumerate().collect(), vec![]];
        let s = WeightedSampler::new(dataset(4), members, Device::Cpu).unwrap();
        let mut rng = TrustRng::new(3);
        let draws = 20_000;
        let mut counts = [0usize; 4];
        for _ in 0..draws {
            counts[drawn(&s, 1, &mut rng)[0]] += 1;
        }
        for (k, &c) in counts.iter().enumerate() {
            let p = w[k] / 2.0;
            let sd = (draws as f64 * p * (1.0 - p)).sqrt();
            let dev = (c as f64 - draws as f64 * p).abs();
            assert!(dev < 5.0 * sd, "id {k}: {c} of {draws}, expected p = {p}");
        }
    }

    #[test]
    fn batches_are_distinct_capped_and_seeded() {
        let members = vec![(0..6).map(|i| (i, 0.1 + 0.15 * i as f64)).collect(), vec![]];
        let s = WeightedSampler::new(dataset(6), members, Device::Cpu).unwrap();
        let a = drawn(&s, 4, &mut TrustRng::new(9));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 4);
        assert_eq!(a, drawn(&s, 4, &mut TrustRng::new(9)));
        // More than the class holds: the whole class.
        let mut all = drawn(&s, 10, &mut TrustRng::new(1));
        all.sort_unstable();
        assert_eq!(all, (0..6).collect::<Vec<_>>());
    }

    #[test]
    fn bad_members_are_typed_errors() {
        for (members, needle) in [
            (vec![vec![(7, 1.0)], vec![]], "sample id"),
            (vec![vec![(0, 0.0)], vec![]], "weight"),
            (vec![vec![(0, 1.5)], vec![]], "weight"),
            (vec![vec![], vec![(0, f64::NAN)]], "weight"),
            (vec![vec![(0, 1.0)]], "classes"),
        ] {
            let e = WeightedSampler::new(dataset(2), members, Device::Cpu).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
        }
        let s = WeightedSampler::new(dataset(2), vec![vec![], vec![]], Device::Cpu).unwrap();
        assert!(matches!(
            s.sample(1, 3, &mut TrustRng::new(0)),
            Err(Error::EmptyClass { class: 1, .. })
        ));
    }
}
