//! `parse_idx_labels` on raw bytes: Ok or Err, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = trustdd_data::parse_idx_labels(data, Path::new("fuzz-labels-idx1-ubyte"));
});
