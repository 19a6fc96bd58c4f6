//! Per-sample losses, predictions and features of the proxy classifier (one un-augmented,
//! evaluation-mode pass over the dataset), and the loss history averaged over recent rounds.

use crate::error::{check_finite, Result};
use candle_core::{DType, Device, Tensor};
use std::collections::VecDeque;
use trustdd_core::ImageDataset;
use trustdd_nn::{Network, ParamCursor};

/// What the proxy says about every sample.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyOutputs {
    /// `CE(f(x_i), y~_i)` against the observed label.
    pub losses: Vec<f64>,
    /// `argmax_c f(x_i)_c`.
    pub predictions: Vec<u32>,
    /// `p(y~_i) − max_{c ≠ y~_i} p(c)` of `softmax f(x_i)`, in `[−1, 1]`: positive exactly when
    /// the proxy predicts the observed label (the probability margin of the observed label).
    pub margins: Vec<f64>,
    /// `softmax f(x_i)`, row-major `n × classes`.
    pub probabilities: Vec<f64>,
    /// Embeddings `h(x_i)`, row-major `n × feature_dim`.
    pub features: Vec<f64>,
    /// Embedding width.
    pub feature_dim: usize,
}

/// Runs `net` (evaluation mode, detached weights so no graph is recorded) over `dataset` in
/// batches of `batch_size`: embeddings and logits come from the same pass.
///
/// # Errors
/// [`trustdd_core::Error::NonFinite`] when a loss or feature is NaN or infinite (a diverged proxy);
/// network and candle errors.
pub fn proxy_outputs(
    net: &Network,
    dataset: &ImageDataset,
    device: &Device,
    batch_size: usize,
) -> Result<ProxyOutputs> {
    if batch_size == 0 {
        return Err(trustdd_core::Error::invalid("batch_size", 0, "at least 1"));
    }
    let params = net.detached_params();
    let n = dataset.len();
    let mut out = ProxyOutputs {
        losses: Vec::with_capacity(n),
        predictions: Vec::with_capacity(n),
        margins: Vec::with_capacity(n),
        probabilities: Vec::with_capacity(n * dataset.num_classes()),
        features: Vec::new(),
        feature_dim: 0,
    };
    let ids: Vec<usize> = (0..n).collect();
    for chunk in ids.chunks(batch_size) {
        let x = dataset.batch(chunk, device)?.to_dtype(params[0].dtype())?;
        let mut cursor = ParamCursor::new(&params);
        let mut buffers = net.buffers().to_vec();
        let h = net
            .arch()
            .embed(&mut cursor, Some(&mut buffers), &x, false)?;
        let logits = net.arch().head(&mut cursor, &h)?;
        cursor.finish()?;
        let h = h.flatten_from(1)?;
        out.feature_dim = h.dim(1)?;
        out.features
            .extend(h.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?);
        let rows = logits.to_dtype(DType::F64)?.to_vec2::<f64>()?;
        for (row, &i) in rows.iter().zip(chunk) {
            let label = dataset.labels()[i] as usize;
            out.losses.push(cross_entropy(row, label));
            out.predictions.push(argmax(row) as u32);
            let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = row.iter().map(|v| (v - m).exp()).sum();
            let start = out.probabilities.len();
            out.probabilities
                .extend(row.iter().map(|v| (v - m).exp() / z));
            out.margins.push(margin(&out.probabilities[start..], label));
        }
    }
    check_finite(&out.losses, "proxy per-sample losses")?;
    check_finite(&out.features, "proxy features")?;
    Ok(out)
}

/// `logsumexp(row) − row[label]`.
fn cross_entropy(row: &[f64], label: usize) -> f64 {
    let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
    lse - row[label]
}

/// `p[label] − max_{c ≠ label} p[c]` (`p[label]` for a single class).
pub(crate) fn margin(p: &[f64], label: usize) -> f64 {
    let other = p
        .iter()
        .enumerate()
        .filter(|&(c, _)| c != label)
        .fold(0.0f64, |best, (_, &v)| best.max(v));
    p[label] - other
}

