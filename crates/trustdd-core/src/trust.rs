//! [`TrustPartitioner`]: splitting real data into trusted and untrusted parts.

use crate::{Error, ImageDataset, Progress, Result, TrustRng};
use candle_core::Device;

/// Which samples are trusted, and the label each is trusted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPartition {
    /// `trusted[i]`: sample `i` may be used for distillation.
    pub trusted: Vec<bool>,
    /// The label sample `i` is used with: its observed label, or a corrected one after recall.
    pub working_labels: Vec<u32>,
}

impl TrustPartition {
    /// Every sample trusted with its observed label.
    pub fn all_trusted(labels: &[u32]) -> Self {
        Self {
            trusted: vec![true; labels.len()],
            working_labels: labels.to_vec(),
        }
    }

    /// Number of trusted samples.
    pub fn trusted_count(&self) -> usize {
        self.trusted.iter().filter(|&&t| t).count()
    }

    /// Trusted sample ids grouped by working label.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the partition does not have `n` entries,
    /// [`Error::LabelOutOfRange`] for a working label ≥ `num_classes`.
    pub fn members_by_class(&self, n: usize, num_classes: usize) -> Result<Vec<Vec<usize>>> {
        if self.trusted.len() != n || self.working_labels.len() != n {
            return Err(Error::shape(
                "trust partition",
                format!("{n} samples"),
                format!(
                    "{} flags, {} labels",
                    self.trusted.len(),
                    self.working_labels.len()
                ),
            ));
        }
        crate::dataset::check_labels(&self.working_labels, num_classes, "working labels")?;
        let mut out = vec![Vec::new(); num_classes];
        for (i, (&t, &l)) in self.trusted.iter().zip(&self.working_labels).enumerate() {
            if t {
                out[l as usize].push(i);
            }
        }
        Ok(out)
    }

    /// Precision (trusted samples whose working label is correct) and recall (correctly-labelled
    /// samples that are trusted) against ground truth. `None` when nothing is trusted or nothing
    /// is correct, where the ratio is undefined.
    pub fn precision_recall(&self, observed: &[u32], clean: &[u32]) -> Option<(f64, f64)> {
        let trusted = self.trusted_count();
        let correct_trusted = self
            .trusted
            .iter()
            .zip(&self.working_labels)
            .zip(clean)
            .filter(|((&t, w), c)| t && w == c)
            .count();
        let correct = observed.iter().zip(clean).filter(|(o, c)| o == c).count();
        let correct_and_trusted = self
            .trusted
            .iter()
            .zip(observed.iter().zip(clean))
            .filter(|(&t, (o, c))| t && o == c)
            .count();
        if trusted == 0 || correct == 0 {
            return None;
        }
        Some((
            correct_trusted as f64 / trusted as f64,
            correct_and_trusted as f64 / correct as f64,
        ))
    }
}

/// What a partitioner sees when it refits.
pub struct PartitionContext<'a> {
    /// The (possibly noisy) real data.
    pub dataset: &'a ImageDataset,
    /// Where to run proxy networks.
    pub device: &'a Device,
    /// How many refits happened before this one.
    pub round: usize,
    /// Where to report progress.
    pub progress: &'a dyn Progress,
}

/// Decides which real samples to trust (the outer loop of TAD) and with which labels.
///
/// `observe` mutates (trains a proxy, refits thresholds, recalls samples); `partition` only
/// queries. Wrap the result in a [`DatasetSampler`](crate::DatasetSampler) to divert any
/// objective to the trusted data.
pub trait TrustPartitioner: Send {
    /// A short name, for example `"tad"`.
    fn name(&self) -> String;
    /// Refits the partition on the data.
    fn observe(&mut self, ctx: &PartitionContext<'_>, rng: &mut TrustRng) -> Result<()>;
    /// The current partition; `None` before the first [`observe`](Self::observe).
    fn partition(&self) -> Option<&TrustPartition>;
}

/// Trusts every sample with its observed label: plain distillation.
#[derive(Debug, Clone, Default)]
pub struct TrustAll {
    current: Option<TrustPartition>,
}

impl TrustPartitioner for TrustAll {
    fn name(&self) -> String {
        "all".into()
    }
    fn observe(&mut self, ctx: &PartitionContext<'_>, _rng: &mut TrustRng) -> Result<()> {
        self.current = Some(TrustPartition::all_trusted(ctx.dataset.labels()));
        Ok(())
    }
    fn partition(&self) -> Option<&TrustPartition> {
        self.current.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_recall_by_hand() {
        // clean  0 0 1 1 ; observed 0 1 1 0 (samples 1 and 3 wrong)
        // trusted: 0 (correct), 1 (wrong, recalled to 0 = correct), 2 (correct). 3 untrusted.
        let p = TrustPartition {
            trusted: vec![true, true, true, false],
            working_labels: vec![0, 0, 1, 0],
        };
        let (prec, rec) = p.precision_recall(&[0, 1, 1, 0], &[0, 0, 1, 1]).unwrap();
        assert!((prec - 1.0).abs() < 1e-12); // 3 of 3 trusted have the right working label
        assert!((rec - 1.0).abs() < 1e-12); // both correctly-observed samples are trusted
        let p = TrustPartition {
            trusted: vec![false, true, false, true],
            working_labels: vec![0, 1, 1, 0],
        };
        let (prec, rec) = p.precision_recall(&[0, 1, 1, 0], &[0, 0, 1, 1]).unwrap();
        assert_eq!((prec, rec), (0.0, 0.0));
        assert!(p.members_by_class(3, 2).is_err());
    }
}
