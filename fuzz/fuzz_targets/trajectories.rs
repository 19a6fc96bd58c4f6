//! `trustdd_distill::load_trajectories` (MTT expert trajectories) on a scratch file: Ok or Err,
//! never a panic.
#![no_main]

mod scratch;

use candle_core::Device;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = scratch::write("experts.safetensors", data);
    let _ = trustdd_distill::load_trajectories(&path, &Device::Cpu);
});
