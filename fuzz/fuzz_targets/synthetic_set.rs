//! `trustdd_distill::load_set` (synthetic sets; the same safetensors-with-metadata container
//! as checkpoints) on a scratch file: Ok or Err, never a panic.
#![no_main]

mod scratch;

use candle_core::Device;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = scratch::write("set.safetensors", data);
    let _ = trustdd_distill::load_set(&path, &Device::Cpu);
});
