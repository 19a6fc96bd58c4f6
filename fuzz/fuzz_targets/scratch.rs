//! A per-process scratch folder for targets whose parser only takes a path.

use std::path::PathBuf;
use std::sync::OnceLock;

/// Writes `bytes` to `name` inside this process's scratch folder (created once, under the
/// system temporary folder) and returns the path. libFuzzer runs one input at a time per
/// process, so overwriting a fixed name is safe.
pub fn write(name: &str, bytes: &[u8]) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("trustdd-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch folder");
        d
    });
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("scratch subfolder");
    }
    std::fs::write(&path, bytes).expect("scratch file");
    path
}
