//! Finding the local data folder (`TRUSTDD_DATA`).

use std::ffi::OsString;
use std::path::PathBuf;

/// The environment variable naming the folder that holds local datasets
/// (`<dir>/fashion-mnist`, `<dir>/cifar10`, ...).
pub const DATA_DIR_VAR: &str = "TRUSTDD_DATA";

/// The data folder from `TRUSTDD_DATA`, `None` when unset or empty.
pub fn data_dir_from_env() -> Option<PathBuf> {
    data_dir_from_value(std::env::var_os(DATA_DIR_VAR))
}

/// The data folder a `TRUSTDD_DATA` value names (`None` when absent or empty).
pub fn data_dir_from_value(value: Option<OsString>) -> Option<PathBuf> {
    value.filter(|v| !v.is_empty()).map(PathBuf::from)
}
