//! `decode_image_bytes` (PNG/JPEG): Ok or Err, never a panic.
//!
//! Input layout: the first byte picks grey or RGB (bit 0) and whether resizing is allowed
//! (bit 1); the rest is the encoded image. The target shape is a small 8×8 so a large valid
//! image only costs its decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use trustdd_core::ImageShape;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, image)) = data.split_first() else {
        return;
    };
    let channels = if mode & 1 == 0 { 1 } else { 3 };
    let shape = ImageShape::new(channels, 8, 8);
    let _ = trustdd_data::decode_image_bytes(image, Path::new("fuzz.png"), shape, mode & 2 != 0);
});
