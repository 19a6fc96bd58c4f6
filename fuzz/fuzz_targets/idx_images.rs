//! `parse_idx_images` on raw bytes: Ok or Err, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = trustdd_data::parse_idx_images(data, Path::new("fuzz-images-idx3-ubyte"));
});
