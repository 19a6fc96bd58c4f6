//! The flip probability every parametric model takes, checked once.

use trustdd_core::{Error, Result};

/// Checks that `rate` is a probability in [0, 1); `model` names the model in the error.
///
/// A rate of 1 is refused: it would leave no clean sample of any class, which no noise-robust
/// method can learn from and which the papers never use.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `"<model> noise rate"`.
pub fn check_rate(model: &str, rate: f64) -> Result<f64> {
    if rate.is_finite() && (0.0..1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(Error::invalid(
            format!("{model} noise rate"),
            rate,
            "a probability in [0, 1)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_zero_and_just_below_one_and_rejects_the_rest() {
        assert_eq!(check_rate("sym", 0.0).unwrap(), 0.0);
        assert_eq!(check_rate("sym", 0.999).unwrap(), 0.999);
        for bad in [1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            let err = check_rate("sym", bad).unwrap_err();
            assert!(err.to_string().contains("sym noise rate"), "{err}");
        }
    }
}
