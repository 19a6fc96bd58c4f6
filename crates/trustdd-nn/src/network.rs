//! [`Network`]: an architecture with owned parameters.

use crate::{ArchConfig, Architecture, ParamCursor, ParamSpec, Result};
use candle_core::{DType, Device, Tensor, Var};
use std::sync::Arc;
use trustdd_core::{Error, ImageShape, TrustRng};

/// An architecture plus its parameters (`Var`s) and batch-norm buffers.
#[derive(Debug, Clone)]
pub struct Network {
    arch: Arc<dyn Architecture>,
    vars: Vec<Var>,
    buffers: Vec<Tensor>,
}

/// Errors unless `tensors` match `specs` in number and shapes; `what` names the list.
fn check_shapes(specs: &[ParamSpec], tensors: &[Tensor], what: &str) -> Result<()> {
    if specs.len() != tensors.len() {
        return Err(Error::shape(
            format!("{what}: number of tensors"),
            specs.len(),
            tensors.len(),
        ));
    }
    for (spec, t) in specs.iter().zip(tensors) {
        if t.dims() != spec.shape.as_slice() {
            return Err(Error::shape(
                format!("{what} {}", spec.name),
                format!("{:?}", spec.shape),
                format!("{:?}", t.dims()),
            ));
        }
    }
    Ok(())
}

impl Network {
    /// Builds `config` for `input` images and `num_classes`, initialising parameters from `rng`
    /// (PyTorch's default init) in `dtype` on `device`.
    ///
    /// # Errors
    /// An invalid-parameter error if the configuration does not fit the input (see
    /// [`ArchConfig::build`]); candle errors from tensor creation.
    pub fn new(
        config: &ArchConfig,
        input: ImageShape,
        num_classes: usize,
        dtype: DType,
        device: &Device,
        rng: &mut TrustRng,
    ) -> Result<Self> {
        Self::from_arch(config.build(input, num_classes)?, dtype, device, rng)
    }

