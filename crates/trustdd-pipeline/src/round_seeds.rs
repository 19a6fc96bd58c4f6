//! [`RoundSeeds`]: which random stream each partition round of a run draws from, whichever
//! objective drives the rounds.

use crate::RunConfig;
use trustdd_core::TrustRng;

/// The generators of a run's partition rounds, counted over the run (0, 1, …): the first
/// `warmup_rounds` from the warm-up stream, then refit `k = 1, 2, …` from the refit stream.
///
/// Every entry point numbers rounds the same way (the warm-up rounds and refits of DM, DC and
/// DSA, the expert refits of MTT, [`crate::Pipeline::partition`]), so round `r` of any run is
/// round `r` of `trustdd partition` on the same data and seed. Before this type MTT's expert
/// refits drew round 0 from the refit stream, and its first rounds could not be reproduced by
/// the `partition` command (issue 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundSeeds {
    /// Seed of the warm-up rounds ([`crate::Streams::warmup_seed`]).
    pub warmup_seed: u64,
    /// Seed of the refits ([`crate::Streams::trust_seed`]).
    pub refit_seed: u64,
    /// Rounds drawn from the warm-up stream (at least 1).
    pub warmup_rounds: usize,
}

impl RoundSeeds {
    /// The seeds of `config`'s run: its seed, streams and `trust.warmup_rounds` (at least 1).
    pub fn of(config: &RunConfig) -> Self {
        Self {
            warmup_seed: config.streams.warmup_seed(config.seed),
            refit_seed: config.streams.trust_seed(config.seed),
            warmup_rounds: config.trust.warmup_rounds.max(1),
        }
    }

    /// The generator of round `round`: `TrustRng::for_item(warmup_seed, round)` for the
    /// warm-up rounds, `TrustRng::for_item(refit_seed, k)` for refit `k = round −
    /// warmup_rounds + 1` (the stream [`crate::TrustAware`] gives its refit `k`).
    pub fn rng(&self, round: usize) -> TrustRng {
        let warmup = self.warmup_rounds.max(1);
        if round < warmup {
            TrustRng::for_item(self.warmup_seed, round as u64)
        } else {
            TrustRng::for_item(self.refit_seed, (round + 1 - warmup) as u64)
        }
    }
}
