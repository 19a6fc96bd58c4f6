//! Prints one line saying which data tests ran or were skipped, so that `cargo test --workspace`
//! without `TRUSTDD_DATA` says visibly that the tests on the shared data folder did not run
//! (each of them passes silently then: its own "skipped" line is captured by the test harness).
//!
//! A `harness = false` target (see Cargo.toml): cargo does not capture its stdout.

use std::path::Path;

/// Every test that needs `TRUSTDD_DATA`: (file relative to the workspace root, test function).
const DATA_TESTS: &[(&str, &str)] = &[
    (
        "crates/trustdd-data/tests/shared_data.rs",
        "fashion_mnist_has_the_official_sizes_and_balance",
    ),
    (
        "crates/trustdd-data/tests/shared_data.rs",
        "cifar100_fine_to_coarse_map_agrees_with_cifar100n_clean_labels",
    ),
    (
        "crates/trustdd-noise/tests/cifar_n.rs",
        "cifar_n_label_sets_have_the_published_noise_rates",
    ),
];

fn main() {
    // Keeps the list honest where the sources are at hand (a checkout, not a packaged crate):
    // every listed test still exists, and every test file reading TRUSTDD_DATA is listed.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (file, test) in DATA_TESTS {
        if let Ok(text) = std::fs::read_to_string(root.join(file)) {
            assert!(
                text.contains(&format!("fn {test}(")),
                "data_notice: {file} no longer has the data test {test}; update DATA_TESTS"
            );
        }
    }
    if let Ok(crates) = std::fs::read_dir(root.join("crates")) {
        for tests in crates.flatten().map(|c| c.path().join("tests")) {
            for file in std::fs::read_dir(&tests).into_iter().flatten().flatten() {
                let path = file.path();
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let listed = DATA_TESTS.iter().any(|(f, _)| root.join(f) == path);
                assert!(
                    listed || !text.contains("data_dir_from_env()") || path.ends_with(file!()),
                    "data_notice: {} reads TRUSTDD_DATA but is not in DATA_TESTS",
                    path.display()
                );
            }
        }
    }
    let names: Vec<&str> = DATA_TESTS.iter().map(|(_, t)| *t).collect();
    match trustdd_data::data_dir_from_env() {
        None => println!(
            "data tests: skipped {} ({}) because TRUSTDD_DATA is unset; set it to the shared data \
             folder (../shared/data) to run them",
            names.len(),
            names.join(", ")
        ),
        Some(dir) => println!(
            "data tests: TRUSTDD_DATA={} (all {} run)",
            dir.display(),
            names.len()
        ),
    }
}
