//! The per-round table of any partitioner, printed by `trustdd distill` and `trustdd partition`.

use anyhow::Result;
use std::io::Write;
use trustdd_core::{Figure, PartitionRound};

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.2}%", 100.0 * v))
}

fn render(f: &Figure) -> String {
    match f {
        Figure::Count(n) => n.to_string(),
        Figure::Fraction(v) => percent(*v),
        Figure::Value(v) => format!("{v:.4}"),
    }
}

/// Prints one row per round: trusted count, precision (working label correct), recall
/// (correctly-labelled samples trusted), the partitioner's own figures (the first round's
/// names), and the round's seconds.
pub fn print_rounds(
    w: &mut dyn Write,
    partitioner: &str,
    title: &str,
    rounds: &[PartitionRound],
) -> Result<()> {
    let names: Vec<&str> = rounds
        .first()
        .map(|r| r.figures.iter().map(|(n, _)| n.as_str()).collect())
        .unwrap_or_default();
    writeln!(
        w,
        "{partitioner} partition ({title}): precision = trusted samples whose working label is right, recall = correctly-labelled samples trusted"
    )?;
    let extra: String = names.iter().map(|n| format!(" {n} |")).collect();
    writeln!(
        w,
        "| round | trusted | precision | recall |{extra} seconds |"
    )?;
    writeln!(w, "|---|---|---|---|{}---|", "---|".repeat(names.len()))?;
    for r in rounds {
        let figures: String = names
            .iter()
            .map(|n| {
                let v = r
                    .figures
                    .iter()
                    .find(|(m, _)| m == n)
                    .map(|(_, f)| render(f));
                format!(" {} |", v.unwrap_or_else(|| "-".into()))
            })
            .collect();
        writeln!(
            w,
            "| {} | {} / {} | {} | {} |{figures} {:.1} |",
            r.round,
            r.trusted,
            r.total,
            percent(r.precision),
            percent(r.recall),
            r.seconds
        )?;
    }
    Ok(())
}
