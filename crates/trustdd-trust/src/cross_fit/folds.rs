//! Held-out class probabilities: INCV's cross-validation (Chen et al., "Understanding and
//! utilizing deep neural networks trained with noisy labels", ICML 2019). The samples are
//! shuffled into folds; each fold is scored by a proxy trained on the other folds' samples with
//! their observed labels, so no score comes from a network that memorised the sample's label.

use super::CrossFitConfig;
use crate::error::Result;
use crate::losses::proxy_outputs;
use candle_core::DType;
use trustdd_core::{PartitionContext, TrustRng};
use trustdd_nn::Network;
use trustdd_train::train;

/// Every sample's softmax row (`n × classes`, row-major) from the proxy that did not train on
/// its fold, the proxies trained with `labels` (the observed ones; a diagnostic that bounds what
/// a partition can do passes the clean ones). With `selected`, each proxy trains only on the
/// selected samples of its folds (resampled to the class sizes with `config.balance`). Draws,
/// in order: the fold shuffle, then per fold the resampling, the network's initialisation and
/// its training.
///
/// # Errors
/// A shape or label error for `labels` or `selected` that do not fit the dataset; a not-enough
/// error when a fold or a fold's training set is empty; training and network errors.
pub fn heldout_probabilities(
    config: &CrossFitConfig,
    ctx: &PartitionContext<'_>,
    labels: &[u32],
    selected: Option<&[bool]>,
    rng: &mut TrustRng,
) -> Result<Vec<f64>> {
    let ds = ctx.dataset;
    let (n, k, folds) = (ds.len(), ds.num_classes(), config.folds);
    if labels.len() != n || selected.is_some_and(|s| s.len() != n) {
        return Err(trustdd_core::Error::shape(
            "cross-fit labels and selection",
            n,
            format!(
                "{} labels, {:?} flags",
                labels.len(),
                selected.map(<[bool]>::len)
            ),
        ));
    }
    trustdd_core::check_labels(labels, k, "cross-fit training labels")?;
    if n < folds {
        return Err(trustdd_core::Error::NotEnough {
            what: "cross-fit samples (one per fold)".into(),
            requested: folds,
            available: n,
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let bounds = |f: usize| f * n / folds..(f + 1) * n / folds;
    let mut probs = vec![0.0; n * k];
    for f in 0..folds {
        let others: Vec<usize> = (0..folds)
            .filter(|&g| g != f)
            .flat_map(|g| order[bounds(g)].iter().copied())
            .collect();
        let fitted = match selected {
            None => others,
            Some(s) => kept(&others, s, labels, k, config.balance, rng),
        };
        if fitted.is_empty() {
            return Err(trustdd_core::Error::NotEnough {
                what: format!(
                    "cross-fit training samples for fold {f} (the last iteration kept none of \
                     the other folds' samples: its proxies agree with no label)"
                ),
                requested: 1,
                available: 0,
            });
        }
        let targets = fitted.iter().map(|&i| labels[i]).collect();
        let fit = ds.subset(&fitted)?.relabel(targets)?;
        let mut net = Network::new(
            &config.arch,
            fit.shape(),
            fit.num_classes(),
            DType::F32,
            ctx.device,
            rng,
        )?;
        train(&mut net, &fit, &config.train, rng, ctx.device, ctx.progress)?;
        let scored = &order[bounds(f)];
        let out = proxy_outputs(
            &net,
            &ds.subset(scored)?,
            ctx.device,
            config.eval_batch_size,
        )?;
        for (row, &i) in scored.iter().enumerate() {
            probs[i * k..(i + 1) * k].copy_from_slice(&out.probabilities[row * k..(row + 1) * k]);
        }
    }
    Ok(probs)
}

/// The selected samples of `pool`; with `balance`, each class (by `labels`) is shuffled and
/// repeated in turn up to its size in `pool`, so a class the selection thinned keeps its prior
/// in training. A class with nothing selected stays out.
fn kept(
    pool: &[usize],
    selected: &[bool],
    labels: &[u32],
    classes: usize,
    balance: bool,
    rng: &mut TrustRng,
) -> Vec<usize> {
    let chosen: Vec<usize> = pool.iter().copied().filter(|&i| selected[i]).collect();
    if !balance {
        return chosen;
    }
    let mut out = Vec::with_capacity(pool.len());
    for c in 0..classes as u32 {
        let size = pool.iter().filter(|&&i| labels[i] == c).count();
        let mut ids: Vec<usize> = chosen.iter().copied().filter(|&i| labels[i] == c).collect();
        if ids.is_empty() {
            continue;
        }
        rng.shuffle(&mut ids);
        out.extend(ids.iter().cycle().take(size.max(ids.len())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pool of 6: class 0 has 4 (two selected), class 1 has 2 (one selected). Balanced: class 0
    /// repeats its two kept samples up to 4, class 1 its one up to 2; unbalanced: the three.
    #[test]
    fn balance_repeats_each_class_up_to_its_size() {
        let pool = [0, 1, 2, 3, 4, 5];
        let labels = [0, 0, 0, 0, 1, 1];
        let selected = [true, false, true, false, false, true];
        let mut rng = TrustRng::new(1);
        assert_eq!(
            kept(&pool, &selected, &labels, 2, false, &mut rng),
            vec![0, 2, 5]
        );
        let out = kept(&pool, &selected, &labels, 2, true, &mut rng);
        assert_eq!(out.len(), 6);
        assert_eq!(out.iter().filter(|&&i| i == 0).count(), 2);
        assert_eq!(out.iter().filter(|&&i| i == 2).count(), 2);
        assert_eq!(&out[4..], &[5, 5]);
        // Nothing selected in a class: it stays out rather than being filled from nowhere.
        let none = kept(&pool, &[false; 6], &labels, 2, true, &mut rng);
        assert!(none.is_empty());
    }
}
