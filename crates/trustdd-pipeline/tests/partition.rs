//! `Pipeline::partition` (the `partition` command) fits the rounds a distillation fits: one
//! code path, so the two entry points cannot disagree again (issue 18).

use crate::tiny;

use anyhow::Result;
use tiny::tiny_run;
use trustdd_core::Silent;
use trustdd_pipeline::PartitionerConfig;

#[test]
fn partition_rounds_are_the_first_rounds_of_a_run() -> Result<()> {
    let mut config = tiny_run();
    config.compare = false;
    config.iterations = 3;
    let run = config.build()?.run(&Silent)?;
    let run_rounds = &run.runs.last().expect("the primary run").rounds;
    // One warm-up round, then refits at iterations 1 and 2.
    assert_eq!(run_rounds.len(), 3);
    let partition = config.build()?.partition(3, &Silent)?;
    assert_eq!(
        serde_json::to_value(&partition.rounds)?,
        serde_json::to_value(run_rounds)?
    );
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
