//! S_o through the existing objectives: the pseudo-outlier sampler, DM and OE gradient matching,
//! and the outliers file.

// The OOD crate's test fixtures (a tiny dataset, its sampler), shared rather than copied.
#[path = "../../trustdd-ood/tests/common/mod.rs"]
mod common;

use candle_core::{Device, Tensor};
use common::{preprocess, sampler, tiny_dataset};
use trustdd_core::{RealSampler, TrustRng};
use trustdd_distill::{
    Dm, DmConfig, GradientMatching, GradientMatchingConfig, MatchTargets, SetMetadata,
};
use trustdd_nn::{ArchConfig, ConvNetConfig};
use trustdd_ood::{GeneratorList, PseudoOutlierSampler};
use trustdd_pipeline::{
    build_outlier_objective, distill_outliers, init_outlier_set, load_outliers,
    outlier_gradient_matching_config, outlier_ipc, save_outliers, ObjectiveConfig,
};

fn tiny_arch() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 4,
        depth: 2,
        ..ConvNetConfig::default()
    })
}

fn host(x: &Tensor) -> Vec<Vec<f32>> {
    let n = x.dims()[0];
    (0..n)
        .map(|i| x.get(i).unwrap().flatten_all().unwrap().to_vec1().unwrap())
        .collect()
}

#[test]
fn sampler_groups_are_corrupted_real_images() -> anyhow::Result<()> {
    let ds = tiny_dataset(2, 4, 1);
    let raw = host(&ds.raw_batch(&(0..8).collect::<Vec<_>>(), &Device::Cpu)?);
    let gens = GeneratorList::parse("invert,jigsaw")?;
    let s = PseudoOutlierSampler::new(sampler(ds), gens, preprocess(), 9)?;
    assert_eq!(s.num_classes(), 2);
    assert_eq!(s.class_members(1).len(), 8);
    // Group 0 (invert), all 8 images: back in pixels, each is 1 − a distinct real image.
    let x = s.sample(0, 100, &mut TrustRng::new(0))?;
    let px = host(&preprocess().invert(&x)?);
    assert_eq!(px.len(), 8);
    let mut matched: Vec<usize> = px
        .iter()
        .map(|img| {
            raw.iter()
                .position(|r| r.iter().zip(img).all(|(a, b)| (1.0 - a - b).abs() < 1e-5))
                .expect("an inverted real image")
        })
        .collect();
    matched.sort_unstable();
    assert_eq!(matched, (0..8).collect::<Vec<_>>());
    // `images` decodes the group from the id and is deterministic.
    let ids = [
        s.class_members(1)[2],
        s.class_members(0)[5],
        s.class_members(1)[3],
    ];
    let a = s.images(&ids)?;
    assert_eq!(host(&a), host(&s.images(&ids)?));
    let p = host(&preprocess().invert(&a)?);
    assert!(p[1]
        .iter()
        .zip(&raw[5])
        .all(|(v, r)| (1.0 - v - r).abs() < 1e-5));
    // Jigsaw (group 1) only moves pixels: same sum, different order.
    assert!(p[0] != raw[2]);
    assert!((p[0].iter().sum::<f32>() - raw[2].iter().sum::<f32>()).abs() < 1e-3);
    assert!(s.sample(2, 1, &mut TrustRng::new(0)).is_err());
    Ok(())
}

#[test]
fn dm_and_oe_gradient_matching_distil_outliers_and_files_round_trip() -> anyhow::Result<()> {
    let ds = tiny_dataset(2, 6, 2);
    let gens = GeneratorList::poe();
    let s = PseudoOutlierSampler::new(sampler(ds.clone()), gens.clone(), preprocess(), 3)?;
    // 2 classes × IPC 3 = 6 images over 4 generators → 2 slots per group, 8 images.
    assert_eq!(outlier_ipc(2, 3, 4), 2);
    let init = init_outlier_set(&s, 2, 3, &mut TrustRng::new(4))?;
    assert_eq!((init.num_classes, init.ipc), (4, 2));

    let mut dm = Dm::new(DmConfig {
        arch: tiny_arch(),
        real_batch: 4,
        dsa: None,
        ..DmConfig::default()
    })?;
    let mut rng = TrustRng::new(4);
    let (set, report) = distill_outliers(&mut dm, &s, 2, 3, 2, &mut rng, &trustdd_core::Silent)?;
    assert_eq!(report.losses.len(), 2);
    assert!(report.losses.iter().all(|l| l.is_finite() && *l > 0.0));
    assert_eq!(set.images.dims(), &[8, 1, 8, 8]);
    let moved = (set.images.as_tensor() - init.images.as_tensor())?
        .abs()?
        .sum_all()?
        .to_scalar::<f32>()?;
    assert!(moved > 0.0, "DM did not update S_o");

    let base = GradientMatchingConfig {
        arch: tiny_arch(),
        real_batch: 4,
        ..GradientMatchingConfig::default()
    };
    let cfg = outlier_gradient_matching_config(&base, 1)?;
    assert_eq!((cfg.outer_loop, cfg.inner_loop), (Some(1), Some(1)));
    assert!(outlier_gradient_matching_config(&base, 7).is_err());
    let mut gm = GradientMatching::with_targets(cfg, MatchTargets::Uniform { outputs: 2 })?;
    let (gm_set, gm_report) = distill_outliers(
        &mut gm,
        &s,
        2,
        1,
        1,
        &mut TrustRng::new(5),
        &trustdd_core::Silent,
    )?;
    assert_eq!(gm_report.objective, "dc-uniform");
    // The pipeline's outlier objective for a DC run is the same objective.
    let built = build_outlier_objective(&ObjectiveConfig::Dc(base.clone()), 2, 1)?;
    assert_eq!(built.name(), "dc-uniform");
    assert!(gm_report.losses[0].is_finite());
    assert_eq!(gm_set.images.dims(), &[4, 1, 8, 8]);

    let dir = tempfile::tempdir()?;
    let meta = SetMetadata {
        objective: "dm".into(),
        dataset: "tiny".into(),
        class_names: vec!["c0".into(), "c1".into()],
        shape: ds.shape(),
        preprocess: preprocess(),
        seed: 4,
        eval_lr: None,
    };
    let path = save_outliers(dir.path(), &set, &meta, gens.names())?;
    assert!(path.ends_with("outliers.safetensors"));
    let (back, back_meta) = load_outliers(dir.path(), &Device::Cpu)?;
    assert_eq!(back_meta.objective, "dm-outliers");
    assert_eq!(back_meta.class_names, gens.names());
    assert_eq!(host(back.images.as_tensor()), host(set.images.as_tensor()));
    Ok(())
}
