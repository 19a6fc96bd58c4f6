//! MTT at IPC 10 with a bounded student batch (`batch_syn`): the unrolled graph's memory grows
//! with the images per student step, so IPC 10 runs on a CPU only with a batch smaller than the
//! whole set. The update must then touch exactly the images some student step drew.

use crate::common;

use anyhow::Result;
use candle_core::DType;
use common::{tiny_arch, tiny_net, tiny_sampler};
use trustdd_core::{DistillContext, DistillObjective, Silent, SyntheticSet, TrustRng};
use trustdd_distill::{Mtt, MttConfig, Trajectories};
use trustdd_nn::Network;

/// `classes·ipc` f64 images from the tiny data, one two-point trajectory, and MTT with
/// `steps` student steps of `batch` images (no DSA); the stream continues after the setup.
fn setup(
    classes: usize,
    ipc: usize,
    batch: usize,
    steps: usize,
    seed: u64,
) -> Result<(trustdd_core::DatasetSampler, SyntheticSet, Mtt, TrustRng)> {
    let sampler = tiny_sampler(classes, 12, 5)?;
    let mut rng = TrustRng::new(seed);
    let mut syn = SyntheticSet::from_real(&sampler, ipc, &mut rng)?;
    // f64 trajectories need f64 images; the tiny sampler gives f32.
    syn.images = candle_core::Var::from_tensor(&syn.images.as_tensor().to_dtype(DType::F64)?)?;
    let shape = sampler.dataset().shape();
    let start = Network::flatten(&tiny_net(shape, classes, &mut rng)?.detached_params())?;
    let target = Network::flatten(&tiny_net(shape, classes, &mut rng)?.detached_params())?;
    let trajectories = Trajectories {
        experts: vec![vec![start, target]],
    };
    let config = MttConfig {
        arch: tiny_arch(),
        syn_steps: steps,
        expert_epochs: 1,
        max_start_epoch: 1,
        batch_syn: Some(batch),
        dsa: None,
        ..MttConfig::default()
    };
    Ok((sampler, syn, Mtt::new(config, trajectories)?, rng))
}

#[test]
fn ipc10_with_a_bounded_student_batch_updates_only_drawn_images() -> Result<()> {
    let (classes, ipc, batch, steps) = (2, 10, 3, 2);
    let (sampler, mut syn, mut mtt, mut rng) = setup(classes, ipc, batch, steps, 21)?;
    let before = syn.images.as_tensor().flatten_from(1)?.to_vec2::<f64>()?;
    // The draws `step` makes, replayed from a copy of the stream in the order `Mtt::step` makes
    // them: the student network's fork, the expert, the start epoch, then one permutation of the
    // set cut into chunks of `batch`, taken from the end, one per student step (no DSA, so no
    // transform draws in between), as the reference's `indices_chunks`.
    let mut replay = rng.clone();
    let _student = replay.fork();
    let _expert = replay.below(1);
    let _start_epoch = replay.below(1);
    let mut perm: Vec<usize> = (0..classes * ipc).collect();
    replay.shuffle(&mut perm);
    let mut chunks: Vec<Vec<usize>> = perm.chunks(batch).map(<[usize]>::to_vec).collect();
    let mut drawn = vec![false; classes * ipc];
    for _ in 0..steps {
        let ids = chunks.pop().unwrap();
        assert!(!ids.is_empty() && ids.len() <= batch);
        for i in ids {
            drawn[i] = true;
        }
    }
    let ctx = DistillContext {
        real: &sampler,
        iteration: 0,
        progress: &Silent,
    };
    let report = mtt.step(&mut syn, &ctx, &mut rng)?;
    assert!(report.loss.is_finite());
    let after = syn.images.as_tensor().flatten_from(1)?.to_vec2::<f64>()?;
    assert_eq!(before.len(), classes * ipc);
    let changed: Vec<bool> = before.iter().zip(&after).map(|(b, a)| b != a).collect();
    // Exactly the drawn images moved: every drawn one (its gradient is non-zero), none other.
    assert_eq!(
        changed, drawn,
        "changed images (left) differ from the drawn ones (right)"
    );
    // The stream advanced exactly as replayed: the next draw agrees.
    assert_eq!(rng.next_u64(), replay.next_u64());
    Ok(())
}

/// The reference's student batches: one pass over a permutation visits every image exactly once
/// (7 steps of 3 over 20 images: six chunks of 3 and a last of 2), and the next pass starts a new
/// permutation. Independent draws per step would repeat images and leave others out.
#[test]
fn a_pass_of_student_steps_visits_every_image_once() -> Result<()> {
    let (classes, ipc, batch) = (2, 10, 3);
    let (sampler, mut syn, mut mtt, mut rng) = setup(classes, ipc, batch, 7, 3)?;
    let before = syn.images.as_tensor().flatten_from(1)?.to_vec2::<f64>()?;
    let ctx = DistillContext {
        real: &sampler,
        iteration: 0,
        progress: &Silent,
    };
    mtt.step(&mut syn, &ctx, &mut rng)?;
    let after = syn.images.as_tensor().flatten_from(1)?.to_vec2::<f64>()?;
    let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
    assert_eq!(moved, classes * ipc, "one pass must visit every image");
    Ok(())
}
