//! Malformed noise-label files and nonsense configurations (noise specs, TAD, GMM, DM, IPC):
//! each must give a typed error whose message names the file or parameter at fault, and none
//! may panic. (The data formats' corpus is `crates/trustdd-data/tests/corpus.rs`; these cases
//! live here because this crate sees the noise, distillation and TAD crates.)

use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::Path;
use trustdd_core::{Error, ImageShape, NoiseContext, NoiseModel, SyntheticSet, TrustRng};
use trustdd_distill::{Dm, DmConfig, DriverConfig};
use trustdd_noise::{read_labels, FileLabels, NoiseConfig};
use trustdd_trust::{Gmm2, GmmConfig, TadConfig};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Io,
    Format,
    Shape,
    Label,
    Invalid,
    /// A serde error from a configuration file.
    Serde,
}

/// An error reduced to its kind and message.
#[derive(Debug)]
struct Failure {
    kind: Option<Kind>,
    message: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::Io { .. } => Some(Kind::Io),
            Error::Format { .. } => Some(Kind::Format),
            Error::ShapeMismatch { .. } => Some(Kind::Shape),
            Error::LabelOutOfRange { .. } => Some(Kind::Label),
            Error::InvalidParameter { .. } => Some(Kind::Invalid),
            _ => None,
        };
        Failure {
            kind,
            message: e.to_string(),
        }
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure {
            kind: Some(Kind::Serde),
            message: e.to_string(),
        }
    }
}

type Outcome = Result<(), Failure>;

struct Case {
    name: &'static str,
    run: fn(&Path) -> Outcome,
    expect: Kind,
    /// A piece of the message naming the file or parameter at fault.
    names: &'static str,
}

