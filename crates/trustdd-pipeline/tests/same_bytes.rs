//! Two runs of one configuration write the same bytes in every file (synthetic sets, PNGs,
//! checkpoints, outliers, report.json), comparison runs and outlier set included; a different
//! seed writes a different set.

use crate::tiny;

use std::collections::BTreeMap;
use std::path::Path;
use tiny::tiny_run;
use trustdd_core::Silent;
use trustdd_pipeline::{OutlierSource, RunConfig};

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .display()
                    .to_string();
                out.insert(rel, std::fs::read(&path).expect("a readable file"));
            }
        }
    }
    out
}

fn run_into(config: &RunConfig, dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let config = RunConfig {
        out: Some(dir.to_path_buf()),
        ..config.clone()
    };
    config.build().unwrap().run(&Silent).unwrap();
    files(dir)
}

#[test]
fn the_same_seed_writes_the_same_bytes_in_every_file() {
    let mut config = tiny_run();
    config.checkpoint_every = 1;
    config.outliers.source = OutlierSource::Generators { spec: "poe".into() };
    config.outliers.ood_sets = vec!["gaussian".into()];
    // The same folder both times (it is part of the configuration, in report.json), emptied in
    // between so that the second run does not resume from the first one's checkpoint.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let first = run_into(&config, &dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let second = run_into(&config, &dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let names: Vec<&str> = first.keys().map(String::as_str).collect();
    for expected in [
        "synthetic.safetensors",
        "synthetic.png",
        "checkpoint.safetensors",
        "outliers.safetensors",
        "ood.png",
        "partition.png",
        "report.json",
        "clean-labels/synthetic.safetensors",
        "noisy-labels/checkpoint.safetensors",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(
            &second[name] == bytes,
            "{name} differs between two identical runs"
        );
    }
    let report = String::from_utf8(first["report.json"].clone()).unwrap();
    assert!(
        !report.contains("seconds"),
        "wall-clock figures in report.json"
    );
    // The seed matters: another one gives another set.
    let other = run_into(&RunConfig { seed: 1, ..config }, &dir);
    assert!(other["synthetic.safetensors"] != first["synthetic.safetensors"]);
}

#[test]
fn a_joint_run_resumed_from_its_checkpoint_writes_the_sets_of_an_uninterrupted_one() {
    let mut config = tiny_run();
    config.compare = false;
    config.checkpoint_every = 1;
    config.iterations = 3;
    config.outliers.source = OutlierSource::Generators { spec: "poe".into() };
    config.outliers.ood_sets = vec!["gaussian".into()];
    let root = tempfile::tempdir().unwrap();
    let whole = run_into(&config, &root.path().join("whole"));
    let parts = root.path().join("parts");
    run_into(
        &RunConfig {
            iterations: 2,
            ..config.clone()
        },
        &parts,
    );
    let resumed = run_into(&config, &parts);
    for file in ["synthetic.safetensors", "outliers.safetensors"] {
        assert!(
            whole[file] == resumed[file],
            "{file} differs after the resume"
        );
    }
}

#[test]
fn a_zca_run_whitens_with_the_reference_fit_and_records_it() {
    let mut config = tiny_run();
    config.compare = false;
    config.zca = true;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let files = run_into(&config, &dir);
    let (_, meta) = trustdd_distill::load_set(
        &dir.join("synthetic.safetensors"),
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let trustdd_core::Preprocess::Zca(norm, zca) = &meta.preprocess else {
        panic!("a whitened set: {:?}", meta.preprocess)
    };
    assert_eq!(norm, &trustdd_core::Normalization::identity(1));
    assert_eq!(zca.epsilon, 0.1);
    assert_eq!(zca.mean.len(), 28 * 28);
    assert!(files.contains_key("synthetic.png"));
}
