//! MTT with learnable soft labels (DATM): the initialisation from the last expert epoch's
//! logits, the student step on their softmax, the label update as one momentum-SGD step along
//! the trajectory loss's gradient, and a soft-label set file round trip.

use crate::common;

use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use common::wrap;
use common::{fd_entry, randn, rel_err, tiny_arch, tiny_net, tiny_sampler, FD_STEP, GRAD_REL_TOL};
use trustdd_core::{
    DatasetSampler, DistillContext, DistillObjective, ImageShape, Normalization, Preprocess,
    Silent, SyntheticLabels, SyntheticSet, TrustRng,
};
use trustdd_distill::{
    load_set, save_set, second_order, trajectory_loss, Mtt, MttConfig, SetMetadata, StudentLabels,
    StudentStep, Trajectories,
};
use trustdd_nn::Network;

const CLASSES: usize = 2;
const IPC: usize = 2;

/// The tiny sampler, an f64 synthetic set drawn from it, and the rng after the draw.
fn setup() -> Result<(DatasetSampler, SyntheticSet, TrustRng)> {
    let sampler = tiny_sampler(CLASSES, 6, 5)?;
    let mut rng = TrustRng::new(31);
    let mut syn = SyntheticSet::from_real(&sampler, IPC, &mut rng)?;
    syn.images = Var::from_tensor(&syn.images.as_tensor().to_dtype(DType::F64)?)?;
    Ok((sampler, syn, rng))
}

/// `experts` trajectories of two epochs each, every epoch an independent tiny network.
fn trajectories(shape: ImageShape, experts: usize, rng: &mut TrustRng) -> Result<Trajectories> {
    let mut out = Vec::new();
    for _ in 0..experts {
        let mut epochs = Vec::new();
        for _ in 0..2 {
            epochs.push(Network::flatten(
                &tiny_net(shape, CLASSES, rng)?.detached_params(),
            )?);
        }
        out.push(epochs);
    }
    Ok(Trajectories { experts: out })
}

fn config(syn_steps: usize) -> MttConfig {
    MttConfig {
        arch: tiny_arch(),
        syn_steps,
        expert_epochs: 1,
        max_start_epoch: 1,
        dsa: None,
        ..MttConfig::default()
    }
}

fn f64s(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?)
}

#[test]
fn soft_labels_start_as_the_mean_logits_of_the_experts_that_classify_correctly() -> Result<()> {
    let (sampler, mut syn, mut rng) = setup()?;
    let shape = sampler.dataset().shape();
    let traj = trajectories(shape, 3, &mut rng)?;
    let mtt = Mtt::new(config(1), traj.clone())?;
    let images = syn.images.as_tensor().detach();
    let SyntheticLabels::Hard(labels) = syn.labels.clone() else {
        panic!("hard labels to start from")
    };
    // Any network of the architecture: only its structure is used.
    let net = tiny_net(shape, CLASSES, &mut rng)?;
    mtt.init_soft_labels(&mut syn, &net)?;
    let SyntheticLabels::Soft(z) = &syn.labels else {
        panic!("init_soft_labels leaves soft labels")
    };
    assert_eq!(z.dims(), [CLASSES * IPC, CLASSES]);
    assert_eq!(z.dtype(), DType::F64);
    // Independently: a network holding each expert's last epoch as its own weights, in eval
    // mode; per image the mean over the experts whose argmax is its label (all when none is).
    let logits_of = |flat: &Tensor| -> Result<Vec<f64>> {
        let mut expert = tiny_net(shape, CLASSES, &mut TrustRng::new(99))?;
        expert.load_flat(flat)?;
        f64s(&expert.forward(&images, false)?)
    };
    let per_expert: Vec<Vec<f64>> = traj
        .experts
        .iter()
        .map(|e| logits_of(e.last().unwrap()))
        .collect::<Result<_>>()?;
    let argmax = |row: &[f64]| {
        (0..CLASSES)
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap()
    };
    let mut expected = Vec::new();
    let mut differs_from_expert_zero = false;
    for (i, &label) in labels.iter().enumerate() {
        let rows: Vec<&[f64]> = per_expert
            .iter()
            .map(|l| &l[i * CLASSES..(i + 1) * CLASSES])
            .collect();
        let right: Vec<&[f64]> = rows
            .iter()
            .copied()
            .filter(|r| argmax(r) == label as usize)
            .collect();
        let pool = if right.is_empty() {
            rows.clone()
        } else {
            right
        };
        let mean: Vec<f64> = (0..CLASSES)
            .map(|c| pool.iter().map(|r| r[c]).sum::<f64>() / pool.len() as f64)
            .collect();
        differs_from_expert_zero |= rel_err(&mean, rows[0]) > 1e-3;
        expected.extend(mean);
    }
    assert!(
        differs_from_expert_zero,
        "the fixture must tell the rule from expert 0's logits"
    );
    let got = f64s(z.as_tensor())?;
    assert!(rel_err(&got, &expected) < 1e-12, "{got:?} vs {expected:?}");
    // The images are untouched.
    assert_eq!(f64s(syn.images.as_tensor())?, f64s(&images)?);
    Ok(())
}

