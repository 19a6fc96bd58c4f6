//! The short tables `trustdd distill` prints: accuracy of every distillation of the run, and the
//! TAD partition's quality per round.

use super::RunReport;
use crate::trust_table::print_rounds;
use anyhow::Result;
use std::io::Write;
use std::path::Path;
use trustdd_train::EvalReport;
use trustdd_trust::RoundDiagnostics;

pub(crate) fn print_table(r: &RunReport<'_>, out: &Path) -> Result<()> {
    let s = r.settings;
    let mut w = std::io::stdout().lock();
    let noise = match &r.noise {
        Some(n) => format!("{} (realised {:.2}%)", s.noise, 100.0 * n.rate),
        None => "none".to_string(),
    };
    let (distill, eval): (f64, f64) = r.runs.iter().fold((0.0, 0.0), |(d, e), run| {
        (
            d + run.distill.distill_seconds,
            e + run.distill.eval_seconds,
        )
    });
    writeln!(
        w,
        "{} on {}, noise {noise}, IPC {}, {} iterations, ConvNet-{} width {}: distill {distill:.1} s, evaluation {eval:.1} s, total {:.1} s",
        s.objective.to_uppercase(), s.dataset, s.ipc, s.iterations, s.depth, s.width, r.total_seconds
    )?;
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
                s.eval_runs,
                s.eval_epochs,
                100.0 * a.mean,
                100.0 * a.std
            )?;
        }
    }
    for run in &r.runs {
        let Some(json) = &run.trust else { continue };
        let Ok(rounds) = serde_json::from_value::<Vec<RoundDiagnostics>>(json.clone()) else {
            continue;
        };
        print_rounds(&mut w, &run.label, &rounds)?;
    }
    writeln!(
        w,
        "wrote {}/{{synthetic.safetensors, synthetic.png, report.json}}",
        out.display()
    )?;
    Ok(())
}
