//! `trustdd_noise::ClassMap::parse` (the text of `map:<rate>:<pairs>` and of `@<file>` maps) on
//! any UTF-8 string, then `lookup` of what it accepts: Ok or Err, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustdd_noise::ClassMap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(map) = ClassMap::parse(text) {
        let _ = map.lookup(10, "fuzz");
    }
});