#[test]
fn the_soft_student_step_trains_on_the_softmax_of_the_logits() -> Result<()> {
    second_order::run(|| soft_student_step().map_err(wrap))?;
    Ok(())
}

fn soft_student_step() -> Result<()> {
    let mut rng = TrustRng::new(17);
    let shape = ImageShape::new(1, 8, 8);
    let net = tiny_net(shape, CLASSES, &mut rng)?;
    let start = Network::flatten(&net.detached_params())?;
    let target = Network::flatten(&tiny_net(shape, CLASSES, &mut rng)?.detached_params())?;
    let images = randn(&[3, 1, 8, 8], &mut rng)?;
    let logits = Tensor::new(&[[0.3f64, -1.2], [2.0, 0.5], [-0.4, -0.1]], &Device::Cpu)?;
    let lr = Tensor::new(0.3f64, &Device::Cpu)?;
    let steps = vec![StudentStep {
        ids: Tensor::new(&[2u32, 0, 1], &Device::Cpu)?,
        transform: None,
    }];
    let loss = |labels: StudentLabels<'_>| -> Result<f64> {
        Ok(
            trajectory_loss(&net, &start, &target, &steps, &images, labels, &lr)?
                .to_scalar::<f64>()?,
        )
    };
    let soft = loss(StudentLabels::SoftLogits(&logits))?;
    // By hand: p = softmax(z) in plain f64, reordered as the step's ids; the student's CE
    // −mean_n Σ_k p_nk log_softmax(f(x_n))_k; θ1 = θ0 − lr ∇θ CE; ‖θ1 − θ*‖² / ‖θ0 − θ*‖².
    let z = logits.to_vec2::<f64>()?;
    let probs: Vec<f64> = [2usize, 0, 1]
        .iter()
        .flat_map(|&i| {
            let m = z[i][0].max(z[i][1]);
            let e: Vec<f64> = z[i].iter().map(|v| (v - m).exp()).collect();
            let s: f64 = e.iter().sum();
            e.into_iter().map(move |v| v / s)
        })
        .collect();
    let probs = Tensor::from_vec(probs, (3, CLASSES), &Device::Cpu)?;
    let theta = Var::from_tensor(&start)?;
    let x = images.index_select(&Tensor::new(&[2u32, 0, 1], &Device::Cpu)?, 0)?;
    let out = net.forward_with(&net.unflatten(theta.as_tensor())?, &x, true)?;
    let log_p = candle_nn::ops::log_softmax(&out, 1)?;
    let ce = (log_p * &probs)?.sum_all()?.affine(-1.0 / 3.0, 0.0)?;
    let grad = ce.backward()?.get(theta.as_tensor()).unwrap().clone();
    let (s0, g, t) = (f64s(&start)?, f64s(&grad)?, f64s(&target)?);
    let num: f64 = (0..s0.len())
        .map(|j| (s0[j] - 0.3 * g[j] - t[j]).powi(2))
        .sum();
    let den: f64 = (0..s0.len()).map(|j| (s0[j] - t[j]).powi(2)).sum();
    let by_hand = num / den;
    assert!(
        (soft - by_hand).abs() <= 1e-12 * by_hand,
        "{soft} vs {by_hand}"
    );
    // The targets matter: hard labels at the logits' argmax give another loss ...
    let argmax = Tensor::new(&[0u32, 0, 1], &Device::Cpu)?;
    let hard = loss(StudentLabels::Hard(&argmax))?;
    assert!((soft - hard).abs() > 1e-6 * hard, "{soft} vs {hard}");
    // ... while logits 50 apart (softmax one-hot to f64 precision) give the hard loss.
    let peaked = Tensor::new(&[[50f64, 0.], [50., 0.], [0., 50.]], &Device::Cpu)?;
    let one_hot = loss(StudentLabels::SoftLogits(&peaked))?;
    assert!(
        (one_hot - hard).abs() <= 1e-12 * hard,
        "{one_hot} vs {hard}"
    );
    Ok(())
}

#[test]
fn the_label_update_is_one_sgd_step_along_the_trajectory_gradient() -> Result<()> {
    second_order::run(|| label_update().map_err(wrap))?;
    Ok(())
}

