//! Mixup (Zhang et al., ICLR 2018) for the proxy's rounds ([`ProxyConfig::round_mixup_alpha`](crate::ProxyConfig::round_mixup_alpha)):
//! a batch is mixed with a shuffled copy of itself, inputs and one-hot targets alike, with one
//! `λ ~ Beta(α, α)` per batch. On noisy labels it keeps a network from memorising the wrong
//! ones (Zhang et al. §3.4; DivideMix's MixMatch step and Arazo et al. 2019 build on it).

use crate::error::Result;
use candle_core::Tensor;
use rand_distr::{Beta, Distribution};
use trustdd_core::TrustRng;
use trustdd_train::Targets;

/// One batch's mixing: the weight of the batch itself and the partner of each row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mixup {
    lambda: f64,
    partner: Vec<usize>,
}

impl Mixup {
    /// Draws `λ ~ Beta(α, α)`, then a permutation of `n` rows, from `rng`.
    ///
    /// # Errors
    /// An invalid-parameter error unless `α` is positive and finite.
    pub(crate) fn draw(alpha: f64, n: usize, rng: &mut TrustRng) -> Result<Self> {
        let beta = Beta::new(alpha, alpha).map_err(|e| {
            trustdd_core::Error::invalid(
                "round_mixup_alpha",
                alpha,
                format!("a positive finite number ({e})"),
            )
        })?;
        let lambda = beta.sample(&mut Draws(rng));
        let mut partner: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut partner);
        Ok(Self { lambda, partner })
    }

    /// The mixed batch `λ·x + (1 − λ)·x_π` (`x` is `N×…`) and its soft targets
    /// `λ·onehot(y) + (1 − λ)·onehot(y_π)` (`N×classes`, in `x`'s dtype).
    ///
    /// # Errors
    /// A shape error when `x`, `labels` and the drawn permutation disagree in length; an
    /// invalid-parameter error for a label outside `0..classes`.
    pub(crate) fn apply(
        &self,
        x: &Tensor,
        labels: &[u32],
        classes: usize,
    ) -> Result<(Tensor, Targets)> {
        let n = self.partner.len();
        for (what, len) in [
            ("mixup inputs", x.dims()[0]),
            ("mixup labels", labels.len()),
        ] {
            if len != n {
                return Err(trustdd_core::Error::shape(what, n, len));
            }
        }
        if let Some(&bad) = labels.iter().find(|&&y| y as usize >= classes) {
            return Err(trustdd_core::Error::invalid(
                "working label",
                bad,
                format!("a class below {classes}"),
            ));
        }
        let ids: Vec<u32> = self.partner.iter().map(|&j| j as u32).collect();
        let ids = Tensor::from_vec(ids, n, x.device())?;
        let mixed = (x.affine(self.lambda, 0.0)?
            + x.index_select(&ids, 0)?.affine(1.0 - self.lambda, 0.0)?)?;
        let mut t = vec![0f64; n * classes];
        for (i, &j) in self.partner.iter().enumerate() {
            t[i * classes + labels[i] as usize] += self.lambda;
            t[i * classes + labels[j] as usize] += 1.0 - self.lambda;
        }
        let t = Tensor::from_vec(t, (n, classes), x.device())?.to_dtype(x.dtype())?;
        Ok((mixed, Targets::soft(&t)?))
    }
}

/// `TrustRng` as a `rand` generator, so the Beta draw is `rand_distr`'s (Cheng's algorithms)
/// rather than a hand-written gamma sampler; every bit still comes from the run's seed.
struct Draws<'a>(&'a mut TrustRng);

impl rand_core::RngCore for Draws<'_> {
    fn next_u32(&mut self) -> u32 {
        (self.0.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.0.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Mixup;
    use candle_core::{DType, Device, Tensor};
    use trustdd_core::TrustRng;
    use trustdd_train::Targets;

    /// Inputs and targets by hand: λ = 0.25, partners (2, 0, 1).
    #[test]
    fn mixes_inputs_and_targets_as_written_by_hand() {
        let m = Mixup {
            lambda: 0.25,
            partner: vec![2, 0, 1],
        };
        let x = Tensor::new(&[[1f32, 2.0], [3.0, 4.0], [5.0, 6.0]], &Device::Cpu).unwrap();
        let (mixed, targets) = m.apply(&x, &[0, 1, 1], 3).unwrap();
        let got: Vec<Vec<f32>> = mixed.to_vec2().unwrap();
        // Row i: 0.25·x_i + 0.75·x_partner(i).
        let want = [[4.0f32, 5.0], [1.5, 2.5], [3.5, 4.5]];
        for (g, w) in got.iter().zip(want) {
            for (a, b) in g.iter().zip(w) {
                assert!((a - b).abs() < 1e-6, "{got:?}");
            }
        }
        let Targets::Soft(t) = targets else {
            panic!("mixup targets are soft")
        };
        assert_eq!(t.dtype(), DType::F32);
        let t: Vec<Vec<f32>> = t.to_vec2().unwrap();
        // Labels (0, 1, 1), partners' labels (1, 0, 1).
        assert_eq!(
            t,
            vec![
                vec![0.25, 0.75, 0.0],
                vec![0.75, 0.25, 0.0],
                vec![0.0, 1.0, 0.0]
            ]
        );
    }

    /// A label outside the classes and a length mismatch are typed errors, not panics.
    #[test]
    fn refuses_bad_labels_and_lengths() {
        let m = Mixup {
            lambda: 0.5,
            partner: vec![1, 0],
        };
        let x = Tensor::zeros((2, 3), DType::F32, &Device::Cpu).unwrap();
        let err = m.apply(&x, &[0, 3], 3).unwrap_err().to_string();
        assert!(err.contains("working label"), "{err}");
        let err = m.apply(&x, &[0], 3).unwrap_err().to_string();
        assert!(err.contains("mixup labels"), "{err}");
        assert!(Mixup::draw(0.0, 2, &mut TrustRng::new(0)).is_err());
        assert!(Mixup::draw(f64::NAN, 2, &mut TrustRng::new(0)).is_err());
    }

    /// The drawn λ has Beta(α, α)'s closed-form mean 1/2 and variance 1/(4(2α + 1)) (so the
    /// adapter hands `rand_distr` uniform bits); the permutation is one; a seed repeats.
    #[test]
    fn draws_follow_beta_and_repeat_with_the_seed() {
        for alpha in [0.4, 4.0] {
            let mut rng = TrustRng::new(7);
            let n = 40_000;
            let draws: Vec<f64> = (0..n)
                .map(|_| Mixup::draw(alpha, 5, &mut rng).unwrap().lambda)
                .collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let want_var = 1.0 / (4.0 * (2.0 * alpha + 1.0));
            // Standard errors: ~0.002 for the mean, ~1% of the variance.
            assert!((mean - 0.5).abs() < 0.01, "α {alpha}: mean {mean}");
            assert!(
                (var / want_var - 1.0).abs() < 0.05,
                "α {alpha}: var {var} vs {want_var}"
            );
            assert!(draws.iter().all(|d| (0.0..=1.0).contains(d)));
        }
        let a = Mixup::draw(1.0, 9, &mut TrustRng::new(3)).unwrap();
        let b = Mixup::draw(1.0, 9, &mut TrustRng::new(3)).unwrap();
        assert_eq!(a, b);
        let mut p = a.partner.clone();
        p.sort_unstable();
        assert_eq!(p, (0..9).collect::<Vec<_>>());
    }
}
