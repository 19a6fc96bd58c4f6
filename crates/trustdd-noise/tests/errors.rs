//! Every bad input gives a typed error naming the parameter or file.

use crate::common;

use common::{balanced_labels, write_u8_safetensors};
use trustdd_core::{Error, NoiseContext, NoiseModel};
use trustdd_noise::{
    read_labels, AsymMap, Asymmetric, ClassMap, FileLabels, InstanceDependent, KnownMap,
    NoiseConfig, Symmetric,
};

fn ctx(labels: &[u32], classes: usize) -> NoiseContext<'_> {
    NoiseContext {
        labels,
        num_classes: classes,
        dataset: None,
        seed: 0,
    }
}

#[test]
fn rates_outside_zero_one_are_rejected_by_name() {
    for spec in [
        "sym:1",
        "sym:-0.1",
        "asym:1.5",
        "pair:NaN",
        "idn:2",
        "map:1:0:1",
        "sym:abc",
    ] {
        let err = NoiseConfig::parse(spec).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { ref name, .. } if name.ends_with("noise rate")),
            "{spec}: {err}"
        );
    }
    assert!(Symmetric::new(1.0).is_err());
    assert!(InstanceDependent::new(-0.5).is_err());
    assert!(Asymmetric::pair_flip(1.0).is_err());
    // A configuration built from JSON is validated by build().
    let json = r#"{"model": "symmetric", "rate": 1.2}"#;
    let config: NoiseConfig = serde_json::from_str(json).unwrap();
    assert!(config
        .build()
        .err()
        .unwrap()
        .to_string()
        .contains("sym noise rate"));
}

#[test]
fn unknown_models_and_label_sets_are_rejected() {
    for spec in [
        "gauss:0.2",
        "",
        "none:1",
        "cifar10n:best",
        "cifar100n:worse",
        "file:",
        "map:0.4",
    ] {
        let err = NoiseConfig::parse(spec).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { .. }),
            "{spec}: {err}"
        );
    }
    let err = NoiseConfig::parse("cifar10n:best").unwrap_err().to_string();
    assert!(
        err.contains("aggre, random1, random2, random3, worse"),
        "{err}"
    );
    let json = r#"{"model": "symmetric", "rate": 0.2, "extra": 1}"#;
    assert!(serde_json::from_str::<NoiseConfig>(json).is_err());
}

#[test]
fn maps_naming_a_missing_class_or_malformed_are_rejected() {
    let model = Asymmetric::new(0.4, AsymMap::Pairs(ClassMap::parse("0:6,6:12").unwrap())).unwrap();
    let labels = balanced_labels(100, 10);
    match model.corrupt(&ctx(&labels, 10)).unwrap_err() {
        Error::LabelOutOfRange {
            context,
            label,
            num_classes,
        } => {
            assert!(context.contains("6:12"), "{context}");
            assert_eq!((label, num_classes), (12, 10));
        }
        e => panic!("{e}"),
    }
    for bad in ["0-6", "0:x", "a:b,1:2", ",", "1:2,1:3"] {
        assert!(
            matches!(ClassMap::parse(bad), Err(Error::InvalidParameter { .. })),
            "{bad}"
        );
    }
    // A dataset map used with the wrong class count.
    let cifar = Asymmetric::new(0.4, AsymMap::Known(KnownMap::Cifar100)).unwrap();
    let err = cifar.corrupt(&ctx(&labels, 10)).unwrap_err().to_string();
    assert!(err.contains("asym map cifar100"), "{err}");
    // A map file that is missing, then malformed.
    let dir = tempfile::tempdir().unwrap();
    let missing =
        NoiseConfig::parse(&format!("map:0.4:@{}/none.txt", dir.path().display())).unwrap();
    assert!(matches!(missing.build(), Err(Error::Io { .. })));
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "0:6\n6:zero\n").unwrap();
    let config = NoiseConfig::parse(&format!("map:0.4:@{}", bad.display())).unwrap();
    assert!(matches!(config.build(), Err(Error::Format { ref path, .. }) if *path == bad));
}

