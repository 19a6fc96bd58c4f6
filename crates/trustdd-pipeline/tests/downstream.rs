//! A downstream partitioner and a downstream objective run through `RunConfig`-built pipelines
//! in TAD's and DM's places: their diagnostics come back in the report, and their own error
//! types come back intact inside the core error.

use crate::tiny;

use candle_core::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tiny::tiny_run;
use trustdd_core::{
    DistillContext, DistillObjective, Error, Figure, PartitionContext, Result, Silent, StepReport,
    SyntheticSet, TrustPartition, TrustPartitioner, TrustRng,
};
use trustdd_pipeline::RunConfig;

#[derive(Debug, PartialEq, thiserror::Error)]
enum PartitionerError {
    #[error("refused round {0}")]
    Refused(usize),
}

#[derive(Debug, PartialEq, thiserror::Error)]
enum ObjectiveError {
    #[error("gave up at iteration {0}")]
    GaveUp(usize),
}

/// Trusts the even-indexed samples; refuses the round `fail_at`, if any.
struct EveryOther {
    current: Option<TrustPartition>,
    rounds_seen: usize,
    fail_at: Option<usize>,
}

impl TrustPartitioner for EveryOther {
    fn name(&self) -> String {
        "every-other".into()
    }
    fn observe(&mut self, ctx: &PartitionContext<'_>, _rng: &mut TrustRng) -> Result<()> {
        if self.fail_at == Some(ctx.round) {
            return Err(Error::strategy(
                self.name(),
                PartitionerError::Refused(ctx.round),
            ));
        }
        self.rounds_seen += 1;
        self.current = Some(TrustPartition {
            trusted: (0..ctx.dataset.len()).map(|i| i % 2 == 0).collect(),
            working_labels: ctx.dataset.labels().to_vec(),
        });
        Ok(())
    }
    fn partition(&self) -> Option<&TrustPartition> {
        self.current.as_ref()
    }
    fn round_figures(&self) -> Vec<(String, Figure)> {
        vec![("rounds seen".into(), Figure::Count(self.rounds_seen))]
    }
}

/// Nudges the set toward the real class means; records whether it ever saw an odd sample (one
/// the partitioner does not trust); gives up at iteration `fail_at`, if any.
struct TowardMeans {
    saw_untrusted: Arc<AtomicBool>,
    fail_at: Option<usize>,
}

impl DistillObjective for TowardMeans {
    fn name(&self) -> String {
        "toward-means".into()
    }
    fn step(
        &mut self,
        syn: &mut SyntheticSet,
        ctx: &DistillContext<'_>,
        rng: &mut TrustRng,
    ) -> Result<StepReport> {
        if self.fail_at == Some(ctx.iteration) {
            return Err(Error::strategy(
                self.name(),
                ObjectiveError::GaveUp(ctx.iteration),
            ));
        }
        let mut parts = Vec::new();
        for c in 0..syn.num_classes {
            let members = ctx.real.class_members(c);
            if members.iter().any(|i| i % 2 == 1) {
                self.saw_untrusted.store(true, Ordering::SeqCst);
            }
            let mean = ctx.real.sample(c, 4, rng)?.mean_keepdim(0)?;
            let own = syn.class_images(c)?;
            parts.push((&own + mean.broadcast_sub(&own)?.affine(0.1, 0.0)?)?);
        }
        syn.images.set(&Tensor::cat(&parts, 0)?)?;
        Ok(StepReport {
            loss: 0.0,
            eval_lr: None,
        })
    }
}

/// The test config as a TOML file would give it: the pipeline is built from the parsed text.
fn from_toml(config: &RunConfig) -> RunConfig {
    let text = toml::to_string(config).expect("a RunConfig renders as TOML");
    toml::from_str(&text).expect("and parses back")
}

#[test]
fn a_downstream_partitioner_and_objective_run_in_tad_and_dm_places() -> anyhow::Result<()> {
    let config = RunConfig {
        compare: false,
        ..from_toml(&tiny_run())
    };
    let saw_untrusted = Arc::new(AtomicBool::new(false));
    let seen = saw_untrusted.clone();
    let report = config
        .build()?
        .with_partitioner("every other sample", |_| {
            Ok(Box::new(EveryOther {
                current: None,
                rounds_seen: 0,
                fail_at: None,
            }))
        })
        .with_objective("toward means", move |_| {
            Ok(Box::new(TowardMeans {
                saw_untrusted: seen.clone(),
                fail_at: None,
            }))
        })
        .run(&Silent)?;
    let run = report.runs.last().expect("the primary run");
    assert_eq!(run.partitioner.as_deref(), Some("every-other"));
    assert_eq!(run.label, "noisy labels + EVERY-OTHER");
    assert_eq!(run.distill.objective, "toward-means+every-other");
    assert_eq!(run.distill.losses.len(), 2);
    assert!(
        !saw_untrusted.load(Ordering::SeqCst),
        "the objective saw untrusted samples"
    );
    // One warm-up round, then refits at iterations 0 (skipped: primed) and 1.
    let rounds: Vec<usize> = run.rounds.iter().map(|r| r.round).collect();
    assert_eq!(rounds, [0, 1]);
    for (k, r) in run.rounds.iter().enumerate() {
        assert_eq!((r.trusted, r.total), (150, 300));
        assert_eq!(
            r.figures,
            [("rounds seen".to_string(), Figure::Count(k + 1))]
        );
        // Measured by the pipeline against the clean labels, for any partitioner.
        assert!(r.precision.is_some_and(|p| (0.0..=1.0).contains(&p)));
    }
    assert_eq!(
        report.overrides,
        [
            ("objective".to_string(), "toward means".to_string()),
            ("partitioner".to_string(), "every other sample".to_string())
        ]
    );
    Ok(())
}

#[test]
fn downstream_errors_come_back_with_their_types() -> anyhow::Result<()> {
    let config = RunConfig {
        compare: false,
        ..from_toml(&tiny_run())
    };
    let e = config
        .build()?
        .with_partitioner("fails", |_| {
            Ok(Box::new(EveryOther {
                current: None,
                rounds_seen: 0,
                fail_at: Some(1),
            }))
        })
        .run(&Silent)
        .expect_err("the partitioner refuses its second round");
    assert_eq!(
        e.downcast_ref::<PartitionerError>(),
        Some(&PartitionerError::Refused(1)),
        "{e}"
    );
    assert!(
        e.to_string().starts_with("every-other: refused round 1"),
        "{e}"
    );

    let e = config
        .build()?
        .with_objective("fails", |_| {
            Ok(Box::new(TowardMeans {
                saw_untrusted: Arc::default(),
                fail_at: Some(1),
            }))
        })
        .run(&Silent)
        .expect_err("the objective gives up");
    assert_eq!(
        e.downcast_ref::<ObjectiveError>(),
        Some(&ObjectiveError::GaveUp(1)),
        "{e}"
    );
    // A built-in error is not mistaken for a downstream one.
    assert!(e.downcast_ref::<PartitionerError>().is_none());
    Ok(())
}