/// Index of the largest value (the first on ties).
pub(crate) fn argmax(row: &[f64]) -> usize {
    row.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (k, &v)| {
            if v > best.1 {
                (k, v)
            } else {
                best
            }
        })
        .0
}

/// Per-sample values (losses, margins) of the last `window` rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct LossHistory {
    window: usize,
    rounds: VecDeque<Vec<f64>>,
}

impl LossHistory {
    /// An empty history keeping `window` (≥ 1) rounds.
    pub fn new(window: usize) -> Self {
        Self {
            window: window.max(1),
            rounds: VecDeque::new(),
        }
    }

    /// Adds a round's values, forgetting the oldest beyond the window.
    pub fn push(&mut self, losses: Vec<f64>) {
        self.rounds.push_back(losses);
        while self.rounds.len() > self.window {
            self.rounds.pop_front();
        }
    }

    /// Per-sample mean over the stored rounds (empty when nothing is stored).
    pub fn mean(&self) -> Vec<f64> {
        let Some(first) = self.rounds.front() else {
            return Vec::new();
        };
        let k = self.rounds.len() as f64;
        (0..first.len())
            .map(|i| self.rounds.iter().map(|r| r[i]).sum::<f64>() / k)
            .collect()
    }

    /// The stored rounds as a `rounds × n` f64 tensor on the CPU (for checkpoints).
    ///
    /// # Errors
    /// Candle errors.
    pub fn to_tensor(&self) -> Result<Tensor> {
        let n = self.rounds.front().map_or(0, Vec::len);
        let flat: Vec<f64> = self.rounds.iter().flatten().copied().collect();
        Ok(Tensor::from_vec(
            flat,
            (self.rounds.len(), n),
            &Device::Cpu,
        )?)
    }

    /// Restores rounds saved by [`LossHistory::to_tensor`].
    ///
    /// # Errors
    /// A shape error unless `t` is 2-D with at most `window` rows of `n` values.
    pub fn load_tensor(&mut self, t: &Tensor, n: usize) -> Result<()> {
        let (rows, cols) = t.dims2()?;
        if rows > self.window || (rows > 0 && cols != n) {
            return Err(trustdd_core::Error::shape(
                "loss history",
                format!("at most {} rounds of {n} losses", self.window),
                format!("{rows}×{cols}"),
            ));
        }
        self.rounds = t
            .to_dtype(DType::F64)?
            .to_vec2::<f64>()?
            .into_iter()
            .collect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_and_history_by_hand() {
        // CE([0, ln 3], label 0) = ln(1 + 3) − 0 = ln 4.
        assert!((cross_entropy(&[0.0, 3f64.ln()], 0) - 4f64.ln()).abs() < 1e-12);
        assert_eq!(argmax(&[0.1, 0.5, 0.5]), 1);
        // Margins: the observed label against the best other class.
        assert!((margin(&[0.2, 0.5, 0.3], 1) - 0.2).abs() < 1e-15);
        assert!((margin(&[0.2, 0.5, 0.3], 2) + 0.2).abs() < 1e-15);
        assert_eq!(margin(&[0.5, 0.5], 0), 0.0);
        assert_eq!(margin(&[1.0], 0), 1.0);
        let mut h = LossHistory::new(2);
        h.push(vec![1.0, 2.0]);
        h.push(vec![3.0, 4.0]);
        h.push(vec![5.0, 8.0]);
        assert_eq!(h.mean(), vec![4.0, 6.0]); // the first round fell out of the window
        let mut back = LossHistory::new(2);
        back.load_tensor(&h.to_tensor().unwrap(), 2).unwrap();
        assert_eq!(back, h);
        assert!(LossHistory::new(1)
            .load_tensor(&h.to_tensor().unwrap(), 2)
            .is_err());
    }
}