#[test]
fn label_files_of_wrong_length_dtype_or_range_are_rejected_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("labels.safetensors");
    write_u8_safetensors(&st, &[("noisy", vec![0, 1, 2, 9]), ("other", vec![0; 4])]);
    let labels = balanced_labels(4, 10);
    // Right: four labels < 10.
    let model = FileLabels::load(&st, Some("noisy")).unwrap();
    assert_eq!(model.corrupt(&ctx(&labels, 10)).unwrap(), vec![0, 1, 2, 9]);
    // Wrong length.
    let five = balanced_labels(5, 10);
    let err = model.corrupt(&ctx(&five, 10)).unwrap_err();
    assert!(
        matches!(err, Error::ShapeMismatch { ref what, .. } if what.contains("labels.safetensors")),
        "{err}"
    );
    // Out of range for 5 classes.
    let err = model.corrupt(&ctx(&labels, 5)).unwrap_err();
    assert!(
        matches!(err, Error::LabelOutOfRange { ref context, label: 9, .. } if context.contains("labels.safetensors")),
        "{err}"
    );
    // Missing tensor; ambiguous file without a tensor name.
    assert!(matches!(
        read_labels(&st, Some("clean")),
        Err(Error::Format { .. })
    ));
    assert!(matches!(read_labels(&st, None), Err(Error::Format { .. })));
    // Wrong dtype: an F32 tensor.
    let float = dir.path().join("float.safetensors");
    let bytes: Vec<u8> = [0f32, 1.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2], &bytes).unwrap();
    safetensors::serialize_to_file([("y", view)], None, &float).unwrap();
    let err = read_labels(&float, None).unwrap_err().to_string();
    assert!(
        err.contains("float.safetensors") && err.contains("integer dtype"),
        "{err}"
    );
    // Negative values in a signed tensor.
    let signed = dir.path().join("signed.safetensors");
    let bytes: Vec<u8> = [3i64, -1].iter().flat_map(|v| v.to_le_bytes()).collect();
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::I64, vec![2], &bytes).unwrap();
    safetensors::serialize_to_file([("y", view)], None, &signed).unwrap();
    let err = read_labels(&signed, None).unwrap_err().to_string();
    assert!(err.contains("entry 1 = -1"), "{err}");
    // Text: a bad line is reported with its number; a missing file as I/O.
    let txt = dir.path().join("labels.txt");
    std::fs::write(&txt, "1\n2\n\nthree\n").unwrap();
    let err = read_labels(&txt, None).unwrap_err().to_string();
    assert!(
        err.contains("labels.txt") && err.contains("line 4"),
        "{err}"
    );
    assert!(matches!(
        read_labels(&dir.path().join("no.txt"), None),
        Err(Error::Io { .. })
    ));
}

#[test]
fn models_that_need_more_than_the_context_gives_say_so() {
    let labels = balanced_labels(10, 2);
    let err = InstanceDependent::new(0.2)
        .unwrap()
        .corrupt(&ctx(&labels, 2))
        .unwrap_err();
    assert!(err.to_string().contains("idn noise: dataset"), "{err}");
    // Clean labels that do not fit the class count.
    let err = Symmetric::new(0.2)
        .unwrap()
        .corrupt(&ctx(&[0, 5], 3))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::LabelOutOfRange {
                label: 5,
                num_classes: 3,
                ..
            }
        ),
        "{err}"
    );
    let one_class = vec![0u32; 4];
    assert!(Symmetric::new(0.2)
        .unwrap()
        .corrupt(&ctx(&one_class, 1))
        .is_err());
    // A CIFAR-N model pointed at an empty folder fails naming the file it wanted.
    let dir = tempfile::tempdir().unwrap();
    let config = NoiseConfig::parse("cifar10n:worse")
        .unwrap()
        .with_data_dir(dir.path());
    let err = config.build().err().unwrap();
    assert!(
        matches!(err, Error::Io { ref path, .. } if path.ends_with("cifar-n/cifar10n_labels.safetensors")),
        "{err}"
    );
}
