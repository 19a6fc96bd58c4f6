//! `RunConfig` as data: the TOML a user writes, strictness, defaults, validation naming the
//! field, and the effective configuration a run records.

use trustdd_pipeline::{
    Augmentation, ObjectiveConfig, OutlierSource, PartitionerConfig, RunConfig,
};
use trustdd_train::dsa::DsaConfig;

#[test]
fn a_toml_file_is_a_serialised_run_config() {
    let text = r#"
        ipc = 1
        [objective]
        kind = "dsa"
        real_batch = 32
        [partitioner]
        kind = "tad"
        min_trusted_per_class = 3
        [partitioner.split]
        tau = 0.6
        [outliers.source]
        kind = "generators"
        spec = "poe"
    "#;
    let c: RunConfig = toml::from_str(text).unwrap();
    assert_eq!(c.ipc, 1);
    let ObjectiveConfig::Dsa(o) = &c.objective else {
        panic!("{:?}", c.objective)
    };
    assert_eq!(o.real_batch, 32);
    let PartitionerConfig::Tad(t) = &c.partitioner else {
        panic!("{:?}", c.partitioner)
    };
    assert_eq!((t.min_trusted_per_class, t.split.tau), (3, 0.6));
    assert_eq!(
        c.outliers.source,
        OutlierSource::Generators { spec: "poe".into() }
    );
    // Everything else is the main job's.
    assert_eq!(c.iterations, RunConfig::default().iterations);
    // The whole configuration round-trips.
    let back: RunConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn unknown_fields_and_bad_values_are_refused_by_name() {
    for (text, names) in [
        ("objektive = 1", "objektive"),
        ("[objective]\nkind = \"dm\"\nreal_bach = 3", "real_bach"),
        ("[objective]\nkind = \"gan\"", "gan"),
        (
            "[partitioner]\nkind = \"tad\"\n[partitioner.split]\ntaus = 1",
            "taus",
        ),
    ] {
        let e = toml::from_str::<RunConfig>(text).unwrap_err().to_string();
        assert!(e.contains(names), "{text}: {e}");
    }
    let bad = |c: RunConfig, field: &str| {
        let e = c.build().err().expect("refused").to_string();
        assert!(e.contains(field), "{field}: {e}");
    };
    bad(
        RunConfig {
            iterations: 0,
            ..RunConfig::default()
        },
        "iterations",
    );
    bad(
        RunConfig {
            ipc: 0,
            ..RunConfig::default()
        },
        "ipc",
    );
    let mut c = RunConfig::default();
    c.trust.refresh = 0;
    bad(c, "trust.refresh");
    let mut c = RunConfig {
        objective: ObjectiveConfig::preset("mtt").unwrap(),
        ..RunConfig::default()
    };
    c.outliers.source = OutlierSource::Generators { spec: "poe".into() };
    bad(c, "outliers.objective");
    let mut c = RunConfig::default();
    c.outliers.source = OutlierSource::Generators {
        spec: "jigsaw:x".into(),
    };
    bad(c, "jigsaw");
    let mut c = RunConfig::default();
    c.outliers.source = OutlierSource::Dataset {
        name: "frob".into(),
    };
    bad(c, "frob");
    let mut c = RunConfig::default();
    if let ObjectiveConfig::Dm(o) = &mut c.objective {
        o.real_batch = 0;
    }
    bad(c, "real_batch");
    assert!(ObjectiveConfig::preset("gan")
        .unwrap_err()
        .to_string()
        .contains("gan"));
}

#[test]
fn the_effective_config_follows_the_dataset() {
    let c = RunConfig {
        ipc: 50,
        ..RunConfig::default()
    };
    let grey = c.resolved("mnist");
    assert_eq!(grey.augmentation, Augmentation::AsConfigured);
    assert_eq!(grey.eval.train.augment, Some(DsaConfig::digits()));
    let ObjectiveConfig::Dm(dm) = &grey.objective else {
        panic!("dm")
    };
    assert_eq!(dm.dsa, Some(DsaConfig::digits()));
    let PartitionerConfig::Tad(t) = &grey.partitioner else {
        panic!("tad")
    };
    assert_eq!(t.proxy.augment, Some(DsaConfig::digits()));
    assert_eq!(t.min_trusted_per_class, 50, "raised to the IPC");
    let colour = c.resolved("cifar10");
    assert_eq!(colour.eval.train.augment, Some(DsaConfig::default()));
    // Flip is dropped for digits only, as the reference: Fashion-MNIST (one channel too) and
    // KMNIST keep it, SVHN (three channels) loses it.
    for (name, flip) in [
        ("fashion-mnist", true),
        ("kmnist", true),
        ("svhn", false),
        ("mnist-10k", false),
    ] {
        let strategy = c.resolved(name).eval.train.augment.unwrap().strategy;
        let has = strategy.contains(&trustdd_train::dsa::DsaGroup::Flip);
        assert_eq!(has, flip, "{name}");
    }
    // Written as configured: nothing changes but the TAD minimum.
    let mut fixed = c.clone();
    fixed.augmentation = Augmentation::AsConfigured;
    fixed.eval.train.augment = None;
    assert_eq!(fixed.resolved("mnist").eval.train.augment, None);
    // Resolving twice changes nothing more.
    assert_eq!(grey.resolved("mnist"), grey);
}

#[test]
fn the_dc_protocol_and_a_dsa_strategy_are_selectable() {
    use trustdd_pipeline::EvalProtocol;
    use trustdd_train::dsa::DsaGroup;
    let c = RunConfig {
        eval_protocol: EvalProtocol::Dc,
        ..RunConfig::default()
    };
    // DC's protocol: no augmentation in evaluation (the objective keeps its own).
    let r = c.resolved("fashion-mnist");
    assert_eq!(r.eval.train.augment, None);
    let ObjectiveConfig::Dm(dm) = &r.objective else {
        panic!("dm")
    };
    assert!(dm.dsa.is_some());
    // The references' strategy string, for every DSA setting that is on.
    let c = RunConfig {
        dsa_strategy: Some("crop_flip".into()),
        ..RunConfig::default()
    };
    let r = c.resolved("mnist");
    let strategy = r.eval.train.augment.unwrap().strategy;
    assert_eq!(strategy, vec![DsaGroup::Crop, DsaGroup::Flip]);
    let bad = RunConfig {
        dsa_strategy: Some("crop_twirl".into()),
        ..RunConfig::default()
    };
    assert!(bad.build().err().unwrap().to_string().contains("twirl"));
    // DC's `get_daparam`: crop/scale/rotate on MNIST, crop/noise for a batch-norm ConvNet
    // (on every dataset, MNIST included), nothing for other networks elsewhere.
    use trustdd_nn::{ArchConfig, ConvNetConfig, NormKind};
    use trustdd_train::{DcAugmentConfig, DcAugmentOp};
    let dc = RunConfig {
        eval_protocol: EvalProtocol::Dc,
        ..RunConfig::default()
    };
    let mnist = dc.resolved("mnist");
    assert_eq!(mnist.eval.train.augment, None);
    assert_eq!(mnist.eval.train.dc_augment, Some(DcAugmentConfig::mnist()));
    assert_eq!(dc.resolved("fashion-mnist").eval.train.dc_augment, None);
    let bn = ArchConfig::ConvNet(ConvNetConfig {
        norm: NormKind::Batch,
        ..ConvNetConfig::default()
    });
    for resolved in [&mnist, &dc.resolved("fashion-mnist")] {
        let t = resolved.eval.train_for(&bn);
        assert_eq!(t.augment, None);
        let strategy = t.dc_augment.unwrap().strategy;
        assert_eq!(strategy, vec![DcAugmentOp::Crop, DcAugmentOp::Noise]);
    }
    let instance = ArchConfig::ConvNet(ConvNetConfig::default());
    assert_eq!(
        mnist.eval.train_for(&instance).dc_augment,
        Some(DcAugmentConfig::mnist())
    );
    assert!(dc.build().is_ok());
}

#[test]
fn a_validation_split_is_held_out_per_class_and_reported() {
    let mut config = RunConfig {
        val_split: 0.2,
        compare: false,
        ..RunConfig::default()
    };
    // The small run of the other pipeline tests, by hand: 300 digits, IPC 2, 2 iterations.
    config.data.train_limit = 300;
    config.ipc = 2;
    config.iterations = 2;
    let arch = trustdd_nn::ArchConfig::ConvNet(trustdd_nn::ConvNetConfig {
        width: 4,
        depth: 2,
        ..trustdd_nn::ConvNetConfig::default()
    });
    config.objective.set_arch(arch.clone());
    if let ObjectiveConfig::Dm(dm) = &mut config.objective {
        dm.real_batch = 8;
    }
    config.partitioner = PartitionerConfig::None;
    config.eval.architectures = vec![arch];
    config.eval.runs = 1;
    config.eval.train.epochs = 2;
    let (train, _) = config.data.load().unwrap();
    let per_class: Vec<usize> = (0..10).map(|c| train.class_members(c).len()).collect();
    let expected: usize = per_class
        .iter()
        .map(|&n| {
            ((0.2 * n as f64).round() as usize).clamp(usize::from(n >= 2), n.saturating_sub(1))
        })
        .sum();
    let report = config.build().unwrap().run(&trustdd_core::Silent).unwrap();
    assert_eq!(report.validation_size, expected);
    let run = report.runs.last().unwrap();
    let validation = run.validation.as_ref().expect("a validation accuracy");
    assert_eq!(validation.architectures.len(), 1);
    assert!((0.0..=1.0).contains(&validation.architectures[0].mean));
    // Stored in the report's configuration, and refused outside [0, 1).
    assert_eq!(report.config.val_split, 0.2);
    assert!(RunConfig {
        val_split: 1.0,
        ..RunConfig::default()
    }
    .build()
    .err()
    .unwrap()
    .to_string()
    .contains("val_split"));
}
