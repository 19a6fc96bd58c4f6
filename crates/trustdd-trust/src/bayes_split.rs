//! A trust partition cut on the clean posterior ([`crate::Transition::clean_posterior`]):
//! samples whose observed label is at least `cut` likely keep it, and, as TAD's inner loop
//! recalls reliable untrusted samples under corrected labels, samples whose posterior puts at
//! least `cut` on another class can be recalled under that class.

use crate::error::Result;
use trustdd_core::TrustPartition;

/// The partition [`bayes_split`] returns, with which samples were recalled (relabelled).
#[derive(Debug, Clone, PartialEq)]
pub struct BayesSplit {
    /// Trusted samples and their working labels.
    pub partition: TrustPartition,
    /// `recalled[i]`: sample `i` is trusted under a class other than its observed one.
    pub recalled: Vec<bool>,
}

/// Cuts the clean posterior `posterior` (`n × classes`, row-major) at `cut`: a sample is trusted
/// with its observed label when that label's posterior is at least `cut`; otherwise, with
/// `relabel`, a sample whose largest posterior is another class's and at least `cut` is trusted
/// under that class (ties go to the lower class index). The observed label is tried first, so a
/// cut at or under one half still trusts each sample under one class only.
///
/// # Errors
/// A shape error when `posterior` is not `observed.len() × classes`; a label error for an
/// observed label out of range; an invalid-parameter error when `cut` is not in (0, 1].
pub fn bayes_split(
    posterior: &[f64],
    observed: &[u32],
    classes: usize,
    cut: f64,
    relabel: bool,
) -> Result<BayesSplit> {
    if !(cut.is_finite() && cut > 0.0 && cut <= 1.0) {
        return Err(trustdd_core::Error::invalid(
            "bayes cut",
            cut,
            "a probability in (0, 1]",
        ));
    }
    if classes == 0 || posterior.len() != observed.len() * classes {
        return Err(trustdd_core::Error::shape(
            "clean posterior rows",
            format!("{} × {classes} values", observed.len()),
            format!("{} values", posterior.len()),
        ));
    }
    crate::error::check_finite(posterior, "clean posterior rows")?;
    trustdd_core::check_labels(observed, classes, "observed labels for the bayes split")?;
    let n = observed.len();
    let mut partition = TrustPartition {
        trusted: vec![false; n],
        working_labels: observed.to_vec(),
    };
    let mut recalled = vec![false; n];
    for (i, row) in posterior.chunks(classes).enumerate() {
        let y = observed[i] as usize;
        if row[y] >= cut {
            partition.trusted[i] = true;
            continue;
        }
        if !relabel {
            continue;
        }
        let best = (0..classes).fold(0, |b, c| if row[c] > row[b] { c } else { b });
        if best != y && row[best] >= cut {
            partition.trusted[i] = true;
            partition.working_labels[i] = best as u32;
            recalled[i] = true;
        }
    }
    Ok(BayesSplit {
        partition,
        recalled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three samples of two classes: one keeps its label, one is recalled under the other
    /// class, one is left out at the cut 0.8.
    #[test]
    fn the_cut_trusts_keeps_and_relabels() {
        let posterior = [0.9, 0.1, 0.15, 0.85, 0.3, 0.7];
        let observed = [0, 0, 1];
        let plain = bayes_split(&posterior, &observed, 2, 0.8, false).unwrap();
        assert_eq!(plain.partition.trusted, vec![true, false, false]);
        assert_eq!(plain.partition.working_labels, vec![0, 0, 1]);
        assert_eq!(plain.recalled, vec![false; 3]);
        let relabelled = bayes_split(&posterior, &observed, 2, 0.8, true).unwrap();
        assert_eq!(relabelled.partition.trusted, vec![true, true, false]);
        assert_eq!(relabelled.partition.working_labels, vec![0, 1, 1]);
        assert_eq!(relabelled.recalled, vec![false, true, false]);
        // At 0.7 the third sample keeps its label; at 0.5 a tie keeps the observed one.
        let lower = bayes_split(&posterior, &observed, 2, 0.7, true).unwrap();
        assert_eq!(lower.partition.trusted, vec![true, true, true]);
        let tie = bayes_split(&[0.5, 0.5], &[1], 2, 0.5, true).unwrap();
        assert_eq!(tie.partition.working_labels, vec![1]);
        assert_eq!(tie.recalled, vec![false]);
    }

    #[test]
    fn bad_cuts_and_shapes_are_errors() {
        let posterior = [0.9, 0.1];
        assert!(bayes_split(&posterior, &[0], 2, 1.5, true).is_err());
        assert!(bayes_split(&posterior, &[0], 2, 0.0, false).is_err());
        assert!(bayes_split(&posterior, &[0], 2, f64::NAN, false).is_err());
        assert!(bayes_split(&posterior, &[0, 1], 2, 0.8, false).is_err());
        assert!(bayes_split(&posterior, &[2], 2, 0.8, false).is_err());
        assert!(bayes_split(&[f64::NAN, 0.1], &[0], 2, 0.8, false).is_err());
    }
}
