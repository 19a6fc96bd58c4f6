//! CIFAR-10N / CIFAR-100N from `$TRUSTDD_DATA/cifar-n`: the published noise rates.
//! Where TRUSTDD_DATA is unset the test says it was skipped; where set, missing files fail.

use trustdd_core::NoiseContext;
use trustdd_noise::{corrupt_with_report, NoiseConfig};

#[test]
fn cifar_n_label_sets_have_the_published_noise_rates() {
    // The variable directly: the noise crate does not depend on the data crate.
    let Some(data) = std::env::var_os("TRUSTDD_DATA")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
    else {
        println!(
            "cifar_n_label_sets_have_the_published_noise_rates: skipped, TRUSTDD_DATA is not set"
        );
        return;
    };
    // Rates from ../shared/data/README.md (CIFAR-N, Wei et al. 2022), to two decimals.
    let expected = [
        ("cifar10n:aggre", "9.01"),
        ("cifar10n:random1", "17.23"),
        ("cifar10n:random2", "18.12"),
        ("cifar10n:random3", "17.64"),
        ("cifar10n:worse", "40.21"),
        ("cifar100n:noisy", "40.20"),
    ];
    for (spec, rate) in expected {
        let config = NoiseConfig::parse(spec).unwrap().with_data_dir(&data);
        let model = config
            .build()
            .expect("TRUSTDD_DATA/cifar-n must hold the CIFAR-N files");
        let NoiseConfig::CifarN { labels, .. } = config else {
            panic!("{spec} parsed to {config:?}")
        };
        let dir = data.join(trustdd_noise::CIFAR_N_DIR);
        let clean = labels.clean_labels(&dir).unwrap();
        assert_eq!(clean.len(), 50_000);
        let ctx = NoiseContext {
            labels: &clean,
            num_classes: labels.num_classes(),
            dataset: None,
            seed: 0,
        };
        let (noisy, report) = corrupt_with_report(model.as_ref(), &ctx).unwrap();
        assert_eq!(noisy.len(), 50_000);
        assert_eq!(format!("{:.2}", 100.0 * report.rate), rate, "{spec}");
        assert_eq!(report.model, spec);
    }
}
