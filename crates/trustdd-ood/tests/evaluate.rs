//! The OOD evaluation protocol end to end on tiny data.

mod common;

use candle_core::Device;
use common::{preprocess, sampler, tiny_dataset};
use trustdd_core::{ImageShape, Silent, SyntheticSet, TrustRng};
use trustdd_nn::ArchConfig;
use trustdd_ood::{
    evaluate_ood, init_outlier_set, GeneratorList, Invert, OodError, OodEvalConfig, OodSet,
    PseudoOutlierSampler, ScoreKind,
};
use trustdd_train::{evaluate_synthetic, EvalConfig, Targets, TrainConfig};

fn config() -> OodEvalConfig {
    OodEvalConfig {
        eval: EvalConfig {
            architectures: vec![ArchConfig::Mlp { hidden: vec![8] }],
            runs: 2,
            train: TrainConfig {
                epochs: 4,
                augment: None,
                ..TrainConfig::default()
            },
            test_batch_size: 7,
        },
        ..OodEvalConfig::default()
    }
}

#[test]
fn evaluate_ood_reports_every_set_and_score_and_matches_evaluate_synthetic() -> anyhow::Result<()> {
    let train = tiny_dataset(2, 5, 1);
    let test = tiny_dataset(2, 10, 2);
    let real = sampler(train);
    let mut rng = TrustRng::new(3);
    let syn = SyntheticSet::from_real(real.as_ref(), 2, &mut rng)?;
    let shape = ImageShape::new(1, 8, 8);
    let sets = vec![
        OodSet::gaussian_noise(9, shape, &preprocess(), &mut rng, &Device::Cpu)?,
        OodSet::corrupted(&test, &Invert, &mut rng, &Device::Cpu)?,
    ];
    let cfg = config();
    let plain = evaluate_ood(&syn, None, &test, &sets, &cfg, 11, &Device::Cpu, &Silent)?;
    // Same seeding as evaluate_synthetic: the same networks, so the same accuracies.
    let labels = match &syn.labels {
        trustdd_core::SyntheticLabels::Hard(l) => l.clone(),
        _ => unreachable!(),
    };
    let reference = evaluate_synthetic(
        &syn.images.as_tensor().detach(),
        &Targets::hard(&labels, &Device::Cpu)?,
        &test,
        &cfg.eval,
        11,
        &Device::Cpu,
        &Silent,
    )?;
    let arch = &plain.architectures[0];
    assert_eq!(arch.accuracies, reference.architectures[0].accuracies);
    assert!(!plain.outlier_exposure && plain.lambda == 0.0);
    assert_eq!(arch.scores.len(), 3);
    for s in &arch.scores {
        assert_eq!(s.sets.len(), 2);
        assert_eq!(s.sets[1].name, "corrupt-invert");
        for set in &s.sets {
            assert_eq!(set.runs.len(), 2);
            for m in &set.runs {
                for v in [m.auroc, m.aupr_in, m.aupr_out, m.fpr95] {
                    assert!((0.0..=100.0).contains(&v), "{m:?}");
                }
            }
        }
        // The mean over sets is the mean of the per-set means.
        let want = (s.sets[0].summary.auroc.mean + s.sets[1].summary.auroc.mean) / 2.0;
        assert!((s.mean_over_sets.auroc.mean - want).abs() < 1e-9);
    }
    assert_eq!(arch.scores[2].score, ScoreKind::Energy);

    // With outlier exposure.
    let gens = GeneratorList::poe();
    let po = PseudoOutlierSampler::new(real.clone(), gens, preprocess(), 5)?;
    let outliers = init_outlier_set(&po, 2, 2, &mut rng)?;
    let oe = evaluate_ood(
        &syn,
        Some(&outliers),
        &test,
        &sets,
        &cfg,
        11,
        &Device::Cpu,
        &Silent,
    )?;
    assert!(oe.outlier_exposure && oe.lambda == 0.5);
    assert_eq!(oe.architectures[0].accuracies.len(), 2);
    let json = serde_json::to_string(&oe)?;
    assert!(json.contains("\"max_logit\"") && json.contains("fpr95"));

    // Errors: no OOD set, a mismatched OOD set, a bad temperature.
    assert!(matches!(
        evaluate_ood(&syn, None, &test, &[], &cfg, 0, &Device::Cpu, &Silent),
        Err(OodError::Empty { .. })
    ));
    let wrong = OodSet::uniform_noise(
        2,
        ImageShape::new(1, 4, 4),
        &preprocess(),
        &mut rng,
        &Device::Cpu,
    )?;
    assert!(evaluate_ood(&syn, None, &test, &[wrong], &cfg, 0, &Device::Cpu, &Silent).is_err());
    let hot = OodEvalConfig {
        temperature: 0.0,
        ..config()
    };
    assert!(evaluate_ood(&syn, None, &test, &sets, &hot, 0, &Device::Cpu, &Silent).is_err());
    Ok(())
}
