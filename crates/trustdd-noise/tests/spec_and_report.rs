//! The spec grammar, configuration serde, and the report's numbers and renderings.

use crate::common;

use common::write_u8_safetensors;
use std::path::PathBuf;
use trustdd_core::NoiseContext;
use trustdd_noise::{
    corrupt_with_report, CifarN, ClassMap, KnownMap, MapChoice, NoiseConfig, NoiseReport,
};

#[test]
fn specs_parse_to_configs_and_print_back() {
    let cases = [
        ("none", NoiseConfig::None),
        ("sym:0.4", NoiseConfig::Symmetric { rate: 0.4 }),
        (
            "asym:0.4",
            NoiseConfig::Asymmetric {
                rate: 0.4,
                map: MapChoice::Auto,
            },
        ),
        (
            "asym:0.2:cifar100",
            NoiseConfig::Asymmetric {
                rate: 0.2,
                map: MapChoice::Known(KnownMap::Cifar100),
            },
        ),
        (
            "map:0.4:0:6,6:0,2:4",
            NoiseConfig::Asymmetric {
                rate: 0.4,
                map: MapChoice::Pairs(ClassMap::new(vec![(0, 6), (6, 0), (2, 4)]).unwrap()),
            },
        ),
        (
            "map:0.4:@pairs.txt",
            NoiseConfig::Asymmetric {
                rate: 0.4,
                map: MapChoice::File("pairs.txt".into()),
            },
        ),
        ("pair:0.2", NoiseConfig::PairFlip { rate: 0.2 }),
        ("idn:0.4", NoiseConfig::InstanceDependent { rate: 0.4 }),
        (
            "cifar10n:worse",
            NoiseConfig::CifarN {
                labels: CifarN::Worse,
                dir: None,
            },
        ),
        (
            "cifar100n:noisy",
            NoiseConfig::CifarN {
                labels: CifarN::Noisy,
                dir: None,
            },
        ),
        (
            "file:/d/y.txt",
            NoiseConfig::File {
                path: "/d/y.txt".into(),
                tensor: None,
            },
        ),
        (
            "file:/d/a:b.safetensors:noisy",
            NoiseConfig::File {
                path: "/d/a:b.safetensors".into(),
                tensor: Some("noisy".into()),
            },
        ),
    ];
    for (spec, config) in cases {
        assert_eq!(NoiseConfig::parse(spec).unwrap(), config, "{spec}");
        assert_eq!(config.to_string(), spec);
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(
            serde_json::from_str::<NoiseConfig>(&json).unwrap(),
            config,
            "{json}"
        );
    }
    // `asym:<rate>:<pairs>` is the user map too.
    assert_eq!(
        NoiseConfig::parse("asym:0.4:0:6,6:0").unwrap().to_string(),
        "map:0.4:0:6,6:0"
    );
    // The automatic map, resolved from a dataset name.
    let resolved = NoiseConfig::parse("asym:0.4")
        .unwrap()
        .with_dataset_name("cifar10");
    assert_eq!(resolved.to_string(), "asym:0.4:cifar10");
    let other = NoiseConfig::parse("asym:0.4")
        .unwrap()
        .with_dataset_name("folder:/x");
    assert_eq!(other.to_string(), "asym:0.4:next");
    let json = serde_json::to_string(&NoiseConfig::parse("map:0.1:1:2").unwrap()).unwrap();
    assert_eq!(
        json,
        r#"{"model":"asymmetric","rate":0.1,"map":{"pairs":"1:2"}}"#
    );
}

#[test]
fn file_specs_build_models_reading_the_named_tensor_or_text() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("y.safetensors");
    write_u8_safetensors(&st, &[("clean", vec![0, 1, 2]), ("noisy", vec![2, 1, 0])]);
    let txt = dir.path().join("y.txt");
    std::fs::write(&txt, "2\n1\n0\n").unwrap();
    let labels = [0u32, 1, 2];
    let ctx = NoiseContext {
        labels: &labels,
        num_classes: 3,
        dataset: None,
        seed: 0,
    };
    for spec in [
        format!("file:{}:noisy", st.display()),
        format!("file:{}", txt.display()),
    ] {
        let model = NoiseConfig::parse(&spec).unwrap().build().unwrap();
        assert_eq!(model.corrupt(&ctx).unwrap(), vec![2, 1, 0], "{spec}");
    }
    let path: PathBuf = st.clone();
    let model = NoiseConfig::File {
        path,
        tensor: Some("clean".into()),
    }
    .build()
    .unwrap();
    assert_eq!(model.corrupt(&ctx).unwrap(), labels.to_vec());
}

#[test]
fn report_counts_match_a_hand_computed_example() {
    // clean 0 0 0 1 1 2 → noisy 0 1 2 1 0 2: class 0 flips 2 of 3, class 1 1 of 2, class 2 0 of 1;
    // overall 3 of 6.
    let clean = [0, 0, 0, 1, 1, 2];
    let noisy = [0, 1, 2, 1, 0, 2];
    let names = ["a".to_string(), "b".into(), "c".into()];
    let r = NoiseReport::measure("test", 7, &clean, &noisy, 3)
        .unwrap()
        .with_class_names(&names);
    assert_eq!(r.flipped, 3);
    assert_eq!(r.rate, 0.5);
    assert_eq!(
        r.transitions,
        vec![vec![1, 1, 1], vec![1, 1, 0], vec![0, 0, 1]]
    );
    let per: Vec<(usize, usize)> = r.per_class.iter().map(|c| (c.samples, c.flipped)).collect();
    assert_eq!(per, vec![(3, 2), (2, 1), (1, 0)]);
    assert_eq!(r.per_class[1].name, "b");
    let table = r.to_table();
    assert!(
        table.contains("realised noise rate: 50.00% (3 of 6 labels changed)"),
        "{table}"
    );
    assert!(table.contains("| 0 | a | 3 | 2 | 66.67% |"), "{table}");
    assert!(table.contains("| 1 | 1 | 1 | 0 |"), "{table}");
    let back: NoiseReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
    assert!(NoiseReport::measure("t", 0, &clean, &noisy[..5], 3).is_err());
    assert!(NoiseReport::measure("t", 0, &clean, &noisy, 2).is_err());
}

#[test]
fn large_class_counts_list_the_top_transitions() {
    // 100 classes: 5 samples of class 3 go to 4, 2 of class 7 go to 8; the rest stay.
    let clean: Vec<u32> = (0..1000).map(|i| i % 100).collect();
    let mut noisy = clean.clone();
    for k in 0..5 {
        noisy[3 + 100 * k] = 4;
    }
    for k in 0..2 {
        noisy[7 + 100 * k] = 8;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.txt");
    let text: String = noisy.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let model = trustdd_noise::FileLabels::load(&path, None).unwrap();
    let ctx = NoiseContext {
        labels: &clean,
        num_classes: 100,
        dataset: None,
        seed: 1,
    };
    let (_, r) = corrupt_with_report(&model, &ctx).unwrap();
    assert_eq!(r.flipped, 7);
    let table = r.to_table();
    assert!(
        table.contains("(2 of 2 non-zero off-diagonal cells"),
        "{table}"
    );
    let first = table.find("| 3 3 | 4 4 | 5 |").unwrap();
    let second = table.find("| 7 7 | 8 8 | 2 |").unwrap();
    assert!(first < second);
}
