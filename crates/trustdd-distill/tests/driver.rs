//! The driver: bit-for-bit resume, configuration checks, errors, evaluation.

use crate::common;

use anyhow::Result;
use common::{tiny_arch, tiny_dataset, tiny_sampler};
use trustdd_core::DistillObjective;
use trustdd_core::{Silent, SyntheticSet, TrustRng};
use trustdd_distill::{
    config_hash, train_experts, CheckpointSpec, DistillError, DistillReport, Dm, DmConfig, Driver,
    DriverConfig, ExpertConfig, GradientMatching, GradientMatchingConfig, Mtt, MttConfig,
};
use trustdd_train::dsa::DsaConfig;
use trustdd_train::{EvalConfig, TrainConfig};

fn dm_config() -> DmConfig {
    DmConfig {
        arch: tiny_arch(),
        real_batch: 4,
        dsa: Some(DsaConfig::digits()),
        ..DmConfig::default()
    }
}

fn dsa_config() -> GradientMatchingConfig {
    GradientMatchingConfig {
        arch: tiny_arch(),
        real_batch: 3,
        outer_loop: Some(2),
        inner_loop: Some(1),
        dsa: Some(DsaConfig::digits()),
        ..GradientMatchingConfig::default()
    }
}

fn driver_config(iterations: usize) -> DriverConfig {
    DriverConfig {
        iterations,
        final_eval: false,
        checkpoint_every: 2,
        ..DriverConfig::default()
    }
}

/// Runs `objective` on the tiny data for `iterations`; returns the images' bits and the report.
fn run(
    objective: &mut dyn DistillObjective,
    iterations: usize,
    checkpoint: Option<CheckpointSpec>,
) -> trustdd_core::Result<(Vec<u32>, DistillReport)> {
    let sampler = tiny_sampler(2, 6, 3).expect("tiny data");
    let mut rng = TrustRng::new(11);
    let mut syn = SyntheticSet::from_real(&sampler, 2, &mut rng)?;
    let driver = Driver::new(driver_config(iterations), checkpoint)?;
    let report = driver.run(objective, &mut syn, &sampler, None, &mut rng, &Silent)?;
    let bits = syn
        .images
        .as_tensor()
        .flatten_all()?
        .to_vec1::<f32>()?
        .iter()
        .map(|v| v.to_bits())
        .collect();
    Ok((bits, report))
}

fn resume_matches(make: &dyn Fn() -> Box<dyn DistillObjective>, hash: String) -> Result<()> {
    let (full, full_report) = run(make().as_mut(), 5, None)?;
    let dir = tempfile::tempdir()?;
    let spec = CheckpointSpec {
        path: dir.path().join("ckpt.safetensors"),
        config_hash: hash,
    };
    // "Interrupted" after 3 iterations (the checkpoint holds iteration 3), then resumed to 5.
    let (part, _) = run(make().as_mut(), 3, Some(spec.clone()))?;
    assert_ne!(part, full, "3 iterations differ from 5");
    let (resumed, report) = run(make().as_mut(), 5, Some(spec))?;
    assert_eq!(report.resumed_from, Some(3));
    assert_eq!(
        resumed, full,
        "resumed run differs from the uninterrupted one"
    );
    assert_eq!(report.losses, full_report.losses);
    Ok(())
}

#[test]
fn dm_resume_is_bit_for_bit() -> Result<()> {
    let make = || -> Box<dyn DistillObjective> { Box::new(Dm::new(dm_config()).expect("valid")) };
    resume_matches(&make, config_hash(&dm_config())?)
}

#[test]
fn dsa_resume_is_bit_for_bit() -> Result<()> {
    let make = || -> Box<dyn DistillObjective> {
        Box::new(GradientMatching::new(dsa_config()).expect("valid"))
    };
    resume_matches(&make, config_hash(&dsa_config())?)
}

