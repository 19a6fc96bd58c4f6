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

    // Reference values for the tests below, from this independent Python implementation of
    // SplitMix64, xoshiro256++ and `for_item` (integer arithmetic mod 2^64, written from the
    // authors' C code at prng.di.unimi.it, not from this file's Rust):
    //
    // M = (1 << 64) - 1
    // def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M
    // def splitmix64(state):
    //     state = (state + 0x9E3779B97F4A7C15) & M
    //     z = state
    //     z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    //     z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    //     return state, z ^ (z >> 31)
    // def seed(x):
    //     s = []
    //     for _ in range(4):
    //         x, v = splitmix64(x); s.append(v)
    //     return s
    // def next_u64(s):
    //     r = (rotl((s[0] + s[3]) & M, 23) + s[0]) & M
    //     t = (s[1] << 17) & M
    //     s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
    //     s[3] = rotl(s[3], 45)
    //     return r
    // def for_item(sd, index):
    //     _, a = splitmix64(sd ^ 0xD1B54A32D192ED03)
    //     _, b = splitmix64(a ^ ((index * 0x9E3779B97F4A7C15) & M))
    //     return seed(b)
    // s = [1, 2, 3, 4]
    // print("state {1,2,3,4}: outputs", [next_u64(s) for _ in range(3)], "then state", [hex(v) for v in s])
    // print("seed 0 state", [hex(v) for v in seed(0)])
    // s = seed(42); print("seed 42 state", [hex(v) for v in s], "outputs", [hex(next_u64(s)) for _ in range(3)])
    // for i in (0, 1, 7):
    //     s = for_item(5, i); print(f"for_item(5, {i}) state", [hex(v) for v in s], "first", hex(next_u64(s)))
    //
    // Its output (python3 ref.py):
    //   state {1,2,3,4}: outputs [41943041, 58720359, 3588806011781223] then state ['0xc00018040002', '0xc00000000007', '0xc008000e0002', '0x8000a00000000300']
    //   seed 0 state ['0xe220a8397b1dcdaf', '0x6e789e6aa1b965f4', '0x6c45d188009454f', '0xf88bb8a8724c81ec']
    //   seed 42 state ['0xbdd732262feb6e95', '0x28efe333b266f103', '0x47526757130f9f52', '0x581ce1ff0e4ae394'] outputs ['0xd0764d4f4476689f', '0x519e4174576f3791', '0xfbe07cfb0c24ed8c']
    //   for_item(5, 0) state ['0x33e0e5f11d21ad61', '0x33d0fcefd911aa2a', '0x6f6a33b67363a28c', '0x6133f7f82232efc9'] first 0x2880903fb26c37cf
    //   for_item(5, 1) state ['0x1f95ec79406c66a5', '0xfa868af099d2325', '0xb273eede28bfc03', '0x71cb91ada193b4e6'] first 0x3306ec8706351764
    //   for_item(5, 7) state ['0x7a0ad572cb46d6b5', '0xfc6cc6667ef1369c', '0xf0df4ff2b08a7e6', '0xb8992b5d6d8d5893'] first 0xe2273f8a6f6028b5
    //
    // Cross-checks against published vectors: SplitMix64 from 0 gives 0xe220a8397b1dcdaf,
    // 0x6e789e6aa1b965f4, 0x06c45d188009454f, 0xf88bb8a8724c81ec, and xoshiro256++ from {1,2,3,4}
    // gives 41943041, 58720359, 3588806011781223 (the test vectors of the rand_xoshiro crate).

    #[test]
    fn xoshiro_state_update_matches_the_reference() {
        let mut r = TrustRng { s: [1, 2, 3, 4] };
        let outputs = [r.next_u64(), r.next_u64(), r.next_u64()];
        assert_eq!(outputs, [41_943_041, 58_720_359, 3_588_806_011_781_223]);
        assert_eq!(
            r.s,
            [
                0xc000_1804_0002,
                0xc000_0000_0007,
                0xc008_000e_0002,
                0x8000_a000_0000_0300
            ]
        );
    }

    #[test]
    fn splitmix64_seeding_matches_the_reference() {
        assert_eq!(
            TrustRng::new(0).s,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f,
                0xf88b_b8a8_724c_81ec
            ]
        );
        let mut r = TrustRng::new(42);
        assert_eq!(
            r.s,
            [
                0xbdd7_3226_2feb_6e95,
                0x28ef_e333_b266_f103,
                0x4752_6757_130f_9f52,
                0x581c_e1ff_0e4a_e394
            ]
        );
        let outputs = [r.next_u64(), r.next_u64(), r.next_u64()];
        assert_eq!(
            outputs,
            [
                0xd076_4d4f_4476_689f,
                0x519e_4174_576f_3791,
                0xfbe0_7cfb_0c24_ed8c
            ]
        );
    }

    #[test]
    fn for_item_derivation_matches_the_reference() {
        for (index, state, first) in [
            (
                0,
                [
                    0x33e0_e5f1_1d21_ad61,
                    0x33d0_fcef_d911_aa2a,
                    0x6f6a_33b6_7363_a28c,
                    0x6133_f7f8_2232_efc9,
                ],
                0x2880_903f_b26c_37cf,
            ),
            (
                1,
                [
                    0x1f95_ec79_406c_66a5,
                    0x0fa8_68af_099d_2325,
                    0x0b27_3eed_e28b_fc03,
                    0x71cb_91ad_a193_b4e6,
                ],
                0x3306_ec87_0635_1764,
            ),
            (
                7,
                [
                    0x7a0a_d572_cb46_d6b5,
                    0xfc6c_c666_7ef1_369c,
                    0x0f0d_f4ff_2b08_a7e6,
                    0xb899_2b5d_6d8d_5893,
                ],
                0xe227_3f8a_6f60_28b5,
            ),
        ] {
            let mut r = TrustRng::for_item(5, index);
            assert_eq!(r.s, state, "for_item(5, {index}) state");
            assert_eq!(r.next_u64(), first, "for_item(5, {index}) first output");
        }
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
