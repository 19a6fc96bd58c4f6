//! `decode_maybe_gzip` and `load_idx_bytes` (raw or gzip image and label files, then the
//! dataset checks): Ok or Err, never a panic.
//!
//! Input layout: two bytes (big-endian) give the length of the image file; the image file
//! follows, then the label file is the rest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use trustdd_data::MNIST_CLASSES;

fuzz_target!(|data: &[u8]| {
    let _ = trustdd_data::decode_maybe_gzip(data.to_vec(), Path::new("fuzz.gz"));
    if data.len() < 2 {
        return;
    }
    let split = (usize::from(data[0]) << 8 | usize::from(data[1])).min(data.len() - 2);
    let (images, labels) = data[2..].split_at(split);
    let classes = MNIST_CLASSES.iter().map(|c| c.to_string()).collect();
    let _ = trustdd_data::load_idx_bytes(
        (images, Path::new("fuzz-images.gz")),
        (labels, Path::new("fuzz-labels.gz")),
        "fuzz",
        classes,
    );
});