#[test]
fn mtt_resume_is_bit_for_bit_and_lr_is_learnt() -> Result<()> {
    let sampler = tiny_sampler(2, 6, 3)?;
    let experts = ExpertConfig {
        arch: tiny_arch(),
        experts: 2,
        epochs: 3,
        lr: 0.01,
        batch_size: 8,
        dsa: Some(DsaConfig::digits()),
    };
    let trajectories = train_experts(
        &experts,
        &sampler,
        candle_core::DType::F32,
        &mut TrustRng::new(4),
        &Silent,
    )?;
    assert_eq!(trajectories.len(), 4, "initialisation plus 3 epochs");
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("experts.safetensors");
    trustdd_distill::save_trajectories(&file, &trajectories)?;
    let back = trustdd_distill::load_trajectories(&file, &candle_core::Device::Cpu)?;
    assert_eq!(
        back.experts[1][2].to_vec1::<f32>()?,
        trajectories.experts[1][2].to_vec1::<f32>()?
    );
    let config = MttConfig {
        arch: tiny_arch(),
        syn_steps: 3,
        expert_epochs: 1,
        max_start_epoch: 2,
        dsa: Some(DsaConfig::digits()),
        ..MttConfig::default()
    };
    let make = || -> Box<dyn DistillObjective> {
        Box::new(Mtt::new(config.clone(), trajectories.clone()).expect("valid"))
    };
    resume_matches(&make, config_hash(&config)?)?;
    let mut mtt = Mtt::new(config.clone(), trajectories.clone())?;
    let (_, report) = run(&mut mtt, 2, None)?;
    let lr = mtt.lr()?;
    assert!(
        lr != 0.01 && lr.is_finite(),
        "α moved from its initial 0.01: {lr}"
    );
    // The step reports carry α, and the driver evaluates with it.
    assert_eq!(report.learnt_lr, Some(lr));
    assert_eq!(report.eval_lr, lr);
    // Start epochs 0..3 with 1 matched epoch reach epoch 3, the last recorded; one more is refused.
    let last_ok = MttConfig {
        max_start_epoch: 3,
        ..config.clone()
    };
    assert!(Mtt::new(last_ok, trajectories.clone()).is_ok());
    let too_far = MttConfig {
        max_start_epoch: 4,
        ..config
    };
    assert!(Mtt::new(too_far, trajectories).is_err());
    Ok(())
}

#[test]
fn checkpoint_of_another_configuration_is_refused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ckpt.safetensors");
    let spec = |c: &DmConfig| -> Result<CheckpointSpec> {
        Ok(CheckpointSpec {
            path: path.clone(),
            config_hash: config_hash(c)?,
        })
    };
    run(&mut Dm::new(dm_config())?, 2, Some(spec(&dm_config())?))?;
    let other = DmConfig {
        lr_img: 0.5,
        ..dm_config()
    };
    let err = run(&mut Dm::new(other.clone())?, 4, Some(spec(&other)?)).unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<DistillError>(),
            Some(DistillError::CheckpointMismatch { .. })
        ),
        "{err}"
    );
    Ok(())
}

#[test]
fn bad_settings_are_typed_errors() -> Result<()> {
    assert!(matches!(
        Driver::new(driver_config(0), None),
        Err(trustdd_core::Error::InvalidParameter { .. })
    ));
    let sampler = tiny_sampler(2, 6, 3)?;
    let err = SyntheticSet::from_real(&sampler, 7, &mut TrustRng::new(0)).unwrap_err();
    assert!(matches!(
        err,
        trustdd_core::Error::NotEnough {
            requested: 7,
            available: 6,
            ..
        }
    ));
    let bad = DmConfig {
        lr_img: -1.0,
        ..dm_config()
    };
    assert!(Dm::new(bad).is_err());
    let unlisted_ipc = GradientMatchingConfig::default().loops(3);
    assert!(unlisted_ipc.is_err());
    assert_eq!(GradientMatchingConfig::default().loops(10)?, (10, 50));
    Ok(())
}

#[test]
fn final_evaluation_is_reported() -> Result<()> {
    let sampler = tiny_sampler(2, 6, 3)?;
    let test = tiny_dataset(2, 5, 42)?;
    let mut rng = TrustRng::new(1);
    let mut syn = SyntheticSet::from_real(&sampler, 2, &mut rng)?;
    let config = DriverConfig {
        iterations: 2,
        eval_every: 1,
        eval: EvalConfig {
            architectures: vec![tiny_arch()],
            runs: 2,
            train: TrainConfig {
                epochs: 3,
                augment: None,
                ..TrainConfig::default()
            },
            ..EvalConfig::default()
        },
        ..DriverConfig::default()
    };
    let report = Driver::new(config, None)?.run(
        &mut Dm::new(dm_config())?,
        &mut syn,
        &sampler,
        Some(&test),
        &mut rng,
        &Silent,
    )?;
    // eval_every 1 over 2 iterations: evaluations after iterations 1 and 2 (final_eval adds none).
    let at: Vec<usize> = report.evaluations.iter().map(|e| e.iteration).collect();
    assert_eq!(at, vec![1, 2]);
    let accs = &report.evaluations[1].report.architectures[0].accuracies;
    assert_eq!(accs.len(), 2);
    assert!(accs.iter().all(|a| (0.0..=1.0).contains(a)));
    assert_eq!(report.losses.len(), 2);
    Ok(())
}
