//! DSA settings as data, with the values of the DSA reference code (Zhao & Bilen 2021).

use crate::Result;
use serde::{Deserialize, Serialize};

/// One augmentation family; a DSA call picks exactly one of the configured groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DsaGroup {
    /// Brightness, then saturation, then contrast (all three).
    Color,
    /// Integer translation with zero fill.
    Crop,
    /// A zeroed rectangle.
    Cutout,
    /// Horizontal flip.
    Flip,
    /// Independent x/y scaling about the image centre (bilinear, zero padding).
    Scale,
    /// Rotation about the image centre (bilinear, zero padding).
    Rotate,
}

impl DsaGroup {
    /// The name used in strategy strings (`"color"`, `"crop"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DsaGroup::Color => "color",
            DsaGroup::Crop => "crop",
            DsaGroup::Cutout => "cutout",
            DsaGroup::Flip => "flip",
            DsaGroup::Scale => "scale",
            DsaGroup::Rotate => "rotate",
        }
    }
}

/// DSA parameters (ALGORITHMS.md §4). `Default` is the reference strategy
/// `color_crop_cutout_flip_scale_rotate`; use [`DsaConfig::digits`] for MNIST-like data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DsaConfig {
    /// The groups one of which is drawn per call.
    pub strategy: Vec<DsaGroup>,
    /// Brightness: `x + (r − 0.5)·brightness`, r ~ U[0, 1) (default 1.0).
    pub brightness: f64,
    /// Saturation: factor `r·saturation` around the per-pixel channel mean (default 2.0).
    pub saturation: f64,
    /// Contrast: factor `r + contrast` around the image mean (default 0.5).
    pub contrast: f64,
    /// Crop: maximal translation as a fraction of the side (default 0.125).
    pub crop_ratio: f64,
    /// Cutout: side of the zeroed rectangle as a fraction of the side (default 0.5).
    pub cutout_ratio: f64,
    /// Flip probability (default 0.5).
    pub flip_prob: f64,
    /// Scale factors are drawn from U[1/scale_ratio, scale_ratio] (default 1.2).
    pub scale_ratio: f64,
    /// Rotation angle drawn from U[−rotate_degrees, rotate_degrees] (default 15).
    pub rotate_degrees: f64,
}

impl Default for DsaConfig {
    fn default() -> Self {
        Self {
            strategy: vec![
                DsaGroup::Color,
                DsaGroup::Crop,
                DsaGroup::Cutout,
                DsaGroup::Flip,
                DsaGroup::Scale,
                DsaGroup::Rotate,
            ],
            brightness: 1.0,
            saturation: 2.0,
            contrast: 0.5,
            crop_ratio: 0.125,
            cutout_ratio: 0.5,
            flip_prob: 0.5,
            scale_ratio: 1.2,
            rotate_degrees: 15.0,
        }
    }
}

impl DsaConfig {
    /// The default without flip (a mirrored digit is another symbol), as the reference code
    /// does for MNIST-like datasets.
    pub fn digits() -> Self {
        let mut config = Self::default();
        config.strategy.retain(|g| *g != DsaGroup::Flip);
        config
    }

    /// Parses a reference-style strategy string such as `"color_crop_cutout_flip_scale_rotate"`
    /// (other settings at their defaults).
    ///
    /// # Errors
    /// An invalid-parameter error naming the unknown group.
    pub fn from_strategy(strategy: &str) -> Result<Self> {
        let all = Self::default().strategy;
        let groups = strategy
            .split('_')
            .filter(|s| !s.is_empty())
            .map(|s| {
                all.iter().copied().find(|g| g.name() == s).ok_or_else(|| {
                    trustdd_core::Error::invalid(
                        "dsa strategy group",
                        s,
                        "one of color, crop, cutout, flip, scale, rotate",
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let config = Self {
            strategy: groups,
            ..Self::default()
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks every setting is in range.
    ///
    /// # Errors
    /// An invalid-parameter error naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if self.strategy.is_empty() {
            return Err(trustdd_core::Error::invalid(
                "dsa strategy",
                "[]",
                "at least one group (use no augmentation config instead)",
            ));
        }
        let non_negative = [
            ("dsa brightness", self.brightness),
            ("dsa saturation", self.saturation),
            ("dsa contrast", self.contrast),
            ("dsa rotate_degrees", self.rotate_degrees),
        ];
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(trustdd_core::Error::invalid(
                    name,
                    v,
                    "a finite number >= 0",
                ));
            }
        }
        let fractions = [
            ("dsa crop_ratio", self.crop_ratio),
            ("dsa cutout_ratio", self.cutout_ratio),
            ("dsa flip_prob", self.flip_prob),
        ];
        for (name, v) in fractions {
            if !(0.0..=1.0).contains(&v) {
                return Err(trustdd_core::Error::invalid(name, v, "a number in [0, 1]"));
            }
        }
        if !(self.scale_ratio.is_finite() && self.scale_ratio >= 1.0) {
            return Err(trustdd_core::Error::invalid(
                "dsa scale_ratio",
                self.scale_ratio,
                "a finite number >= 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_string_round_trips_and_rejects_unknown_groups() {
        let c = DsaConfig::from_strategy("color_crop_cutout_flip_scale_rotate").unwrap();
        assert_eq!(c, DsaConfig::default());
        let d = DsaConfig::from_strategy("color_crop_cutout_scale_rotate").unwrap();
        assert_eq!(d, DsaConfig::digits());
        let err = DsaConfig::from_strategy("color_blur")
            .unwrap_err()
            .to_string();
        assert!(err.contains("blur"), "{err}");
        assert!(DsaConfig::from_strategy("").is_err());
    }

    #[test]
    fn serde_denies_unknown_fields_and_validate_catches_ranges() {
        let c: DsaConfig = serde_json::from_str(r#"{"strategy":["crop","flip"]}"#).unwrap();
        assert_eq!(c.strategy, vec![DsaGroup::Crop, DsaGroup::Flip]);
        assert_eq!(c.crop_ratio, 0.125);
        assert!(serde_json::from_str::<DsaConfig>(r#"{"blur":1}"#).is_err());
        let bad = DsaConfig {
            flip_prob: 1.5,
            ..DsaConfig::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("flip_prob"));
        let bad = DsaConfig {
            scale_ratio: 0.5,
            ..DsaConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
