//! `read_image_parquet` on a scratch file (it only takes a path): Ok or Err, never a panic that
//! escapes. The parquet crate itself still panics on some malformed pages; `read_image_parquet`
//! catches those and returns a format error, so the target lets them through libFuzzer's
//! abort-on-panic hook and counts only panics from anywhere else.
#![no_main]

mod scratch;

use libfuzzer_sys::fuzz_target;
use std::sync::Once;
use trustdd_core::ImageShape;

fuzz_target!(|data: &[u8]| {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !trustdd_data::panic_is_caught_parquet_error(info) {
                abort(info)
            }
        }));
    });
    let path = scratch::write("fuzz.parquet", data);
    let _ = trustdd_data::read_image_parquet(&path, "image", &["label"], ImageShape::new(1, 2, 2));
});
