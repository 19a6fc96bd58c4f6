//! SGD with momentum on one learnable tensor, with its state exposed for checkpoints.

use crate::Result;
use candle_core::{Tensor, Var};

/// `torch.optim.SGD(momentum=μ)` on a single tensor: `buf ← μ·buf + g` (`buf = g` on the first
/// step), `p ← p − lr·buf`. `trustdd_train::Sgd` does the same for networks but does not let a
/// checkpoint restore its buffers, which bit-exact resume needs.
#[derive(Debug, Clone)]
pub struct MomentumSgd {
    lr: f64,
    momentum: f64,
    buffer: Option<Tensor>,
}

impl MomentumSgd {
    /// An optimiser with rate `lr` and momentum `momentum` (not validated here: objectives
    /// validate their configs).
    pub fn new(lr: f64, momentum: f64) -> Self {
        Self {
            lr,
            momentum,
            buffer: None,
        }
    }

    /// Updates `var` with `grad` (detached first; same shape as `var`).
    ///
    /// # Errors
    /// A candle error when the gradient does not match the variable.
    pub fn step(&mut self, var: &Var, grad: &Tensor) -> Result<()> {
        let g = grad.detach();
        let buf = match &self.buffer {
            Some(b) if self.momentum != 0.0 => (b.affine(self.momentum, 0.0)? + g)?,
            _ => g,
        };
        var.set(&(var.as_tensor().detach() - buf.affine(self.lr, 0.0)?)?)?;
        self.buffer = Some(buf);
        Ok(())
    }

    /// The momentum buffer (`None` before the first step).
    pub fn buffer(&self) -> Option<&Tensor> {
        self.buffer.as_ref()
    }

    /// The buffer as a named checkpoint tensor (nothing before the first step).
    pub fn named_buffer(&self, name: &str) -> Vec<(String, Tensor)> {
        self.buffer
            .iter()
            .map(|b| (name.to_string(), b.clone()))
            .collect()
    }

    /// Restores a buffer saved from [`Self::buffer`].
    pub fn set_buffer(&mut self, buffer: Option<Tensor>) {
        self.buffer = buffer;
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// The momentum factor.
    pub fn momentum(&self) -> f64 {
        self.momentum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_pytorch_momentum_by_hand() -> anyhow::Result<()> {
        // p = 1, g = 2 twice, lr 0.1, μ 0.5: step 1 buf 2, p 0.8; step 2 buf 0.5·2 + 2 = 3,
        // p 0.8 − 0.3 = 0.5 (torch.optim.SGD's documented update).
        let p = Var::new(&[1f64], &Device::Cpu)?;
        let g = Tensor::new(&[2f64], &Device::Cpu)?;
        let mut opt = MomentumSgd::new(0.1, 0.5);
        opt.step(&p, &g)?;
        opt.step(&p, &g)?;
        let v = p.as_tensor().to_vec1::<f64>()?[0];
        assert!((v - 0.5).abs() < 1e-12, "{v}");
        Ok(())
    }
}
