//! `Pipeline::partition` (the `partition` command) fits the rounds a distillation fits: one
//! code path, so the two entry points cannot disagree again (issue 18).

use crate::tiny;

use anyhow::Result;
use tiny::{tiny_arch, tiny_run};
use trustdd_core::Silent;
use trustdd_distill::{ExpertConfig, MttConfig};
use trustdd_pipeline::{
    MttRunConfig, ObjectiveConfig, PartitionReport, PartitionerConfig, RunConfig, RunReport,
};

/// Runs `config` and `rounds` rounds of its partition, and checks that the run fitted exactly
/// those rounds.
fn run_and_partition(config: &RunConfig, rounds: usize) -> Result<(RunReport, PartitionReport)> {
    let run = config.build()?.run(&Silent)?;
    let run_rounds = &run.runs.last().expect("the primary run").rounds;
    assert_eq!(run_rounds.len(), rounds);
    let partition = config.build()?.partition(rounds, &Silent)?;
    assert_eq!(
        serde_json::to_value(&partition.rounds)?,
        serde_json::to_value(run_rounds)?
    );
    Ok((run, partition))
}

#[test]
fn partition_rounds_are_the_first_rounds_of_a_run() -> Result<()> {
    let mut config = tiny_run();
    config.compare = false;
    config.iterations = 3;
    // One warm-up round, then refits at iterations 1 and 2.
    let (run, partition) = run_and_partition(&config, 3)?;
    let run_rounds = &run.runs.last().expect("the primary run").rounds;
    assert_eq!(
        serde_json::to_value(&partition.config)?,
        serde_json::to_value(&run.config)?
    );
    assert!(partition.rounds.iter().all(|r| r.precision.is_some()));
    // Each round carries TAD's own record, whose per-class trusted counts add up to the round's.
    for r in &partition.rounds {
        let d = r.details.as_ref().expect("tad records its rounds");
        assert_eq!(d["round"].as_u64(), Some(r.round as u64));
        let classes = d["classes"].as_array().expect("per-class diagnostics");
        assert!(classes.iter().all(|c| c.get("threshold").is_some()));
        let trusted: u64 = classes.iter().filter_map(|c| c["trusted"].as_u64()).sum();
        assert_eq!(trusted, r.trusted as u64);
    }
    // Fewer rounds are a prefix.
    let two = config.build()?.partition(2, &Silent)?;
    assert_eq!(
        serde_json::to_value(&two.rounds)?,
        serde_json::to_value(&run_rounds[..2])?
    );
    Ok(())
}

#[test]
fn an_mtt_run_s_expert_refits_are_the_partition_command_s_rounds() -> Result<()> {
    let mut config = tiny_run();
    config.compare = false;
    config.iterations = 1;
    config.objective = ObjectiveConfig::Mtt(MttRunConfig {
        mtt: MttConfig {
            arch: tiny_arch(),
            syn_steps: 2,
            expert_epochs: 1,
            max_start_epoch: 1,
            dsa: None,
            ..MttConfig::default()
        },
        experts: ExpertConfig {
            arch: tiny_arch(),
            experts: 1,
            epochs: 3,
            batch_size: 32,
            dsa: None,
            ..ExpertConfig::default()
        },
        soft_labels: false,
    });
    // A refit before each of the 3 expert epochs: two warm-up rounds, then refit 1.
    config.trust.warmup_rounds = 2;
    config.trust.refresh_epochs = 1;
    run_and_partition(&config, 3)?;
    Ok(())
}

#[test]
fn partition_needs_a_partitioner_and_a_round() -> Result<()> {
    let config = tiny_run();
    let err = config.build()?.partition(0, &Silent).unwrap_err();
    assert!(err.to_string().contains("rounds"), "{err}");
    let mut none = tiny_run();
    none.partitioner = PartitionerConfig::None;
    let err = none.build()?.partition(1, &Silent).unwrap_err();
    assert!(err.to_string().contains("partitioner"), "{err}");
    Ok(())
}

/// The cross-fitted partitioner runs through the same rounds in a soft-diverted run and in the
/// partition command: two iterations in the first round, one more in each refit.
#[test]
fn a_cross_fit_run_s_rounds_are_the_partition_command_s_rounds() -> Result<()> {
    let mut config = tiny_run();
    config.compare = false;
    config.iterations = 3;
    config.trust.diversion = trustdd_pipeline::Diversion::Soft;
    let defaults = trustdd_trust::CrossFitConfig::default();
    config.partitioner = PartitionerConfig::CrossFit(trustdd_trust::CrossFitConfig {
        arch: tiny_arch(),
        train: trustdd_train::TrainConfig {
            epochs: 4,
            batch_size: 16,
            ..defaults.train.clone()
        },
        iterations: 2,
        refit_iterations: 1,
        min_trusted_per_class: 2,
        ..defaults
    });
    let (_, partition) = run_and_partition(&config, 3)?;
    assert_eq!(partition.partitioner, "cross_fit");
    let iterations: Vec<Vec<u64>> = partition
        .rounds
        .iter()
        .map(|r| {
            let d = r.details.as_ref().expect("cross-fit records its rounds");
            assert_eq!(d["trusted"].as_u64(), Some(r.trusted as u64));
            d["iterations"]
                .as_array()
                .expect("the round's iterations")
                .iter()
                .filter_map(|i| i["iteration"].as_u64())
                .collect()
        })
        .collect();
    assert_eq!(iterations, vec![vec![1, 2], vec![3], vec![4]]);
    assert!(partition.picture.is_some());
    Ok(())
}
