//! `read_image_parquet` on a scratch file (it only takes a path): Ok or Err, never a panic.
#![no_main]

mod scratch;

use libfuzzer_sys::fuzz_target;
use trustdd_core::ImageShape;

fuzz_target!(|data: &[u8]| {
    let path = scratch::write("fuzz.parquet", data);
    let _ = trustdd_data::read_image_parquet(&path, "image", &["label"], ImageShape::new(1, 2, 2));
});
