//! Nonsense OOD configurations, generator specs and score sets: each must give a typed error
//! whose message names the parameter or item at fault, and none may panic.

use trustdd_ood::{ood_metrics, GeneratorList, OodError, OodEvalConfig};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Invalid,
    Spec,
    Empty,
    Serde,
}

/// An error reduced to its kind (`None`: an unexpected kind) and message.
type Failure = (Option<Kind>, String);

fn ood(e: trustdd_core::Error) -> Failure {
    let kind = match &e {
        trustdd_core::Error::InvalidParameter { .. } => Some(Kind::Invalid),
        trustdd_core::Error::Empty { .. } => Some(Kind::Empty),
        // The crate's own error keeps its type inside the core one.
        e if matches!(e.downcast_ref::<OodError>(), Some(OodError::Spec { .. })) => {
            Some(Kind::Spec)
        }
        _ => None,
    };
    (kind, e.to_string())
}

fn eval_config(json: &str) -> Result<(), Failure> {
    let c: OodEvalConfig =
        serde_json::from_str(json).map_err(|e| (Some(Kind::Serde), e.to_string()))?;
    c.validate().map_err(ood)
}

fn generators(spec: &str) -> Result<(), Failure> {
    GeneratorList::parse(spec).map(|_| ()).map_err(ood)
}

fn metrics(id: &[f64], out: &[f64]) -> Result<(), Failure> {
    ood_metrics(id, out).map(|_| ()).map_err(ood)
}

struct Case {
    name: &'static str,
    run: fn() -> Result<(), Failure>,
    expect: Kind,
    /// A piece of the message naming the parameter or item at fault.
    names: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "OE lambda -1",
        run: || eval_config(r#"{"lambda": -1.0}"#),
        expect: Kind::Invalid,
        names: "lambda",
    },
    Case {
        name: "energy temperature 0",
        run: || eval_config(r#"{"temperature": 0.0}"#),
        expect: Kind::Invalid,
        names: "temperature",
    },
    Case {
        name: "no score kinds",
        run: || eval_config(r#"{"scores": []}"#),
        expect: Kind::Invalid,
        names: "scores",
    },
    Case {
        name: "unknown score kind",
        run: || eval_config(r#"{"scores": ["odin"]}"#),
        expect: Kind::Serde,
        names: "odin",
    },
    Case {
        name: "misspelt field",
        run: || eval_config(r#"{"lamda": 0.5}"#),
        expect: Kind::Serde,
        names: "lamda",
    },
    Case {
        name: "jigsaw grid 0",
        run: || generators("jigsaw:0"),
        expect: Kind::Spec,
        names: "jigsaw:0",
    },
    Case {
        name: "jigsaw grid not a number",
        run: || generators("invert,jigsaw-random:x"),
        expect: Kind::Spec,
        names: "jigsaw-random:x",
    },
    Case {
        name: "pixelate factor 0",
        run: || generators("pixelate:0"),
        expect: Kind::Spec,
        names: "pixelate:0",
    },
    Case {
        name: "speckle sigma infinite",
        run: || generators("speckle:inf"),
        expect: Kind::Spec,
        names: "speckle:inf",
    },
    Case {
        name: "mix alpha 2",
        run: || generators("mix:2"),
        expect: Kind::Spec,
        names: "mix:2",
    },
    Case {
        name: "invert with a parameter",
        run: || generators("invert:3"),
        expect: Kind::Spec,
        names: "invert:3",
    },
    Case {
        name: "unknown generator",
        run: || generators("jigsaw,blur"),
        expect: Kind::Spec,
        names: "blur",
    },
    Case {
        name: "empty generator spec",
        run: || generators(" , "),
        expect: Kind::Empty,
        names: "generator",
    },
    Case {
        name: "NaN OOD score",
        run: || metrics(&[0.5, 0.7], &[f64::NAN]),
        expect: Kind::Invalid,
        names: "OOD score",
    },
    Case {
        name: "no in-distribution scores",
        run: || metrics(&[], &[0.1]),
        expect: Kind::Empty,
        names: "scores",
    },
];

#[test]
fn nonsense_configs_and_scores_give_typed_errors() {
    let mut failures = Vec::new();
    for case in CASES {
        match std::panic::catch_unwind(case.run) {
            Err(_) => failures.push(format!("{}: panicked", case.name)),
            Ok(Ok(())) => failures.push(format!("{}: accepted", case.name)),
            Ok(Err((kind, msg))) => {
                if kind != Some(case.expect) {
                    failures.push(format!(
                        "{}: expected {:?}, got {msg}",
                        case.name, case.expect
                    ));
                } else if !msg.contains(case.names) {
                    failures.push(format!(
                        "{}: message does not name {}: {msg}",
                        case.name, case.names
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