fn label_update() -> Result<()> {
    let (sampler, mut syn, mut rng) = setup()?;
    let shape = sampler.dataset().shape();
    let traj = trajectories(shape, 1, &mut rng)?;
    let (start, target) = (traj.experts[0][0].clone(), traj.experts[0][1].clone());
    let cfg = config(2);
    let (lr_labels, lr_init) = (cfg.lr_labels, cfg.lr_init);
    let mut mtt = Mtt::new(cfg, traj)?;
    mtt.init_soft_labels(&mut syn, &tiny_net(shape, CLASSES, &mut rng)?)?;
    let z0 = match &syn.labels {
        SyntheticLabels::Soft(z) => z.as_tensor().detach().copy()?,
        SyntheticLabels::Hard(_) => unreachable!(),
    };
    let images0 = syn.images.as_tensor().detach().copy()?;
    // Replay the step's draws: the student network's fork, expert, start epoch, then per student
    // step the whole set (batch_syn None) in a drawn order; no DSA.
    let n = CLASSES * IPC;
    let mut replay = rng.clone();
    let net = Network::new(
        &tiny_arch(),
        shape,
        CLASSES,
        DType::F64,
        &Device::Cpu,
        &mut replay.fork(),
    )?;
    assert_eq!((replay.below(1), replay.below(1)), (0, 0));
    let steps = (0..2)
        .map(|_| {
            let ids: Vec<u32> = replay
                .choose_indices(n, n)
                .into_iter()
                .map(|i| i as u32)
                .collect();
            Ok(StudentStep {
                ids: Tensor::from_vec(ids, n, &Device::Cpu)?,
                transform: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let ctx = DistillContext {
        real: &sampler,
        iteration: 0,
        progress: &Silent,
    };
    let report = mtt.step(&mut syn, &ctx, &mut rng)?;
    let SyntheticLabels::Soft(z1) = &syn.labels else {
        panic!("the labels stay soft")
    };
    let lr = Tensor::new(lr_init, &Device::Cpu)?;
    let f = |z: &Tensor| -> Result<f64> {
        Ok(trajectory_loss(
            &net,
            &start,
            &target,
            &steps,
            &images0,
            StudentLabels::SoftLogits(z),
            &lr,
        )?
        .to_scalar::<f64>()?)
    };
    assert!(
        (f(&z0)? - report.loss).abs() <= 1e-12 * report.loss,
        "the replayed loss is the step's"
    );
    // First step of momentum SGD (empty buffer): z1 = z0 − lr_labels · ∇z loss.
    let (a, b) = (f64s(&z0)?, f64s(z1.as_tensor())?);
    let applied: Vec<f64> = a.iter().zip(&b).map(|(a, b)| (a - b) / lr_labels).collect();
    let numeric = (0..a.len())
        .map(|j| fd_entry(&f, &z0, j, FD_STEP))
        .collect::<Result<Vec<_>>>()?;
    assert!(
        numeric.iter().any(|g| g.abs() > 1e-8),
        "the label gradient is not trivially zero"
    );
    let err = rel_err(&applied, &numeric);
    assert!(
        err < GRAD_REL_TOL,
        "relative error {err:.3e}: {applied:?} vs {numeric:?}"
    );
    Ok(())
}

#[test]
fn a_soft_label_set_file_round_trips_exactly() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let shape = ImageShape::new(1, 8, 8);
    let mut rng = TrustRng::new(3);
    for dtype in [DType::F32, DType::F64] {
        let images = randn(&[CLASSES * IPC, 1, 8, 8], &mut rng)?.to_dtype(dtype)?;
        // Logits with awkward values: tiny, huge, negative, non-round.
        let mut z = f64s(&randn(&[CLASSES * IPC, CLASSES], &mut rng)?)?;
        z[0] = 1e-30;
        z[1] = -3.0e7;
        z[2] = std::f64::consts::PI;
        let logits =
            Tensor::from_vec(z, (CLASSES * IPC, CLASSES), &Device::Cpu)?.to_dtype(dtype)?;
        let set = SyntheticSet {
            images: Var::from_tensor(&images)?,
            labels: SyntheticLabels::Soft(Var::from_tensor(&logits)?),
            ipc: IPC,
            num_classes: CLASSES,
        };
        let meta = SetMetadata {
            objective: "mtt".into(),
            dataset: "tiny".into(),
            class_names: vec!["a".into(), "b".into()],
            shape,
            preprocess: Preprocess::Normalize(Normalization {
                mean: vec![0.5],
                std: vec![0.25],
            }),
            seed: 4,
            eval_lr: Some(0.0123),
        };
        let path = dir.path().join(format!("soft-{dtype:?}.safetensors"));
        save_set(&path, &set, &meta)?;
        let (back, back_meta) = load_set(&path, &Device::Cpu)?;
        assert_eq!(back_meta, meta);
        assert_eq!((back.ipc, back.num_classes), (IPC, CLASSES));
        let SyntheticLabels::Soft(l) = &back.labels else {
            panic!("soft labels come back soft")
        };
        assert_eq!(l.dtype(), dtype);
        assert_eq!(l.dims(), logits.dims());
        let bits = |t: &Tensor| -> Result<Vec<u64>> {
            let t = t.flatten_all()?;
            Ok(match t.dtype() {
                DType::F32 => t
                    .to_vec1::<f32>()?
                    .iter()
                    .map(|v| u64::from(v.to_bits()))
                    .collect(),
                _ => t.to_vec1::<f64>()?.iter().map(|v| v.to_bits()).collect(),
            })
        };
        assert_eq!(bits(l.as_tensor())?, bits(&logits)?);
        assert_eq!(bits(back.images.as_tensor())?, bits(&images)?);
    }
    Ok(())
}
