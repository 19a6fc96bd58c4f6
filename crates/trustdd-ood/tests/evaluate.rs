//! The OOD evaluation protocol end to end on tiny data.

use crate::common;

use candle_core::Device;
use common::{preprocess, sampler, tiny_dataset};
use trustdd_core::{ImageShape, RealSampler, Silent, SyntheticSet, TrustRng};
use trustdd_nn::ArchConfig;
use trustdd_ood::{
    evaluate_ood, GeneratorList, Invert, OodEvalConfig, OodSet, PseudoOutlierSampler, ScoreKind,
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
            batch_norm_augment: None,
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
    // S_o as the pipeline sizes it: 2 classes × IPC 2 images over the generator groups.
    let outliers = SyntheticSet::from_real(&po, 4usize.div_ceil(po.num_classes()), &mut rng)?;
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
        Err(trustdd_core::Error::Empty { .. })
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

/// Records the loss of every run's FIRST training epoch (one batch: the loss at initialisation).
#[derive(Default)]
struct FirstLosses(std::sync::Mutex<Vec<f64>>);

impl trustdd_core::Progress for FirstLosses {
    fn report(&self, e: trustdd_core::ProgressEvent<'_>) {
        if e.stage == "train" && e.done == 1 {
            let loss = e.metrics.iter().find(|(n, _)| *n == "loss").map(|m| m.1);
            self.0.lock().unwrap().push(loss.expect("a loss metric"));
        }
    }
}

/// Every OOD metric of every run, as bits.
fn metric_bits(r: &trustdd_ood::OodReport) -> Vec<u64> {
    r.architectures[0]
        .scores
        .iter()
        .flat_map(|s| &s.sets)
        .flat_map(|set| &set.runs)
        .flat_map(|m| [m.auroc, m.aupr_in, m.aupr_out, m.fpr95])
        .map(f64::to_bits)
        .collect()
}

/// `logsumexp(z)` in f64.
fn lse(z: &[f64]) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

#[test]
fn outliers_change_training_and_the_first_loss_is_ce_plus_lambda_oe() -> anyhow::Result<()> {
    let dev = Device::Cpu;
    let shape = ImageShape::new(1, 8, 8);
    let test = tiny_dataset(2, 10, 2);
    let real = sampler(tiny_dataset(2, 5, 1));
    let mut rng = TrustRng::new(3);
    let syn = SyntheticSet::from_real(real.as_ref(), 2, &mut rng)?; // 4 images, labels 0,0,1,1
    let outliers = SyntheticSet::from_noise(shape, 3, 2, &dev, &mut rng)?; // 6 images
    let sets = vec![OodSet::gaussian_noise(
        9,
        shape,
        &preprocess(),
        &mut rng,
        &dev,
    )?];
    // A linear classifier (logits = W x + b), so the initial logits are easy to recompute; the
    // default batch (256) holds all of S ∪ S_o, so each epoch is one step.
    let arch = ArchConfig::Mlp { hidden: vec![] };
    let mut cfg = config();
    cfg.eval.architectures = vec![arch.clone()];
    cfg.lambda = 0.7;
    let (seed, runs) = (11, cfg.eval.runs);

    let plain_losses = FirstLosses::default();
    let plain = evaluate_ood(&syn, None, &test, &sets, &cfg, seed, &dev, &plain_losses)?;
    let oe_losses = FirstLosses::default();
    let oe = evaluate_ood(
        &syn,
        Some(&outliers),
        &test,
        &sets,
        &cfg,
        seed,
        &dev,
        &oe_losses,
    )?;
    // Same seed, same initial networks: the outliers alone must change the trained networks.
    assert_ne!(
        metric_bits(&plain),
        metric_bits(&oe),
        "OE training ignored the outliers"
    );

    // The loss at initialisation, recomputed in f64 from the network's parameters.
    let labels = [0usize, 0, 1, 1];
    let rows = |t: &candle_core::Tensor| -> anyhow::Result<Vec<Vec<f64>>> {
        Ok(t.flatten_from(1)?
            .to_dtype(candle_core::DType::F64)?
            .to_vec2::<f64>()?)
    };
    let x_in = rows(&syn.images.as_tensor().detach())?;
    let x_out = rows(&outliers.images.as_tensor().detach())?;
    let plain_got = plain_losses.0.lock().unwrap().clone();
    let oe_got = oe_losses.0.lock().unwrap().clone();
    assert_eq!((plain_got.len(), oe_got.len()), (runs, runs));
    for run in 0..runs {
        let (net, _) = trustdd_train::evaluation_network(&arch, shape, 2, seed, run, &dev)?;
        let p = net.detached_params();
        let w = p[0].to_dtype(candle_core::DType::F64)?.to_vec2::<f64>()?; // 2×64
        let b = p[1].to_dtype(candle_core::DType::F64)?.to_vec1::<f64>()?;
        let logits = |x: &[f64]| -> Vec<f64> {
            w.iter()
                .zip(&b)
                .map(|(row, bk)| row.iter().zip(x).map(|(a, v)| a * v).sum::<f64>() + bk)
                .collect()
        };
        let ce = x_in
            .iter()
            .zip(labels)
            .map(|(x, y)| {
                let z = logits(x);
                lse(&z) - z[y]
            })
            .sum::<f64>()
            / x_in.len() as f64;
        // L_OE = mean over outliers of −(1/K) Σ_k log softmax(z)_k.
        let oe_term = x_out
            .iter()
            .map(|x| {
                let z = logits(x);
                -z.iter().map(|v| v - lse(&z)).sum::<f64>() / z.len() as f64
            })
            .sum::<f64>()
            / x_out.len() as f64;
        let want = ce + 0.7 * oe_term;
        assert!(
            (plain_got[run] - ce).abs() < 1e-5 * ce.abs().max(1.0),
            "run {run}: plain loss {} vs CE {ce}",
            plain_got[run]
        );
        assert!(
            (oe_got[run] - want).abs() < 1e-5 * want.abs().max(1.0),
            "run {run}: OE loss {} vs CE + 0.7·L_OE = {ce} + 0.7·{oe_term} = {want}",
            oe_got[run]
        );
        assert!(0.7 * oe_term > 1e-3, "the OE term is not negligible");
    }
    Ok(())
}