    /// Wraps an architecture object (for architectures defined outside this crate).
    ///
    /// Parameters are drawn from `rng` in spec order; buffers take their constant inits.
    ///
    /// # Errors
    /// An invalid-parameter error, before anything is allocated, when the parameters would not
    /// fit in memory (more bytes than the machine has, or than an address can count); candle
    /// errors from tensor creation.
    pub fn from_arch(
        arch: Arc<dyn Architecture>,
        dtype: DType,
        device: &Device,
        rng: &mut TrustRng,
    ) -> Result<Self> {
        check_size(arch.as_ref(), dtype, device)?;
        let vars = arch
            .param_specs()
            .iter()
            .map(|s| Ok(Var::from_tensor(&s.init_tensor(dtype, device, rng)?)?))
            .collect::<Result<Vec<_>>>()?;
        let buffers = arch
            .buffer_specs()
            .iter()
            .map(|s| s.init_tensor(dtype, device, rng))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            arch,
            vars,
            buffers,
        })
    }

    /// The architecture.
    pub fn arch(&self) -> &Arc<dyn Architecture> {
        &self.arch
    }

    /// The learnable parameters, in spec order.
    pub fn vars(&self) -> &[Var] {
        &self.vars
    }

    /// The parameters as plain tensors (still tracked: gradients reach the `Var`s).
    pub fn params(&self) -> Vec<Tensor> {
        self.vars.iter().map(|v| v.as_tensor().clone()).collect()
    }

    /// Copies of the parameters cut from the graph, for inference or as starting points.
    ///
    /// The copies own their storage: later updates of the `Var`s do not change them.
    pub fn detached_params(&self) -> Vec<Tensor> {
        // `Tensor::copy` of a detached tensor cannot fail except on allocation failure, which
        // aborts anyway; fall back to sharing storage rather than panicking.
        self.vars
            .iter()
            .map(|v| {
                let d = v.as_tensor().detach();
                d.copy().unwrap_or(d)
            })
            .collect()
    }

    /// The batch-norm running statistics, in buffer-spec order (empty without batch norm).
    pub fn buffers(&self) -> &[Tensor] {
        &self.buffers
    }

    /// Replaces the batch-norm running statistics (for example from a checkpoint).
    ///
    /// # Errors
    /// A shape error if the number or shapes differ from the architecture's buffer specs.
    pub fn set_buffers(&mut self, buffers: Vec<Tensor>) -> Result<()> {
        check_shapes(&self.arch.buffer_specs(), &buffers, "network buffers")?;
        self.buffers = buffers.iter().map(Tensor::detach).collect();
        Ok(())
    }

    /// Logits for `x`; in training mode batch-norm statistics are updated.
    ///
    /// # Errors
    /// Shape errors if `x` does not fit the architecture; candle errors.
    pub fn forward(&mut self, x: &Tensor, train: bool) -> Result<Tensor> {
        let params = self.params();
        let mut cursor = ParamCursor::new(&params);
        let h = self
            .arch
            .embed(&mut cursor, Some(&mut self.buffers), x, train)?;
        let logits = self.arch.head(&mut cursor, &h)?;
        cursor.finish()?;
        Ok(logits)
    }

    /// The embedding `h(x)`; in training mode batch-norm statistics are updated.
    ///
    /// # Errors
    /// Shape errors if `x` does not fit the architecture; candle errors.
    pub fn embed(&mut self, x: &Tensor, train: bool) -> Result<Tensor> {
        let params = self.params();
        let mut cursor = ParamCursor::new(&params);
        self.arch
            .embed(&mut cursor, Some(&mut self.buffers), x, train)
    }

    /// Logits with explicit parameters (functional form; buffers are read, never written).
    ///
    /// In training mode batch norm normalises with batch statistics; in evaluation mode with the
    /// network's running statistics.
    ///
    /// # Errors
    /// A shape error if `params` do not match the parameter specs; candle errors.
    pub fn forward_with(&self, params: &[Tensor], x: &Tensor, train: bool) -> Result<Tensor> {
        check_shapes(&self.arch.param_specs(), params, "network parameter")?;
        let mut cursor = ParamCursor::new(params);
        let mut scratch = self.buffers.clone();
        let h = self.arch.embed(&mut cursor, Some(&mut scratch), x, train)?;
        let logits = self.arch.head(&mut cursor, &h)?;
        cursor.finish()?;
        Ok(logits)
    }

    /// Embedding with explicit parameters (functional form; buffers are read, never written).
    ///
    /// # Errors
    /// A shape error if `params` do not match the parameter specs; candle errors.
    pub fn embed_with(&self, params: &[Tensor], x: &Tensor, train: bool) -> Result<Tensor> {
        check_shapes(&self.arch.param_specs(), params, "network parameter")?;
        let mut cursor = ParamCursor::new(params);
        let mut scratch = self.buffers.clone();
        self.arch.embed(&mut cursor, Some(&mut scratch), x, train)
    }

    /// Total number of learnable scalars.
    pub fn num_params(&self) -> usize {
        self.vars.iter().map(|v| v.elem_count()).sum()
    }

    /// All parameters flattened and concatenated in spec order (differentiable).
    ///
    /// # Errors
    /// An invalid-parameter error for an empty list; candle errors for mixed dtypes or devices.
    pub fn flatten(params: &[Tensor]) -> Result<Tensor> {
        if params.is_empty() {
            return Err(Error::invalid(
                "Network::flatten params",
                "[]",
                "at least one tensor",
            ));
        }
        let flat = params
            .iter()
            .map(Tensor::flatten_all)
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Tensor::cat(&flat, 0)?)
    }

    /// Cuts a flat vector back into tensors of this network's parameter shapes (differentiable).
    ///
    /// # Errors
    /// A shape error unless `flat` is a vector of length [`Network::num_params`].
    pub fn unflatten(&self, flat: &Tensor) -> Result<Vec<Tensor>> {
        let n = self.num_params();
        if flat.dims() != [n] {
            return Err(Error::shape(
                "Network::unflatten flat vector",
                format!("[{n}]"),
                format!("{:?}", flat.dims()),
            ));
        }
        let mut offset = 0;
        self.vars
            .iter()
            .map(|v| {
                let len = v.elem_count();
                let t = flat.narrow(0, offset, len)?.reshape(v.dims())?;
                offset += len;
                Ok(t)
            })
            .collect()
    }

    /// Overwrites the parameters with the values of a flat vector (converted to the parameters'
    /// dtype and device; no gradient flows).
    ///
    /// # Errors
    /// As [`Network::unflatten`]; candle errors from the conversion.
    pub fn load_flat(&self, flat: &Tensor) -> Result<()> {
        let pieces = self.unflatten(&flat.detach())?;
        for (var, t) in self.vars.iter().zip(pieces) {
            var.set(&t.to_dtype(var.dtype())?.to_device(var.device())?)?;
        }
        Ok(())
    }
}

/// Errors if the parameters of `arch` in `dtype` cannot be allocated: a width of 5,000,000 asks
/// for petabytes, and the allocator would abort the process instead of returning an error.
fn check_size(arch: &dyn Architecture, dtype: DType, device: &Device) -> Result<()> {
    let too_big = |bytes: String, limit: String| -> trustdd_core::Error {
        Error::invalid(
            format!("network size of {} (its parameters)", arch.name()),
            bytes,
            limit,
        )
    };
    let mut bytes: usize = 0;
    for spec in arch.param_specs().iter().chain(arch.buffer_specs().iter()) {
        let numel = spec
            .shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .and_then(|n| n.checked_mul(dtype.size_in_bytes()))
            .and_then(|n| bytes.checked_add(n));
        bytes = numel.ok_or_else(|| {
            too_big(
                format!("more than {} bytes", usize::MAX),
                "a size that can be addressed".into(),
            )
        })?;
    }
    if bytes > isize::MAX as usize {
        return Err(too_big(
            format!("{bytes} bytes"),
            "a size that can be addressed".into(),
        ));
    }
    if matches!(device, Device::Cpu) {
        if let Some(total) = host_memory_bytes() {
            if bytes > total {
                return Err(too_big(
                    format!("{bytes} bytes"),
                    format!("at most the {total} bytes of memory of this machine"),
                ));
            }
        }
    }
    Ok(())
}

/// `MemTotal` of `/proc/meminfo` in bytes (Linux); `None` elsewhere or when unreadable. Read
/// once per process: networks are built every distillation iteration.
fn host_memory_bytes() -> Option<usize> {
    static TOTAL: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    })
}
