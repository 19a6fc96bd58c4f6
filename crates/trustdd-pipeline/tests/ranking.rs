//! DD-Ranking's metrics through the pipeline: the scores are the formulas of the accuracies
//! the report holds, the full-data accuracy is cached per key, and a bad cache file is a typed
//! error naming it. Also DC's protocol on MNIST end to end.

use crate::tiny::tiny_run;
use trustdd_core::Silent;
use trustdd_pipeline::{
    EvalProtocol, PartitionerConfig, RankingConfig, ReferenceLabels, RunConfig,
};
use trustdd_train::{DcAugmentConfig, LabelRobustScore, TrainConfig};

fn ranked(cache: &std::path::Path) -> RunConfig {
    let mut c = tiny_run();
    c.compare = false;
    c.partitioner = PartitionerConfig::None;
    c.eval.runs = 2;
    c.ranking = Some(RankingConfig {
        full_data: TrainConfig {
            epochs: 1,
            batch_size: 64,
            augment: None,
            ..TrainConfig::default()
        },
        cache_dir: Some(cache.to_path_buf()),
        ..RankingConfig::default()
    });
    c
}

#[test]
fn scores_follow_from_the_accuracies_and_the_full_data_accuracy_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let config = ranked(&cache);
    let first = config.build().unwrap().run(&Silent).unwrap();
    let r = first.ranking.as_ref().expect("ranking requested");
    assert!(!r.full_data_cached);
    assert_eq!(r.rounds.len(), 2);
    assert_eq!(r.random_accuracies.len(), 2);
    // The set's own accuracies are its final evaluation's; a hard-label set's hard ones equal.
    let last = &first.runs[0].distill.evaluations.last().unwrap().report;
    assert_eq!(r.set_accuracies, last.architectures[0].accuracies);
    assert_eq!(r.set_hard_accuracies, r.set_accuracies);
    for (k, round) in r.rounds.iter().enumerate() {
        let want = LabelRobustScore::new(
            r.full_data_accuracy,
            r.set_hard_accuracies[k],
            r.set_accuracies[k],
            r.random_accuracies[k],
            0.5,
        );
        assert_eq!(*round, want);
    }
    // Random subsets differ from round to round (their own draws) and from the set.
    assert!((0.0..=1.0).contains(&r.full_data_accuracy));
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(files.len(), 1, "one cache entry");
    // Again: the full data comes from the cache, everything else is recomputed identically.
    let second = config.build().unwrap().run(&Silent).unwrap();
    let s = second.ranking.as_ref().unwrap();
    assert!(s.full_data_cached);
    assert_eq!(
        serde_json::to_string(r).unwrap(),
        serde_json::to_string(s).unwrap()
    );
    // Another schedule is another key: trained again, a second entry.
    let mut longer = config.clone();
    longer.ranking.as_mut().unwrap().full_data.epochs = 2;
    let third = longer.build().unwrap().run(&Silent).unwrap();
    assert!(!third.ranking.unwrap().full_data_cached);
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 2);
}

#[test]
fn a_damaged_cache_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let config = ranked(&cache);
    config.build().unwrap().run(&Silent).unwrap();
    let entry = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&entry, b"{\"key\": 3").unwrap();
    let e = config
        .build()
        .unwrap()
        .run(&Silent)
        .unwrap_err()
        .to_string();
    let name = entry.file_name().unwrap().to_str().unwrap();
    assert!(e.contains(name), "{e}");
}

#[test]
fn clean_reference_labels_under_noise_and_a_bad_weight() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ranked(&dir.path().join("cache"));
    let observed = config.build().unwrap().run(&Silent).unwrap();
    config.ranking.as_mut().unwrap().labels = ReferenceLabels::Clean;
    let clean = config.build().unwrap().run(&Silent).unwrap();
    let (o, c) = (observed.ranking.unwrap(), clean.ranking.unwrap());
    // 40% pair noise on the labels: the subsets and the full data see other labels.
    assert_eq!(c.labels, ReferenceLabels::Clean);
    assert_ne!(o.random_accuracies, c.random_accuracies);
    assert_eq!(o.set_accuracies, c.set_accuracies);
    config.ranking.as_mut().unwrap().weight = 1.5;
    let e = config.build().err().unwrap().to_string();
    assert!(e.contains("ranking.weight"), "{e}");
}

#[test]
fn dc_protocol_on_mnist_evaluates_with_dc_augmentation() {
    let mut c = tiny_run();
    c.compare = false;
    c.partitioner = PartitionerConfig::None;
    c.eval_protocol = EvalProtocol::Dc;
    let dc = c.build().unwrap().run(&Silent).unwrap();
    assert_eq!(
        dc.config.eval.train.dc_augment,
        Some(DcAugmentConfig::mnist())
    );
    assert_eq!(dc.config.eval.train.augment, None);
    // Without DC's augmentation (as written) the same networks train on other batches.
    let mut plain = dc.config.clone();
    plain.augmentation = trustdd_pipeline::Augmentation::AsConfigured;
    plain.eval_protocol = EvalProtocol::Dsa;
    plain.eval.train.dc_augment = None;
    let p = plain.build().unwrap().run(&Silent).unwrap();
    let acc = |r: &trustdd_pipeline::RunReport| {
        r.runs[0]
            .distill
            .evaluations
            .last()
            .unwrap()
            .report
            .architectures[0]
            .accuracies
            .clone()
    };
    assert_ne!(acc(&dc), acc(&p));
}
