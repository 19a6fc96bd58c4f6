//! `ndarray` at the boundary: the proxy's per-sample figures and the averaged loss history as
//! host arrays.

use crate::{LossHistory, ProxyOutputs, Result};
use ndarray::{Array1, Array2};

impl ProxyOutputs {
    /// The per-sample losses `CE(f(x_i), y~_i)` as an array of length `n`.
    pub fn losses_array(&self) -> Array1<f64> {
        Array1::from(self.losses.clone())
    }

    /// The predicted classes as an array of length `n`.
    pub fn predictions_array(&self) -> Array1<u32> {
        Array1::from(self.predictions.clone())
    }

    /// The embeddings as an `n × feature_dim` array (`n` = the number of losses).
    ///
    /// # Errors
    /// A shape error when `features` does not hold `n · feature_dim` values.
    pub fn features_array(&self) -> Result<Array2<f64>> {
        let dims = (self.losses.len(), self.feature_dim);
        Array2::from_shape_vec(dims, self.features.clone()).map_err(|_| {
            trustdd_core::Error::shape(
                "proxy features (samples × feature_dim)",
                format!("{}×{} values", dims.0, dims.1),
                format!("{} values", self.features.len()),
            )
        })
    }
}

impl LossHistory {
    /// [`LossHistory::mean`] as an array (empty when nothing is stored).
    pub fn mean_array(&self) -> Array1<f64> {
        Array1::from(self.mean())
    }
}
