//! Objectives built from their [`ObjectiveConfig`].

use crate::config::ObjectiveConfig;
use crate::outlier_set::outlier_gradient_matching_config;
use candle_core::DType;
use trustdd_core::{DistillObjective, Error, RealSampler, Result, SyntheticSet, TrustRng};
use trustdd_distill::{Dm, GradientMatching, MatchTargets, Mtt, Trajectories};
use trustdd_nn::Network;
use trustdd_train::dsa::DsaConfig;

/// What building an objective may use: the run's real data (trusted when a partitioner is
/// on), the synthetic set it will update, and MTT's expert trajectories.
pub struct ObjectiveInputs<'a> {
    /// The real data the set is initialised from.
    pub real: &'a dyn RealSampler,
    /// The synthetic set (MTT with soft labels initialises its labels here).
    pub syn: &'a mut SyntheticSet,
    /// Expert trajectories, trained first when the configured objective is MTT.
    pub trajectories: Option<Trajectories>,
}

/// Builds `config`'s objective.
///
/// # Errors
/// The library's validation errors; an invalid-parameter error for MTT without trajectories.
pub fn build_objective(
    config: &ObjectiveConfig,
    inputs: ObjectiveInputs<'_>,
) -> Result<Box<dyn DistillObjective>> {
    Ok(match config {
        ObjectiveConfig::Dm(c) => Box::new(Dm::new(c.clone())?),
        ObjectiveConfig::Dc(c) | ObjectiveConfig::Dsa(c) => {
            let c = match config {
                ObjectiveConfig::Dsa(_) => with_dsa(c),
                _ => c.clone(),
            };
            // Fails now, not at the first iteration, for an IPC outside the loop table.
            c.loops(inputs.syn.ipc)?;
            Box::new(GradientMatching::new(c)?)
        }
        ObjectiveConfig::Mtt(c) => {
            let trajectories = inputs.trajectories.ok_or_else(|| {
                Error::invalid(
                    "mtt trajectories",
                    "none",
                    "expert trajectories trained first",
                )
            })?;
            let mtt = Mtt::new(c.mtt.clone(), trajectories)?;
            if c.soft_labels {
                let net = Network::new(
                    &c.mtt.arch,
                    inputs.real.image_shape(),
                    inputs.syn.num_classes,
                    DType::F32,
                    inputs.real.device(),
                    &mut TrustRng::new(0),
                )?;
                mtt.init_soft_labels(inputs.syn, &net)?;
            }
            Box::new(mtt)
        }
    })
}

/// Builds the objective that distils the outlier set of a run with `num_classes` classes at
/// `ipc`: DM as configured, or gradient matching with uniform targets over `num_classes`
/// outputs (L_OE) and the in-distribution IPC's loops.
///
/// # Errors
/// As [`build_objective`]; an invalid-parameter error for MTT.
pub fn build_outlier_objective(
    config: &ObjectiveConfig,
    num_classes: usize,
    ipc: usize,
) -> Result<Box<dyn DistillObjective>> {
    let uniform = MatchTargets::Uniform {
        outputs: num_classes,
    };
    Ok(match config {
        ObjectiveConfig::Dm(c) => Box::new(Dm::new(c.clone())?),
        ObjectiveConfig::Dc(c) => Box::new(GradientMatching::with_targets(
            outlier_gradient_matching_config(c, ipc)?,
            uniform,
        )?),
        ObjectiveConfig::Dsa(c) => Box::new(GradientMatching::with_targets(
            outlier_gradient_matching_config(&with_dsa(c), ipc)?,
            uniform,
        )?),
        ObjectiveConfig::Mtt(_) => {
            return Err(Error::invalid(
                "outliers.objective",
                "mtt",
                "dm, dc or dsa (experts have no outlier counterpart)",
            ))
        }
    })
}

/// A DSA config with its augmentation on (the default one when the table leaves it out).
fn with_dsa(
    c: &trustdd_distill::GradientMatchingConfig,
) -> trustdd_distill::GradientMatchingConfig {
    let mut c = c.clone();
    c.dsa.get_or_insert_with(DsaConfig::default);
    c
}
