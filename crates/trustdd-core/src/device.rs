//! Choosing the compute device from a user-facing string.

use crate::{Error, Result};
use candle_core::Device;

/// Parses `"cpu"`, `"cuda"`, `"cuda:N"` or `"auto"` (CUDA device 0 when built with the `cuda`
/// feature and a GPU is present, else CPU).
///
/// # Errors
/// [`Error::Device`] for an unknown string, or for CUDA in a build without the `cuda` feature.
pub fn select_device(spec: &str) -> Result<Device> {
    let spec_trim = spec.trim().to_ascii_lowercase();
    match spec_trim.as_str() {
        "cpu" => Ok(Device::Cpu),
        "auto" => {
            if candle_core::utils::cuda_is_available() {
                Device::new_cuda(0).map_err(|e| device_err(spec, e.to_string()))
            } else {
                Ok(Device::Cpu)
            }
        }
        s if s == "cuda" || s.starts_with("cuda:") => {
            let ordinal = match s.strip_prefix("cuda:") {
                None => 0,
                Some(n) => n
                    .parse::<usize>()
                    .map_err(|_| device_err(spec, "expected cuda:N with N a number".into()))?,
            };
            if !candle_core::utils::cuda_is_available() {
                return Err(device_err(
                    spec,
                    "this build has no CUDA support (rebuild with --features cuda)".into(),
                ));
            }
            Device::new_cuda(ordinal).map_err(|e| device_err(spec, e.to_string()))
        }
        _ => Err(device_err(
            spec,
            "expected cpu, cuda, cuda:N or auto".into(),
        )),
    }
}

fn device_err(spec: &str, reason: String) -> Error {
    Error::Device {
        spec: spec.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_rejects_nonsense() {
        assert!(select_device("cpu").unwrap().is_cpu());
        assert!(select_device(" CPU ").unwrap().is_cpu());
        assert!(matches!(select_device("tpu"), Err(Error::Device { .. })));
        assert!(matches!(select_device("cuda:x"), Err(Error::Device { .. })));
        if !candle_core::utils::cuda_is_available() {
            assert!(select_device("auto").unwrap().is_cpu());
            let err = select_device("cuda").unwrap_err().to_string();
            assert!(err.contains("--features cuda"), "{err}");
        }
    }
}