fn write(path: &Path, bytes: &[u8]) -> std::path::PathBuf {
    std::fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

fn labels_from(path: &Path, tensor: Option<&str>) -> Outcome {
    read_labels(path, tensor)?;
    Ok(())
}

fn save_tensors(path: &Path, tensors: Vec<(&str, Tensor)>) -> std::path::PathBuf {
    let map: HashMap<String, Tensor> = tensors
        .into_iter()
        .map(|(n, t)| (n.to_string(), t))
        .collect();
    candle_core::safetensors::save(&map, path).unwrap();
    path.to_path_buf()
}

/// Applies the model of `spec` (built, so files are read) to 4 labels of 10 classes.
fn apply_spec(spec: &str) -> Outcome {
    let model = NoiseConfig::parse(spec)?.build()?;
    corrupt(model.as_ref(), 4)
}

fn corrupt(model: &dyn NoiseModel, n: usize) -> Outcome {
    let labels: Vec<u32> = (0..n as u32).collect();
    model.corrupt(&NoiseContext {
        labels: &labels,
        num_classes: 10,
        dataset: None,
        seed: 1,
    })?;
    Ok(())
}

fn file_labels(path: &Path, n: usize) -> Outcome {
    corrupt(&FileLabels::load(path, None)?, n)
}

fn tad(json: &str) -> Outcome {
    serde_json::from_str::<TadConfig>(json)?.validate()?;
    Ok(())
}

fn dm(json: &str) -> Outcome {
    Dm::new(serde_json::from_str::<DmConfig>(json)?)?;
    Ok(())
}

/// The first bytes of a real `.npy` file of u8 labels (`np.save`): NumPy files are not a
/// supported label format, so they must be refused, not misread.
const NPY: &[u8] =
    b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\n\x01\x00\x02";

const CASES: &[Case] = &[
    // ---- noise label files ----
    Case {
        name: "text labels with a negative number",
        run: |d| labels_from(&write(&d.join("neg.txt"), b"1\n-1\n"), None),
        expect: Kind::Format,
        names: "neg.txt",
    },
    Case {
        name: "text labels not UTF-8",
        run: |d| labels_from(&write(&d.join("bin.txt"), b"1\n\xff\xfe\n"), None),
        expect: Kind::Format,
        names: "bin.txt",
    },
    Case {
        name: "text labels with a fraction",
        run: |d| labels_from(&write(&d.join("frac.txt"), b"0\n1.5\n"), None),
        expect: Kind::Format,
        names: "line 2",
    },
    Case {
        name: "text labels beyond u32",
        run: |d| labels_from(&write(&d.join("big.txt"), b"4294967296\n"), None),
        expect: Kind::Format,
        names: "big.txt",
    },
    Case {
        name: "NumPy .npy label file",
        run: |d| labels_from(&write(&d.join("labels.npy"), NPY), None),
        expect: Kind::Format,
        names: "labels.npy",
    },
    Case {
        name: "label file missing",
        run: |d| labels_from(&d.join("absent.txt"), None),
        expect: Kind::Io,
        names: "absent.txt",
    },
    Case {
        name: "text label file shorter than the dataset",
        run: |d| file_labels(&write(&d.join("short.txt"), b"0\n1\n2\n"), 4),
        expect: Kind::Shape,
        names: "short.txt",
    },
    Case {
        name: "text label file with a label >= classes",
        run: |d| file_labels(&write(&d.join("ten.txt"), b"0\n1\n10\n3\n"), 4),
        expect: Kind::Label,
        names: "ten.txt",
    },
    Case {
        name: "safetensors label file longer than the dataset",
        run: |d| {
            let t = Tensor::new(&[0u32, 1, 2, 3, 4], &Device::Cpu).unwrap();
            file_labels(
                &save_tensors(&d.join("long.safetensors"), vec![("y", t)]),
                4,
            )
        },
        expect: Kind::Shape,
        names: "long.safetensors",
    },
    Case {
        name: "safetensors labels truncated",
        run: |d| {
            let t = Tensor::new(&[0u32, 1, 2, 3], &Device::Cpu).unwrap();
            let p = save_tensors(&d.join("cut.safetensors"), vec![("y", t)]);
            let b = std::fs::read(&p).unwrap();
            labels_from(&write(&p, &b[..b.len() - 3]), None)
        },
        expect: Kind::Format,
        names: "cut.safetensors",
    },
    Case {
        name: "safetensors labels of dtype f32",
        run: |d| {
            let t = Tensor::new(&[0f32, 1.], &Device::Cpu).unwrap();
            labels_from(
                &save_tensors(&d.join("f.safetensors"), vec![("y", t)]),
                None,
            )
        },
        expect: Kind::Format,
        names: "dtype",
    },
    Case {
        name: "safetensors labels of rank 2",
        run: |d| {
            let t = Tensor::new(&[[0u32, 1], [1, 0]], &Device::Cpu).unwrap();
            labels_from(
                &save_tensors(&d.join("r2.safetensors"), vec![("y", t)]),
                None,
            )
        },
        expect: Kind::Format,
        names: "one dimension",
    },
    Case {
        name: "safetensors with two tensors and none named",
        run: |d| {
            let t = Tensor::new(&[0u32], &Device::Cpu).unwrap();
            let p = save_tensors(&d.join("two.safetensors"), vec![("a", t.clone()), ("b", t)]);
            labels_from(&p, None)
        },
        expect: Kind::Format,
        names: "two.safetensors",
    },
    Case {
        name: "safetensors without the named tensor",
        run: |d| {
            let t = Tensor::new(&[0u32], &Device::Cpu).unwrap();
            labels_from(
                &save_tensors(&d.join("named.safetensors"), vec![("a", t)]),
                Some("noisy"),
            )
        },
        expect: Kind::Format,
        names: "noisy",
    },
    Case {
        name: "safetensors i64 labels with a negative entry",
        run: |d| {
            let t = Tensor::new(&[3i64, -2], &Device::Cpu).unwrap();
            labels_from(
                &save_tensors(&d.join("i64.safetensors"), vec![("y", t)]),
                None,
            )
        },
        expect: Kind::Format,
        names: "entry 1",
    },
    // ---- noise specs ----
    Case {
        name: "spec sym:1.5",
        run: |_| apply_spec("sym:1.5"),
        expect: Kind::Invalid,
        names: "sym noise rate",
    },
    Case {
        name: "spec asym:-0.1",
        run: |_| apply_spec("asym:-0.1"),
        expect: Kind::Invalid,
        names: "asym noise rate",
    },
    Case {
        name: "spec idn:nan",
        run: |_| apply_spec("idn:nan"),
        expect: Kind::Invalid,
        names: "idn noise rate",
    },
    Case {
        name: "spec map:0.4:0:99 on 10 classes",
        run: |_| apply_spec("map:0.4:0:99"),
        expect: Kind::Label,
        names: "pair 0:99",
    },
    Case {
        name: "spec mapping a class twice",
        run: |_| apply_spec("map:0.4:0:1,0:2"),
        expect: Kind::Invalid,
        names: "noise class map",
    },
    Case {
        name: "spec map without pairs",
        run: |_| apply_spec("map:0.4"),
        expect: Kind::Invalid,
        names: "noise model map",
    },
    Case {
        name: "spec map file missing",
        run: |d| apply_spec(&format!("map:0.3:@{}", d.join("pairs.txt").display())),
        expect: Kind::Io,
        names: "pairs.txt",
    },
    Case {
        name: "spec map file with a malformed pair",
        run: |d| {
            let p = write(&d.join("pairs.txt"), b"0:6\n6-0\n");
            apply_spec(&format!("map:0.3:@{}", p.display()))
        },
        expect: Kind::Format,
        names: "pairs.txt",
    },
    Case {
        name: "spec CIFAR-100 map on 10 classes",
        run: |_| apply_spec("asym:0.4:cifar100"),
        expect: Kind::Invalid,
        names: "asym map cifar100",
    },
    Case {
        name: "spec unknown CIFAR-10N label set",
        run: |_| apply_spec("cifar10n:best"),
        expect: Kind::Invalid,
        names: "cifar10n label set",
    },
    Case {
        name: "spec unknown model",
        run: |_| apply_spec("gaussian:0.1"),
        expect: Kind::Invalid,
        names: "noise model",
    },
    Case {
        name: "spec file without a path",
        run: |_| apply_spec("file:"),
        expect: Kind::Invalid,
        names: "noise model",
    },
    // ---- configurations ----
    Case {
        name: "TAD tau 1.5",
        run: |_| tad(r#"{"split": {"tau": 1.5}}"#),
        expect: Kind::Invalid,
        names: "tau",
    },
    Case {
        name: "TAD delta -1",
        run: |_| tad(r#"{"recall": {"delta": -1}}"#),
        expect: Kind::Invalid,
        names: "delta",
    },
    Case {
        name: "TAD loss window 0",
        run: |_| tad(r#"{"loss_window": 0}"#),
        expect: Kind::Invalid,
        names: "loss_window",
    },
    Case {
        name: "TAD unknown field",
        run: |_| tad(r#"{"taus": 0.5}"#),
        expect: Kind::Serde,
        names: "taus",
    },
    Case {
        name: "GMM reg_covar 0",
        run: |_| {
            let c = GmmConfig {
                reg_covar: 0.0,
                ..GmmConfig::default()
            };
            Gmm2::fit(&[0.1, 0.2, 0.3], &c)?;
            Ok(())
        },
        expect: Kind::Invalid,
        names: "gmm_reg_covar",
    },
    Case {
        name: "DM negative image learning rate",
        run: |_| dm(r#"{"lr_img": -1.0}"#),
        expect: Kind::Invalid,
        names: "dm lr_img",
    },
    Case {
        name: "DM real batch 0",
        run: |_| dm(r#"{"real_batch": 0}"#),
        expect: Kind::Invalid,
        names: "dm real_batch",
    },
    Case {
        name: "DM momentum 1",
        run: |_| dm(r#"{"momentum": 1.0}"#),
        expect: Kind::Invalid,
        names: "dm momentum",
    },
    Case {
        name: "DM lr given as text",
        run: |_| dm(r#"{"lr_img": "fast"}"#),
        expect: Kind::Serde,
        names: "fast",
    },
    Case {
        name: "driver iterations 0",
        run: |_| {
            serde_json::from_str::<DriverConfig>(r#"{"iterations": 0}"#)?
                .validate()
                .map_err(Failure::from)
        },
        expect: Kind::Invalid,
        names: "iterations",
    },
    Case {
        name: "synthetic set with ipc 0",
        run: |_| {
            let shape = ImageShape::new(1, 2, 2);
            SyntheticSet::from_noise(shape, 2, 0, &Device::Cpu, &mut TrustRng::new(0))?;
            Ok(())
        },
        expect: Kind::Invalid,
        names: "ipc",
    },
];

#[test]
fn malformed_label_files_and_nonsense_configs_give_typed_errors() {
    let mut failures = Vec::new();
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let outcome = std::panic::catch_unwind(|| (case.run)(dir.path()));
        match outcome {
            Err(_) => failures.push(format!("{}: panicked", case.name)),
            Ok(Ok(())) => failures.push(format!("{}: accepted", case.name)),
            Ok(Err(f)) => {
                if f.kind != Some(case.expect) {
                    failures.push(format!(
                        "{}: expected {:?}, got {f:?}",
                        case.name, case.expect
                    ));
                } else if !f.message.contains(case.names) {
                    failures.push(format!(
                        "{}: message does not name {}: {}",
                        case.name, case.names, f.message
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
