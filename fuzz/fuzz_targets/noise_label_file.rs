//! `trustdd_noise::read_labels` on a scratch file: Ok or Err, never a panic.
//!
//! Input layout: the first byte picks the extension (`% 3`: `.txt`, `.safetensors`, `.npy`) and
//! whether a tensor is named (bit 2: `Some("labels")`); the rest is the file.
#![no_main]

mod scratch;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    let name = ["labels.txt", "labels.safetensors", "labels.npy"][usize::from(mode % 3)];
    let tensor = (mode & 4 != 0).then_some("labels");
    let path = scratch::write(name, file);
    let _ = trustdd_noise::read_labels(&path, tensor);
});
