//! Co-divide (DivideMix, Li, Socher and Hoi, ICLR 2020): a second proxy with its own
//! initialisation, trained on the first proxy's split while the first trains on the second's, so
//! neither confirms its own memorised mistakes; the trusted set handed on is where the two
//! class-wise splits agree.
//!
//! Followed from DivideMix: two networks from different draws, each one's GMM division trains the
//! other. Ours, for TAD: the two divisions are intersected for the partition (the agreement rule
//! of the two-network methods, which DivideMix leaves to its per-network semi-supervised step),
//! and the inner recall, its kept recalls and the top-up use the first proxy's outputs, as with one
//! proxy (requiring both proxies' predictions to agree on a recall was measured and gained
//! nothing: docs/algorithms.md §5). Each proxy's training view is the other's split plus the
//! current recalls with their working labels.

use super::Proxy;
use crate::losses::LossHistory;
use serde::{Deserialize, Serialize};
use trustdd_core::TrustPartition;

/// The second proxy and what it needs between rounds.
#[derive(Debug, Clone)]
pub(super) struct Peer {
    pub(super) proxy: Proxy,
    pub(super) history: LossHistory,
    pub(super) margins: LossHistory,
    /// The first proxy's last class-wise split: the second proxy trains on it.
    pub(super) main_split: Vec<bool>,
    /// The second proxy's last class-wise split: the first proxy trains on it.
    pub(super) peer_split: Vec<bool>,
}

impl Peer {
    pub(super) fn new(window: usize) -> Self {
        Self {
            proxy: Proxy::None,
            history: LossHistory::new(window),
            margins: LossHistory::new(window),
            main_split: Vec::new(),
            peer_split: Vec::new(),
        }
    }
}

/// The partition a proxy trains on: `split` (the other proxy's), plus the samples recalled in
/// `part`. Working labels are `part`'s: observed labels but for the recalled samples.
pub(super) fn training_view(
    split: &[bool],
    part: &TrustPartition,
    recalled: &[bool],
) -> TrustPartition {
    TrustPartition {
        trusted: (0..part.trusted.len())
            .map(|i| split[i] || recalled[i])
            .collect(),
        working_labels: part.working_labels.clone(),
    }
}

/// What co-divide did in one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoDivideDiagnostics {
    /// Samples the first proxy's split trusts.
    pub main_trusted: usize,
    /// Samples the second proxy's split trusts.
    pub peer_trusted: usize,
    /// Samples both splits trust (the partition's base before recall and top-up).
    pub agreed: usize,
    /// Fraction of the first split whose observed label is right (clean labels known).
    pub main_precision: Option<f64>,
    /// Fraction of the second split whose observed label is right (clean labels known).
    pub peer_precision: Option<f64>,
    /// The second proxy's cross-entropy in this round's training (last epoch).
    pub peer_ce: f64,
}

/// Fraction of `split` whose observed label equals the clean one: the precision of the split
/// as a partition with observed labels ([`TrustPartition::precision_recall`]).
pub(super) fn split_precision(
    split: &[bool],
    labels: &[u32],
    clean: Option<&[u32]>,
) -> Option<f64> {
    let part = TrustPartition {
        trusted: split.to_vec(),
        working_labels: labels.to_vec(),
    };
    part.precision_recall(labels, clean?)
        .map(|(precision, _)| precision)
}
