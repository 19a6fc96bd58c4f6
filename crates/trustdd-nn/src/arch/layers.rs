//! Building blocks shared by the architectures: parameter specs with PyTorch's default init,
//! layer application through the cursors, and output-size arithmetic.

use crate::ops;
use crate::{Init, NormKind, ParamCursor, ParamSpec, Result};
use candle_core::Tensor;
use trustdd_core::{Error, ImageShape};

/// PyTorch's default bound for conv/linear weights and biases: kaiming_uniform(a = √5) reduces to
/// U(−1/sqrt(fan_in), 1/sqrt(fan_in)).
fn default_init(fan_in: usize) -> Init {
    Init::Uniform(1.0 / (fan_in as f64).sqrt())
}

/// Weight `out×in×k×k` and, with `bias`, a bias `out`.
pub(crate) fn conv_specs(
    prefix: &str,
    c_in: usize,
    c_out: usize,
    k: usize,
    bias: bool,
) -> Vec<ParamSpec> {
    let init = default_init(c_in * k * k);
    let mut specs = vec![ParamSpec::new(
        format!("{prefix}.weight"),
        vec![c_out, c_in, k, k],
        init,
    )];
    if bias {
        specs.push(ParamSpec::new(format!("{prefix}.bias"), vec![c_out], init));
    }
    specs
}

/// Weight `out×in` and bias `out`.
pub(crate) fn linear_specs(prefix: &str, n_in: usize, n_out: usize) -> Vec<ParamSpec> {
    let init = default_init(n_in);
    vec![
        ParamSpec::new(format!("{prefix}.weight"), vec![n_out, n_in], init),
        ParamSpec::new(format!("{prefix}.bias"), vec![n_out], init),
    ]
}

/// Scale γ = 1 and shift β = 0 of a norm layer over `c` channels (none for [`NormKind::None`]).
pub(crate) fn norm_specs(prefix: &str, kind: NormKind, c: usize) -> Vec<ParamSpec> {
    match kind {
        NormKind::None => vec![],
        _ => vec![
            ParamSpec::new(format!("{prefix}.weight"), vec![c], Init::Ones),
            ParamSpec::new(format!("{prefix}.bias"), vec![c], Init::Zeros),
        ],
    }
}

/// Running mean 0 and variance 1 of a batch-norm layer (none for other kinds).
pub(crate) fn norm_buffer_specs(prefix: &str, kind: NormKind, c: usize) -> Vec<ParamSpec> {
    match kind {
        NormKind::Batch => vec![
            ParamSpec::new(format!("{prefix}.running_mean"), vec![c], Init::Zeros),
            ParamSpec::new(format!("{prefix}.running_var"), vec![c], Init::Ones),
        ],
        _ => vec![],
    }
}

/// The batch-norm buffers of a forward pass, read (and in training, replaced) in spec order.
pub(crate) struct Buffers<'a> {
    slots: Option<&'a mut [Tensor]>,
    next: usize,
}

impl<'a> Buffers<'a> {
    pub(crate) fn new(slots: Option<&'a mut [Tensor]>) -> Self {
        Self { slots, next: 0 }
    }

    /// The next running mean and variance, or `None` when the pass has no buffers.
    fn take_pair(&mut self) -> Result<Option<(&mut Tensor, &mut Tensor)>> {
        let Some(slots) = self.slots.as_deref_mut() else {
            return Ok(None);
        };
        let i = self.next;
        if i + 2 > slots.len() {
            return Err(Error::shape(
                "batch-norm buffers: number of tensors",
                format!("at least {}", i + 2),
                slots.len(),
            ));
        }
        self.next += 2;
        let (mean, rest) = slots[i..].split_at_mut(1);
        Ok(Some((&mut mean[0], &mut rest[0])))
    }

    /// Errors unless every buffer given was used.
    pub(crate) fn finish(self) -> Result<()> {
        match self.slots {
            Some(slots) if slots.len() != self.next => Err(Error::shape(
                "batch-norm buffers: tensors used by the forward pass",
                slots.len(),
                self.next,
            )),
            _ => Ok(()),
        }
    }
}

/// Applies a norm layer of `kind`, taking γ, β from `params` and, for batch norm, the running
/// statistics from `buffers` (updated in place in training mode).
pub(crate) fn norm(
    kind: NormKind,
    x: &Tensor,
    params: &mut ParamCursor<'_>,
    buffers: &mut Buffers<'_>,
    train: bool,
) -> Result<Tensor> {
    match kind {
        NormKind::None => Ok(x.clone()),
        NormKind::Instance => ops::instance_norm(x, params.take()?, params.take()?),
        NormKind::Layer => ops::layer_norm(x, params.take()?, params.take()?),
        NormKind::Batch => {
            let (gamma, beta) = (params.take()?, params.take()?);
            let running = buffers.take_pair()?;
            if train {
                let (y, stats) = ops::batch_norm_train(x, gamma, beta)?;
                if let Some((mean, var)) = running {
                    (*mean, *var) = stats.update_running(mean, var, ops::BN_MOMENTUM)?;
                }
                Ok(y)
            } else {
                let (mean, var) = running.ok_or_else(|| {
                    Error::invalid(
                        "batch-norm buffers",
                        "none",
                        "running statistics in evaluation mode",
                    )
                })?;
                ops::batch_norm_eval(x, gamma, beta, mean, var)
            }
        }
    }
}

/// A convolution taking its weight (and bias) from `params`.
pub(crate) fn conv(
    params: &mut ParamCursor<'_>,
    x: &Tensor,
    bias: bool,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let w = params.take()?;
    let b = if bias { Some(params.take()?) } else { None };
    ops::conv2d(x, w, b, stride, padding)
}

/// A linear layer with bias taken from `params`.
pub(crate) fn dense(params: &mut ParamCursor<'_>, x: &Tensor) -> Result<Tensor> {
    let w = params.take()?;
    ops::linear(x, w, Some(params.take()?))
}

/// Output size of a convolution along one axis, or an error naming the architecture.
pub(crate) fn conv_out(
    arch: &str,
    size: usize,
    k: usize,
    stride: usize,
    padding: usize,
) -> Result<usize> {
    if size + 2 * padding < k {
        return Err(Error::invalid(
            format!("{arch} input size"),
            size,
            format!("a padded size of at least {k} at every layer"),
        ));
    }
    Ok((size + 2 * padding - k) / stride + 1)
}

/// Output size of 2×2 pooling along one axis, or an error naming the architecture.
pub(crate) fn pool_out(arch: &str, size: usize) -> Result<usize> {
    if size < 2 {
        return Err(Error::invalid(
            format!("{arch} input size"),
            size,
            "a map of at least 2 before every pooling",
        ));
    }
    Ok(size / 2)
}

/// True for 28×28 inputs (the MNIST family), whose first convolution the reference code pads more.
pub(crate) fn is_28x28(input: ImageShape) -> bool {
    input.height == 28 && input.width == 28
}

/// Errors unless the input and class count are usable.
pub(crate) fn check_io(arch: &str, input: ImageShape, num_classes: usize) -> Result<()> {
    if input.numel() == 0 {
        return Err(Error::invalid(
            format!("{arch} input shape"),
            input,
            "non-zero channels, height and width",
        ));
    }
    if num_classes == 0 {
        return Err(Error::invalid(
            format!("{arch} num_classes"),
            0,
            "at least 1",
        ));
    }
    Ok(())
}
