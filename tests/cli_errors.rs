//! The `trustdd` program on bad input: nonsense arguments, impossible configurations and
//! malformed files. Every case must exit non-zero with exactly one line on stderr, in the form
//! `trustdd: error: ...`, naming what was wrong; none may panic or write an output.

use anyhow::{Context, Result};
use candle_core::Device;
use std::path::Path;
use std::process::Command;
use trustdd::core::{ImageShape, Normalization, Preprocess, SyntheticSet, TrustRng};
use trustdd::distill::{save_set, SetMetadata};

/// One bad invocation: its arguments (`{dir}` is replaced by the case folder), the exit code it
/// must give, and a fragment its error line must contain.
struct Case {
    args: &'static str,
    code: i32,
    says: &'static str,
}

const fn case(args: &'static str, code: i32, says: &'static str) -> Case {
    Case { args, code, says }
}

/// Exit code 2: clap rejected the arguments; 1: the program rejected the values or the files.
const CASES: &[Case] = &[
    // Arguments.
    case("", 2, "requires a subcommand"),
    case("frobnicate", 2, "frobnicate"),
    case("distill --ipcs 3", 2, "'--ipc'"),
    case("distill --ipc three", 2, "three"),
    case("distill --ipc -1", 2, "-1"),
    case("distill --lr-img fast", 2, "fast"),
    case("eval", 2, "<SET>"),
    case("train --epochs", 2, "--epochs"),
    // Configurations.
    case("distill --noise sym:1.5", 1, "[0, 1)"),
    case("distill --noise asym:-0.1", 1, "[0, 1)"),
    case("distill --noise sym:NaN", 1, "sym"),
    case("distill --noise gauss:0.3", 1, "gauss"),
    case("distill --ipc 0", 1, "ipc"),
    case("distill --ipc 100000", 1, "100000"),
    case("distill --objective foo", 1, "foo"),
    case("distill --trust frob", 1, "frob"),
    case("distill --outliers frob", 1, "frob"),
    case("distill --dataset nope", 1, "nope"),
    case("distill --device tpu", 1, "tpu"),
    case("distill --width 0", 1, "width"),
    case(
        "distill --dataset mnist --data-dir {dir}/absent",
        1,
        "absent",
    ),
    case("train --dataset folder:{dir}/absent", 1, "absent"),
    case("noise --model sym:2", 1, "[0, 1)"),
    case("noise --model file:{dir}/absent.txt", 1, "absent.txt"),
    case("noise --model file:{dir}/short.txt", 1, "short.txt"),
    case("noise --model file:{dir}/words.txt", 1, "words.txt"),
    case(
        "partition --noise map:0.3:@{dir}/absent.json",
        1,
        "absent.json",
    ),
    case("partition --noise map:0.3:0:11", 1, "11"),
    case("partition --trust frob", 1, "frob"),
    case(
        "distill --trust cross_fit --set partitioner.cut=2",
        1,
        "cut",
    ),
    case(
        "partition --trust cross_fit --val-split 1.5",
        1,
        "val_split",
    ),
    // Configuration files.
    case("distill --config {dir}/absent.toml", 1, "absent.toml"),
    case("distill --config {dir}/typo.toml", 1, "objektive"),
    case("distill --config {dir}/syntax.toml", 1, "syntax.toml"),
    case("distill --config {dir}/wrong_type.toml", 1, "ipc"),
    // Synthetic-set files.
    case("eval {dir}/absent.safetensors", 1, "absent.safetensors"),
    case("eval {dir}/empty.safetensors", 1, "empty.safetensors"),
    case("eval {dir}/garbage.safetensors", 1, "garbage.safetensors"),
    case(
        "eval {dir}/truncated.safetensors",
        1,
        "truncated.safetensors",
    ),
    case(
        "eval {dir}/other_shape.safetensors",
        1,
        "other_shape.safetensors",
    ),
    case(
        "eval {dir}/set.safetensors --archs resnet999",
        1,
        "resnet999",
    ),
    case("eval {dir}/set.safetensors --runs 0", 1, "runs"),
    case("eval {dir}/set.safetensors --device cuda:7", 1, "cuda"),
    case(
        "ood {dir}/set.safetensors --ood-sets nonsense",
        1,
        "nonsense",
    ),
    case(
        "ood {dir}/set.safetensors --outliers {dir}/garbage.safetensors",
        1,
        "garbage",
    ),
];

/// A valid set shaped like the embedded digits (10 classes of 28×28 grey), with `shape` images.
fn write_set(path: &Path, shape: ImageShape) -> Result<()> {
    let set = SyntheticSet::from_noise(shape, 10, 1, &Device::Cpu, &mut TrustRng::new(0))?;
    let meta = SetMetadata {
        objective: "dm".into(),
        dataset: "embedded".into(),
        class_names: (0..10).map(|c| c.to_string()).collect(),
        shape,
        preprocess: Preprocess::Normalize(Normalization {
            mean: vec![0.13],
            std: vec![0.31],
        }),
        seed: 0,
        eval_lr: None,
    };
    Ok(save_set(path, &set, &meta)?)
}

fn write_inputs(dir: &Path) -> Result<()> {
    write_set(&dir.join("set.safetensors"), ImageShape::new(1, 28, 28))?;
    write_set(
        &dir.join("other_shape.safetensors"),
        ImageShape::new(3, 8, 8),
    )?;
    let good = std::fs::read(dir.join("set.safetensors"))?;
    std::fs::write(dir.join("truncated.safetensors"), &good[..good.len() / 2])?;
    std::fs::write(dir.join("empty.safetensors"), b"")?;
    std::fs::write(
        dir.join("garbage.safetensors"),
        b"\xff\xff\xff\xff not a header",
    )?;
    std::fs::write(dir.join("short.txt"), "1\n2\n3\n")?;
    std::fs::write(dir.join("words.txt"), "cat\ndog\n".repeat(5000))?;
    std::fs::write(dir.join("typo.toml"), "objektive = \"dm\"\n")?;
    std::fs::write(dir.join("syntax.toml"), "ipc = = 3\n")?;
    std::fs::write(dir.join("wrong_type.toml"), "ipc = \"ten\"\n")?;
    Ok(())
}

#[test]
fn every_bad_invocation_fails_with_one_clear_line() -> Result<()> {
    let dir = tempfile::tempdir()?;
    write_inputs(dir.path())?;
    let dir_str = dir
        .path()
        .to_str()
        .context("temporary folder path is not UTF-8")?;
    let mut failures = Vec::new();
    for c in CASES {
        let args: Vec<String> = c
            .args
            .split_whitespace()
            .map(|a| a.replace("{dir}", dir_str))
            .collect();
        let run = Command::new(env!("CARGO_BIN_EXE_trustdd"))
            .args(&args)
            .arg("--quiet")
            .current_dir(dir.path())
            .output()?;
        let stderr = String::from_utf8_lossy(&run.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let ok = run.status.code() == Some(c.code)
            && lines.len() == 1
            && lines[0].starts_with("trustdd: error: ")
            && lines[0].contains(c.says)
            && !stderr.contains("panicked");
        if !ok {
            failures.push(format!(
                "`trustdd {}`: exit {:?} (want {}), stderr {:?} (want one line containing {:?})",
                c.args,
                run.status.code(),
                c.code,
                stderr,
                c.says
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    // No case may have produced output: errors come before any work is written.
    assert!(!dir.path().join("runs").exists());
    Ok(())
}
