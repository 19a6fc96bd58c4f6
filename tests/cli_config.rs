//! `trustdd distill --print-config` writes a configuration that `--config` reads back to the same
//! effective configuration, with flags and `--set` applied; nothing runs.

use std::process::Command;

fn print_config(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trustdd"))
        .args(["distill", "--print-config"])
        .args(args)
        .output()
        .expect("the program runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 TOML")
}

#[test]
fn the_printed_config_reads_back_to_itself() {
    let dir = tempfile::tempdir().unwrap();
    let first = print_config(&[
        "--objective",
        "dsa",
        "--ipc",
        "1",
        "--set",
        "partitioner.split.tau=0.6",
        "--set",
        "streams.experts=11",
    ]);
    for line in [
        "ipc = 1",
        "kind = \"dsa\"",
        "tau = 0.6",
        "experts = 11",
        "augmentation = \"as_configured\"",
    ] {
        assert!(first.contains(line), "{line} missing from\n{first}");
    }
    let file = dir.path().join("run.toml");
    std::fs::write(&file, &first).unwrap();
    let again = print_config(&["--config", file.to_str().unwrap()]);
    assert_eq!(again, first);
    // A flag still overrides the file.
    let changed = print_config(&["--config", file.to_str().unwrap(), "--ipc", "2"]);
    assert!(changed.contains("ipc = 2") && !changed.contains("ipc = 1"));
}
