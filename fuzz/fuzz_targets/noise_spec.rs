//! `NoiseConfig::parse` on any UTF-8 string, then the `Display` form of what it accepts: Ok or
//! Err, never a panic. (`build()` is left out: it opens the files a spec names.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustdd_noise::NoiseConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(spec) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = NoiseConfig::parse(spec) {
        let _ = config.to_string();
    }
});
