//! [`Tad`]'s last split, recomputed from the loss and margin histories (which the split is a
//! pure function of, so a resumed run gives the same answers): as a [`SplitView`] for
//! `partition.png`, and as per-sample clean posteriors for a soft diversion.

use super::Tad;
use crate::class_split::{normalise, split_classes, ClassSplit, SplitInput, SplitRule};
use trustdd_core::{index_by_class, ClassSplitView, ImageDataset, Result, SplitView};

/// The last round's class-wise split with each class's normalised scores.
struct LastSplit {
    /// Per split class: its record, its member ids and their normalised scores.
    classes: Vec<(ClassSplit, Vec<usize>, Vec<f64>)>,
}

impl Tad {
    /// The class-wise split of the last round on `dataset` (`None` before the first round).
    fn last_split(&self, dataset: &ImageDataset) -> Result<Option<LastSplit>> {
        let losses = self.history.mean();
        if losses.is_empty() {
            return Ok(None);
        }
        if losses.len() != dataset.len() {
            return Err(trustdd_core::Error::shape(
                "tad split view dataset size",
                losses.len(),
                dataset.len(),
            ));
        }
        let labels = dataset.labels();
        let num_classes = dataset.num_classes();
        let margins = self.margins.mean();
        let input = SplitInput {
            losses: &losses,
            margins: &margins,
        };
        let (_, splits) = split_classes(input, labels, num_classes, &self.config.split)?;
        let mut members = index_by_class(labels, num_classes);
        let score = self.config.split.score;
        let classes = splits
            .into_iter()
            .map(|split| {
                let ids = std::mem::take(&mut members[split.class]);
                let raw: Vec<f64> = ids
                    .iter()
                    .map(|&i| score.of(losses[i], margins[i]))
                    .collect();
                // Constant and single-sample classes: every score 0, all trusted.
                let scores = normalise(&raw).map_or_else(|| vec![0.0; raw.len()], |(v, ..)| v);
                (split, ids, scores)
            })
            .collect();
        Ok(Some(LastSplit { classes }))
    }

    /// The class-wise split of the last round on `dataset` (`None` before the first round).
    ///
    /// # Errors
    /// A shape error when `dataset` is not the one the rounds observed.
    pub(crate) fn split_view_of(&self, dataset: &ImageDataset) -> Result<Option<SplitView>> {
        let Some(last) = self.last_split(dataset)? else {
            return Ok(None);
        };
        let views = last
            .classes
            .into_iter()
            .map(|(split, ids, scores)| ClassSplitView {
                class: split.class,
                samples: ids.into_iter().zip(scores).collect(),
                components: split.gmm.map_or_else(Vec::new, |g| {
                    (0..2)
                        .map(|k| (g.weights[k], g.means[k], g.variances[k]))
                        .collect()
                }),
                threshold: split.threshold,
                rule: rule_name(split.rule).to_string(),
            })
            .collect();
        Ok(Some(SplitView {
            score: format!(
                "per-class min-max normalised {}",
                self.config.split.score.name()
            ),
            classes: views,
        }))
    }

    /// Each sample's posterior of its observed class's low-score component in the last split:
    /// the estimated probability that its label is correct. Classes split by a fallback rule
    /// (no usable mixture) give 1 to the samples their rule trusted and 0 to the rest.
    ///
    /// # Errors
    /// A shape error when `dataset` is not the one the rounds observed.
    pub(crate) fn clean_weights_of(&self, dataset: &ImageDataset) -> Result<Option<Vec<f64>>> {
        let Some(last) = self.last_split(dataset)? else {
            return Ok(None);
        };
        let mut weights = vec![0.0; dataset.len()];
        for (split, ids, scores) in last.classes {
            for (i, s) in ids.into_iter().zip(scores) {
                let below = split.threshold.is_none_or(|t| s <= t);
                weights[i] = match (split.rule, split.gmm) {
                    (SplitRule::Gmm, Some(g)) => g.posterior_low(s),
                    _ => f64::from(u8::from(below)),
                };
            }
        }
        Ok(Some(weights))
    }
}

fn rule_name(rule: SplitRule) -> &'static str {
    match rule {
        SplitRule::Gmm => "gmm",
        SplitRule::QuantileFallback => "quantile fallback",
        SplitRule::Constant => "constant",
        SplitRule::Single => "single",
    }
}
