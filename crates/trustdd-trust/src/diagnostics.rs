//! [`RoundDiagnostics`]: what one TAD round did, for reports (serde).

use crate::class_split::SplitRule;
use serde::{Deserialize, Serialize};

/// One class in one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassDiagnostics {
    /// The class.
    pub class: usize,
    /// Samples observed with this label.
    pub observed: usize,
    /// Trusted samples whose working label is this class (after recall and top-up).
    pub trusted: usize,
    /// The split's normalised-score threshold (`None`: constant or single-sample class).
    pub threshold: Option<f64>,
    /// Which rule split the class (`gmm` or a fallback; `None` when no sample is observed in it).
    pub rule: Option<SplitRule>,
    /// Samples added by the minimum-per-class top-up.
    pub topped_up: usize,
    /// Samples on the trusted side of the threshold that the split's agreement veto took out
    /// (written only when some were).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub vetoed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One outer round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundDiagnostics {
    /// Round index (0 = warm-up round).
    pub round: usize,
    /// Trusted samples.
    pub trusted: usize,
    /// Untrusted samples.
    pub untrusted: usize,
    /// Fraction of trusted samples whose working label is correct (clean labels known).
    pub precision: Option<f64>,
    /// Fraction of correctly-observed samples that are trusted (clean labels known).
    pub recall: Option<f64>,
    /// Samples newly recalled this round.
    pub recalled_new: usize,
    /// Recalled samples currently trusted (new and kept).
    pub recalled_total: usize,
    /// Previously recalled samples dropped (reliability below δ/2).
    pub recalled_dropped: usize,
    /// Accuracy of the current recalled pseudo-labels (clean labels known, some recalled).
    pub recalled_accuracy: Option<f64>,
    /// Classes whose split fell back (guard, constant or single sample).
    pub fallbacks: usize,
    /// Proxy cross-entropy of the round's training (last epoch).
    pub proxy_ce: f64,
    /// Proxy consistency term of the round's training (last epoch).
    pub proxy_consistency: f64,
    /// The class-transition matrix estimated after the warm-up (round 0 with forward correction
    /// only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<crate::Transition>,
    /// The two proxies' splits and their agreement (`TadConfig::co_divide` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_divide: Option<crate::CoDivideDiagnostics>,
    /// Per observed class.
    pub classes: Vec<ClassDiagnostics>,
    /// Wall-clock seconds of the round: not saved in checkpoints or reports, whose bytes must
    /// not depend on the machine's speed.
    #[serde(skip)]
    pub seconds: f64,
}
