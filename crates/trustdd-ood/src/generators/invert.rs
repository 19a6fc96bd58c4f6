//! Invert: `1 − x` on the colour channels.

use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use trustdd_core::{OutlierGenerator, Result, TrustRng};

/// Inverts pixels (ALGORITHMS.md §7): a 1-channel image becomes `1 − x`; with several channels,
/// channel 0 is kept and the others become `1 − x` (so a colour image changes hue, not only
/// brightness). Deterministic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invert;

impl OutlierGenerator for Invert {
    fn name(&self) -> String {
        "invert".into()
    }

    fn generate(&self, images: &Tensor, _rng: &mut TrustRng) -> Result<Tensor> {
        let c = images.dims4()?.1;
        let inverted = images.affine(-1.0, 1.0)?;
        if c == 1 {
            return Ok(inverted);
        }
        let kept = images.narrow(1, 0, 1)?;
        Ok(Tensor::cat(&[kept, inverted.narrow(1, 1, c - 1)?], 1)?)
    }
}
