//! [`Tad`]'s last split as a [`SplitView`] (for `partition.png`): recomputed from the loss
//! and margin histories, which the split is a pure function of, so a resumed run draws the same picture.

use super::Tad;
use crate::class_split::{normalise, split_classes, SplitInput, SplitRule};
use trustdd_core::{index_by_class, ClassSplitView, ImageDataset, Result, SplitView};

impl Tad {
    /// The class-wise split of the last round on `dataset` (`None` before the first round).
    ///
    /// # Errors
    /// A shape error when `dataset` is not the one the rounds observed.
    pub(crate) fn split_view_of(&self, dataset: &ImageDataset) -> Result<Option<SplitView>> {
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
        let classes = dataset.num_classes();
        let margins = self.margins.mean();
        let input = SplitInput {
            losses: &losses,
            margins: &margins,
        };
        let (_, splits) = split_classes(input, labels, classes, &self.config.split)?;
        let members = index_by_class(labels, classes);
        let score = self.config.split.score;
        let views = splits
            .iter()
            .map(|split| {
                let ids = &members[split.class];
                let raw: Vec<f64> = ids
                    .iter()
                    .map(|&i| score.of(losses[i], margins[i]))
                    .collect();
                // Constant and single-sample classes: every score 0, all trusted.
                let scores = normalise(&raw).map_or_else(|| vec![0.0; raw.len()], |(v, ..)| v);
                ClassSplitView {
                    class: split.class,
                    samples: ids.iter().copied().zip(scores).collect(),
                    components: split.gmm.map_or_else(Vec::new, |g| {
                        (0..2)
                            .map(|k| (g.weights[k], g.means[k], g.variances[k]))
                            .collect()
                    }),
                    threshold: split.threshold,
                    rule: rule_name(split.rule).to_string(),
                }
            })
            .collect();
        Ok(Some(SplitView {
            score: format!("per-class min-max normalised {}", score.name()),
            classes: views,
        }))
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
