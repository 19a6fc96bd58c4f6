//! The short tables `trustdd distill` prints from a [`RunReport`]: accuracy of every
//! distillation of the run, every partitioner's rounds, and the OOD table with outliers.

use crate::archs::describe;
use crate::ood_table::print_ood_table;
use crate::trust_table::print_rounds;
use anyhow::Result;
use std::io::Write;
use trustdd_pipeline::{ReferenceLabels, RunReport};
use trustdd_train::EvalReport;

/// Prints the run's tables and where its files went.
pub(crate) fn print_report(r: &RunReport) -> Result<()> {
    let c = &r.config;
    let mut w = std::io::stdout().lock();
    let noise = match &r.noise {
        Some(n) => format!("{} (realised {:.2}%)", c.noise, 100.0 * n.rate),
        None => "none".to_string(),
    };
    let (distill, eval) = r.runs.iter().fold((0.0, 0.0), |(d, e), run| {
        (
            d + run.distill.distill_seconds,
            e + run.distill.eval_seconds,
        )
    });
    writeln!(
        w,
        "{} on {}, noise {noise}, IPC {}, {} iterations, {}: distill {distill:.1} s, evaluation {eval:.1} s, total {:.1} s",
        c.objective.kind().to_uppercase(),
        c.data.dataset,
        c.ipc,
        c.iterations,
        describe(c.objective.arch()),
        r.total_seconds
    )?;
    for (role, name) in &r.overrides {
        writeln!(w, "{role}: {name} (replaced through the pipeline)")?;
    }
    writeln!(
        w,
        "| set | network | runs x epochs | test accuracy (mean ± std) |"
    )?;
    writeln!(w, "|---|---|---|---|")?;
    let mut rows: Vec<(String, &EvalReport)> = Vec::new();
    for run in &r.runs {
        if let Some(b) = &run.baseline {
            rows.push((format!("random real (init, {})", run.label), b));
        }
    }
    for run in &r.runs {
        if let Some(last) = run.distill.evaluations.last() {
            rows.push((
                format!("{} ({})", run.distill.objective.to_uppercase(), run.label),
                &last.report,
            ));
        }
    }
    for (name, rep) in rows {
        for a in &rep.architectures {
            writeln!(
                w,
                "| {name} | {} | {} x {} | {:.2} ± {:.2}% |",
                a.name,
                c.eval.runs,
                c.eval.train.epochs,
                100.0 * a.mean,
                100.0 * a.std
            )?;
        }
    }
    if r.validation_size > 0 {
        writeln!(
            w,
            "| set | network | validation accuracy ({} held-out training images) |",
            r.validation_size
        )?;
        writeln!(w, "|---|---|---|")?;
        for run in &r.runs {
            for a in run.validation.iter().flat_map(|v| &v.architectures) {
                writeln!(
                    w,
                    "| {} ({}) | {} | {:.2} ± {:.2}% |",
                    run.distill.objective.to_uppercase(),
                    run.label,
                    a.name,
                    100.0 * a.mean,
                    100.0 * a.std
                )?;
            }
        }
    }
    if let Some(k) = &r.ranking {
        let s = &k.summary;
        let cached = if k.full_data_cached { ", cached" } else { "" };
        let labels = match k.labels {
            ReferenceLabels::Observed => "observed",
            ReferenceLabels::Clean => "clean",
        };
        writeln!(
            w,
            "DD-Ranking ({}, {labels} labels; full data {:.2}%{cached}; random subsets {:.2}%): HLR {:.2} ± {:.2}, IOR {:.2} ± {:.2} (points), LRS {:.2} ± {:.2}%",
            k.architecture,
            100.0 * k.full_data_accuracy,
            100.0 * trustdd_train::mean_std(&k.random_accuracies).0,
            100.0 * s.hlr_mean,
            100.0 * s.hlr_std,
            100.0 * s.ior_mean,
            100.0 * s.ior_std,
            100.0 * s.lrs_mean,
            100.0 * s.lrs_std,
        )?;
    }
    for run in r.runs.iter().filter(|run| !run.rounds.is_empty()) {
        let partitioner = run.partitioner.as_deref().unwrap_or("trust").to_uppercase();
        print_rounds(&mut w, &partitioner, &run.label, &run.rounds)?;
    }
    if let Some(out) = &c.out {
        let outliers = if r.outliers.is_some() {
            ", outliers.safetensors, ood.png"
        } else {
            ""
        };
        writeln!(
            w,
            "wrote {}/{{synthetic.safetensors, synthetic.png, report.json{outliers}}}",
            out.display()
        )?;
    }
    drop(w);
    if let Some(o) = &r.outliers {
        print_ood_table(&[
            ("distilled", &o.plain),
            ("distilled + outliers", &o.exposed),
        ])?;
    }
    Ok(())
}
