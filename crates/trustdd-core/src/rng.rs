//! The one seeded random number generator every stochastic call in trustdd takes.
//!
//! xoshiro256++ seeded through SplitMix64: small, fast, and with a state of four words that
//! serialises into checkpoints, which is what makes bit-exact resume possible. It is written here
//! rather than taken from `rand` so that the byte stream is fixed by this crate's version alone.

use serde::{Deserialize, Serialize};

/// A seeded, serialisable pseudo-random generator (xoshiro256++).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustRng {
    s: [u64; 4],
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl TrustRng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { s }
    }

    /// A generator for item `index` of a computation seeded by `seed`.
    ///
    /// Work split over threads draws from `for_item` so its result does not depend on the
    /// thread count or scheduling.
    pub fn for_item(seed: u64, index: u64) -> Self {
        let mut sm = seed ^ 0xD1B5_4A32_D192_ED03;
        let a = splitmix64(&mut sm);
        let mut sm2 = a ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Self::new(splitmix64(&mut sm2))
    }

    /// An independent child generator; advances `self` by one draw.
    pub fn fork(&mut self) -> Self {
        Self::new(self.next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[0]
            .wrapping_add(self.s[3])
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform in [lo, hi).
    pub fn uniform_range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform_f64()
    }

    /// A standard normal draw (Box–Muller; one draw per call so the state stays four words).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform_f64(); // (0, 1]: keeps ln finite
        let u2 = self.uniform_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A uniform integer in `0..n` without modulo bias (Lemire's method). `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "TrustRng::below(0)");
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// `true` with probability `p`.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform_f64() < p
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `k` distinct indices from `0..n`, in random order. Requires `k <= n`.
    pub fn choose_indices(&mut self, n: usize, k: usize) -> Vec<usize> {
        assert!(k <= n, "choose_indices: k = {k} > n = {n}");
        // Partial Fisher–Yates over a lazily materialised permutation keeps this O(k) in memory
        // for small k and exact for every k.
        let mut swapped: std::collections::HashMap<usize, usize> = Default::default();
        let mut out = Vec::with_capacity(k);
        for i in 0..k {
            let j = i + self.below((n - i) as u64) as usize;
            let vi = *swapped.get(&i).unwrap_or(&i);
            let vj = *swapped.get(&j).unwrap_or(&j);
            swapped.insert(j, vi);
            out.push(vj);
        }
        out
    }

    /// `n` independent draws from N(mean, std²) as f32.
    pub fn normal_vec(&mut self, n: usize, mean: f32, std: f32) -> Vec<f32> {
        (0..n).map(|_| mean + std * self.normal() as f32).collect()
    }

    /// `n` independent draws from U(lo, hi) as f32.
    pub fn uniform_vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n)
            .map(|_| lo + (hi - lo) * self.uniform_f32())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_serialises() {
        let mut a = TrustRng::new(7);
        let mut b = TrustRng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let json = serde_json::to_string(&a).unwrap();
        let mut c: TrustRng = serde_json::from_str(&json).unwrap();
        assert_eq!(a.next_u64(), c.next_u64());
        assert_ne!(TrustRng::new(1).next_u64(), TrustRng::new(2).next_u64());
    }

    #[test]
    fn xoshiro_reference_value() {
        // Reference: xoshiro256++ from its authors' C code (prng.di.unimi.it), state {1,2,3,4}:
        // the first output is rotl(1 + 4, 23) + 1 = 41943041.
        let mut r = TrustRng { s: [1, 2, 3, 4] };
        assert_eq!(r.next_u64(), 41_943_041);
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut r = TrustRng::new(3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // 5-sigma bands for the sample mean and variance of N(0,1).
        assert!(mean.abs() < 5.0 / (n as f64).sqrt(), "mean {mean}");
        assert!(
            (var - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(),
            "var {var}"
        );
        let u: f64 = (0..n).map(|_| r.uniform_f64()).sum::<f64>() / n as f64;
        assert!((u - 0.5).abs() < 5.0 * (1.0 / 12.0 / n as f64).sqrt());
    }

    #[test]
    fn below_is_uniform_and_choose_is_distinct() {
        let mut r = TrustRng::new(11);
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[r.below(6) as usize] += 1;
        }
        for c in counts {
            // Binomial(60000, 1/6): sd ≈ 91; 5 sd band.
            assert!((c as i64 - 10_000).abs() < 460, "{counts:?}");
        }
        let picked = r.choose_indices(50, 50);
        let mut sorted = picked.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        let few = r.choose_indices(1_000_000, 5);
        assert_eq!(few.len(), 5);
        assert!(few.iter().all(|&i| i < 1_000_000));
    }

    #[test]
    fn for_item_independent_of_order() {
        let a: Vec<u64> = (0..10)
            .map(|i| TrustRng::for_item(5, i).next_u64())
            .collect();
        let b: Vec<u64> = (0..10)
            .rev()
            .map(|i| TrustRng::for_item(5, i).next_u64())
            .collect();
        let mut b = b;
        b.reverse();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
    }
}
