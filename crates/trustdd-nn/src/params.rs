//! Parameter specifications and the cursor architectures read their tensors through.

use crate::Result;
use candle_core::{DType, Device, Tensor};
use trustdd_core::{Error, TrustRng};

/// How a parameter is initialised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// U(−bound, bound) (PyTorch's default for conv and linear uses 1/sqrt(fan_in)).
    Uniform(f64),
    /// N(0, std²).
    Normal(f64),
    /// All ones (norm scales).
    Ones,
    /// All zeros (norm shifts, running means).
    Zeros,
}

/// One named parameter tensor of an architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Dotted name, for example `"features.0.conv.weight"`.
    pub name: String,
    /// Tensor shape.
    pub shape: Vec<usize>,
    /// Initialisation.
    pub init: Init,
}

impl ParamSpec {
    /// A spec from its parts.
    pub fn new(name: impl Into<String>, shape: Vec<usize>, init: Init) -> Self {
        Self {
            name: name.into(),
            shape,
            init,
        }
    }

    /// Number of scalars.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// A freshly initialised tensor of this spec in `dtype` on `device`.
    ///
    /// Random inits draw `numel` values from `rng` in row-major order, in f64, then convert, so
    /// f32 and f64 networks from the same seed hold the same values up to rounding.
    ///
    /// # Errors
    /// Candle errors (for example an unsupported dtype on the device).
    pub fn init_tensor(&self, dtype: DType, device: &Device, rng: &mut TrustRng) -> Result<Tensor> {
        let n = self.numel();
        let values: Vec<f64> = match self.init {
            Init::Uniform(bound) => (0..n).map(|_| rng.uniform_range(-bound, bound)).collect(),
            Init::Normal(std) => (0..n).map(|_| std * rng.normal()).collect(),
            Init::Ones => vec![1.0; n],
            Init::Zeros => vec![0.0; n],
        };
        Ok(Tensor::from_vec(values, self.shape.as_slice(), device)?.to_dtype(dtype)?)
    }
}

/// Hands out parameter tensors in [`ParamSpec`] order during a forward pass.
#[derive(Debug)]
pub struct ParamCursor<'a> {
    params: &'a [Tensor],
    next: usize,
}

impl<'a> ParamCursor<'a> {
    /// A cursor at the first parameter.
    pub fn new(params: &'a [Tensor]) -> Self {
        Self { params, next: 0 }
    }

    /// The next parameter.
    ///
    /// # Errors
    /// A shape error when the architecture asks for more parameters than it was given.
    pub fn take(&mut self) -> Result<&'a Tensor> {
        let t = self.params.get(self.next).ok_or_else(|| {
            Error::shape(
                "parameter cursor: number of parameter tensors",
                format!("at least {}", self.next + 1),
                self.params.len(),
            )
        })?;
        self.next += 1;
        Ok(t)
    }

    /// How many parameters have been taken so far.
    pub fn position(&self) -> usize {
        self.next
    }

    /// Errors unless every parameter was consumed (catches spec/forward drift).
    pub fn finish(self) -> Result<()> {
        if self.next == self.params.len() {
            Ok(())
        } else {
            Err(Error::shape(
                "parameter cursor: tensors consumed by the forward pass",
                self.params.len(),
                self.next,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_reports_too_many_and_too_few() -> anyhow::Result<()> {
        let t = Tensor::zeros(2, DType::F32, &Device::Cpu)?;
        let params = [t.clone(), t];
        let mut c = ParamCursor::new(&params);
        c.take()?;
        assert_eq!(c.position(), 1);
        assert!(
            c.finish().is_err(),
            "one tensor left unread must be an error"
        );
        let mut c = ParamCursor::new(&params);
        c.take()?;
        c.take()?;
        assert!(c.take().is_err(), "reading past the end must be an error");
        Ok(())
    }

    #[test]
    fn uniform_init_is_seeded_and_bounded() -> anyhow::Result<()> {
        let spec = ParamSpec::new("w", vec![50, 40], Init::Uniform(0.25));
        let a = spec.init_tensor(DType::F64, &Device::Cpu, &mut TrustRng::new(3))?;
        let b = spec.init_tensor(DType::F64, &Device::Cpu, &mut TrustRng::new(3))?;
        let (a, b) = (
            a.flatten_all()?.to_vec1::<f64>()?,
            b.flatten_all()?.to_vec1::<f64>()?,
        );
        assert_eq!(a, b);
        assert!(a.iter().all(|v| v.abs() <= 0.25));
        // U(−b, b) has variance b²/3; 2000 draws put the sample variance within a few percent.
        let var = a.iter().map(|v| v * v).sum::<f64>() / a.len() as f64;
        assert!((var / (0.0625 / 3.0) - 1.0).abs() < 0.1, "variance {var}");
        Ok(())
    }
}
