//! The OOD table `trustdd distill --outliers` and `trustdd ood` print.

use anyhow::Result;
use std::io::Write;
use trustdd_ood::{OodReport, ScoreKind};

/// Prints accuracy and, per score (MSP first, then MaxLogit and Energy, as the paper reports
/// MSP) and OOD set, AUROC and FPR95 for each labelled report (for example the plain distilled
/// set and the set with distilled outliers).
pub fn print_ood_table(reports: &[(&str, &OodReport)]) -> Result<()> {
    let mut w = std::io::stdout().lock();
    writeln!(
        w,
        "| score | training set | network | OOD set | AUROC | FPR95 | test accuracy |"
    )?;
    writeln!(w, "|---|---|---|---|---|---|---|")?;
    for score in ScoreKind::ALL {
        for (label, report) in reports {
            for arch in &report.architectures {
                let Some(s) = arch.scores.iter().find(|s| s.score == score) else {
                    continue;
                };
                let acc = format!(
                    "{:.2} ± {:.2}%",
                    100.0 * arch.accuracy.mean,
                    100.0 * arch.accuracy.std
                );
                let rows = s
                    .sets
                    .iter()
                    .map(|set| (set.name.as_str(), &set.summary))
                    .chain(std::iter::once(("mean", &s.mean_over_sets)));
                for (set, m) in rows {
                    writeln!(
                        w,
                        "| {} | {label} | {} | {set} | {:.2} ± {:.2} | {:.2} ± {:.2} | {acc} |",
                        score.name(),
                        arch.name,
                        m.auroc.mean,
                        m.auroc.std,
                        m.fpr95.mean,
                        m.fpr95.std
                    )?;
                }
            }
        }
    }
    Ok(())
}
