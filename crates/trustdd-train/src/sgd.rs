//! SGD with momentum and weight decay over `Var`s, with PyTorch's semantics.

use crate::Result;
use candle_core::{backprop::GradStore, Tensor, Var};
use serde::{Deserialize, Serialize};

/// Step size, momentum and L2 weight decay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdConfig {
    /// Learning rate (> 0).
    pub lr: f64,
    /// Momentum μ in [0, 1); 0 keeps no buffer.
    pub momentum: f64,
    /// Weight decay (L2 coefficient added to the gradient, ≥ 0).
    pub weight_decay: f64,
}

impl SgdConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// An invalid-parameter error naming the field.
    pub fn validate(&self) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(trustdd_core::Error::invalid(
                "lr",
                self.lr,
                "a finite number > 0",
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(trustdd_core::Error::invalid(
                "momentum",
                self.momentum,
                "a number in [0, 1)",
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(trustdd_core::Error::invalid(
                "weight_decay",
                self.weight_decay,
                "a finite number >= 0",
            ));
        }
        Ok(())
    }
}

/// `torch.optim.SGD` without dampening or Nesterov:
/// `g ← g + wd·p; buf ← μ·buf + g` (`buf = g` on the first step); `p ← p − lr·buf`.
#[derive(Debug)]
pub struct Sgd {
    vars: Vec<Var>,
    names: Vec<String>,
    config: SgdConfig,
    buffers: Vec<Option<Tensor>>,
}

impl Sgd {
    /// An optimiser over `vars` (they share storage with the caller's: updates are visible there).
    /// Parameters are named `param0`, `param1`, ... until [`Self::with_names`].
    ///
    /// # Errors
    /// An invalid-parameter error from [`SgdConfig::validate`].
    pub fn new(vars: Vec<Var>, config: SgdConfig) -> Result<Self> {
        config.validate()?;
        let names = (0..vars.len()).map(|i| format!("param{i}")).collect();
        let buffers = vec![None; vars.len()];
        Ok(Self {
            vars,
            names,
            config,
            buffers,
        })
    }

    /// Names the parameters (used when reporting those without a gradient).
    ///
    /// # Errors
    /// A shape error when the number of names differs from the number of parameters.
    pub fn with_names(mut self, names: Vec<String>) -> Result<Self> {
        if names.len() != self.vars.len() {
            return Err(trustdd_core::Error::shape(
                "sgd parameter names",
                self.vars.len(),
                names.len(),
            ));
        }
        self.names = names;
        Ok(self)
    }

    /// The settings.
    pub fn config(&self) -> SgdConfig {
        self.config
    }

    /// Changes the learning rate, keeping the momentum buffers.
    ///
    /// # Errors
    /// An invalid-parameter error for a non-positive or non-finite rate.
    pub fn set_lr(&mut self, lr: f64) -> Result<()> {
        SgdConfig { lr, ..self.config }.validate()?;
        self.config.lr = lr;
        Ok(())
    }

    /// Forgets the momentum buffers (the next step starts again with `buf = g`).
    pub fn reset(&mut self) {
        self.buffers.iter_mut().for_each(|b| *b = None);
    }

    /// Current momentum buffers (`None` before a parameter's first step or after a reset).
    pub fn momentum_buffers(&self) -> &[Option<Tensor>] {
        &self.buffers
    }

    /// One update from `grads`. Parameters absent from `grads` are left untouched (their buffer
    /// too, as PyTorch does for `grad is None`), and their names are returned so the caller can
    /// decide whether that is an error; an empty vector means every parameter was updated.
    ///
    /// # Errors
    /// A candle error when a gradient's shape or dtype does not match its parameter.
    pub fn step(&mut self, grads: &GradStore) -> Result<Vec<String>> {
        let SgdConfig {
            lr,
            momentum,
            weight_decay,
        } = self.config;
        let mut missing = Vec::new();
        for (k, var) in self.vars.iter().enumerate() {
            let Some(grad) = grads.get(var.as_tensor()) else {
                missing.push(self.names[k].clone());
                continue;
            };
            let p = var.as_tensor().detach();
            let mut g = grad.detach();
            if weight_decay != 0.0 {
                g = (g + p.affine(weight_decay, 0.0)?)?;
            }
            if momentum != 0.0 {
                g = match &self.buffers[k] {
                    Some(buf) => (buf.affine(momentum, 0.0)? + g)?,
                    None => g,
                };
                self.buffers[k] = Some(g.clone());
            }
            var.set(&(p - g.affine(lr, 0.0)?)?)?;
        }
        Ok(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    fn scalar_var(v: f64) -> Var {
        Var::from_tensor(&Tensor::new(&[v], &Device::Cpu).unwrap()).unwrap()
    }

    fn value(v: &Var) -> f64 {
        v.as_tensor().to_vec1::<f64>().unwrap()[0]
    }

    /// Gradient of f(p) = 0.5·a·p² + b·p.
    fn quadratic_grads(p: &Var, a: f64, b: f64) -> GradStore {
        let t = p.as_tensor();
        let f = ((t.sqr().unwrap() * (0.5 * a)).unwrap() + (t * b).unwrap()).unwrap();
        f.sum_all().unwrap().backward().unwrap()
    }

    #[test]
    fn matches_hand_computed_sequence_on_a_quadratic() {
        // f(p) = p² (a = 2, b = 0), p0 = 1, lr 0.1, μ 0.9, wd 0.1. By hand:
        // step 1: g = 2·1 + 0.1·1 = 2.1; buf = 2.1; p = 1 − 0.21 = 0.79
        // step 2: g = 1.58 + 0.079 = 1.659; buf = 0.9·2.1 + 1.659 = 3.549; p = 0.79 − 0.3549 = 0.4351
        // step 3: g = 0.8702 + 0.04351 = 0.91371; buf = 3.1941 + 0.91371 = 4.10781;
        //         p = 0.4351 − 0.410781 = 0.024319
        let p = scalar_var(1.0);
        let config = SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.1,
        };
        let mut sgd = Sgd::new(vec![p.clone()], config).unwrap();
        let mut got = Vec::new();
        for _ in 0..3 {
            let missing = sgd.step(&quadratic_grads(&p, 2.0, 0.0)).unwrap();
            assert!(missing.is_empty());
            got.push(value(&p));
        }
        for (g, e) in got.iter().zip([0.79, 0.4351, 0.024319]) {
            assert!((g - e).abs() < 1e-12, "{got:?}");
        }
        let buf = sgd.momentum_buffers()[0].as_ref().unwrap();
        assert!((buf.to_vec1::<f64>().unwrap()[0] - 4.10781).abs() < 1e-12);
    }

    #[test]
    fn reset_restarts_momentum_and_plain_sgd_keeps_no_buffer() {
        // f(p) = p (a = 0, b = 1): gradient 1 always. lr 1, μ 0.5, no decay.
        // Steps: buf 1 → p −1; buf 1.5 → p −2.5; reset; buf 1 → p −3.5.
        let p = scalar_var(0.0);
        let config = SgdConfig {
            lr: 1.0,
            momentum: 0.5,
            weight_decay: 0.0,
        };
        let mut sgd = Sgd::new(vec![p.clone()], config).unwrap();
        sgd.step(&quadratic_grads(&p, 0.0, 1.0)).unwrap();
        sgd.step(&quadratic_grads(&p, 0.0, 1.0)).unwrap();
        assert!((value(&p) + 2.5).abs() < 1e-12);
        sgd.reset();
        assert!(sgd.momentum_buffers()[0].is_none());
        sgd.step(&quadratic_grads(&p, 0.0, 1.0)).unwrap();
        assert!((value(&p) + 3.5).abs() < 1e-12);

        let q = scalar_var(0.0);
        let plain = SgdConfig {
            momentum: 0.0,
            ..config
        };
        let mut sgd = Sgd::new(vec![q.clone()], plain).unwrap();
        sgd.step(&quadratic_grads(&q, 0.0, 1.0)).unwrap();
        sgd.step(&quadratic_grads(&q, 0.0, 1.0)).unwrap();
        assert!((value(&q) + 2.0).abs() < 1e-12);
        assert!(sgd.momentum_buffers()[0].is_none());
    }

    #[test]
    fn reports_parameters_without_gradient_and_rejects_bad_settings() {
        let used = scalar_var(1.0);
        let unused = Var::zeros(3, DType::F64, &Device::Cpu).unwrap();
        let config = SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 5e-4,
        };
        let mut sgd = Sgd::new(vec![used.clone(), unused.clone()], config)
            .unwrap()
            .with_names(vec!["w".into(), "ghost".into()])
            .unwrap();
        let missing = sgd.step(&quadratic_grads(&used, 2.0, 0.0)).unwrap();
        assert_eq!(missing, vec!["ghost".to_string()]);
        assert_eq!(unused.as_tensor().to_vec1::<f64>().unwrap(), vec![0.0; 3]);
        assert!(Sgd::new(vec![], SgdConfig { lr: -1.0, ..config }).is_err());
        assert!(Sgd::new(
            vec![],
            SgdConfig {
                momentum: 1.0,
                ..config
            }
        )
        .is_err());
        assert!(sgd.set_lr(0.0).is_err());
        assert!(sgd.with_names(vec![]).is_err());
    }
}
