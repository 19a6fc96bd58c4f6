//! The per-round table of a TAD partition, printed by `trustdd distill` and `trustdd partition`.

use anyhow::Result;
use std::io::Write;
use trustdd_trust::RoundDiagnostics;

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.2}%", 100.0 * v))
}

/// Prints one row per round: trusted count, precision (working label correct), recall
/// (correctly-labelled samples trusted), recalled samples and how many of them are right.
pub fn print_rounds(w: &mut dyn Write, title: &str, rounds: &[RoundDiagnostics]) -> Result<()> {
    writeln!(
        w,
        "TAD partition ({title}): precision = trusted samples whose working label is right, recall = correctly-labelled samples trusted"
    )?;
    writeln!(
        w,
        "| round | trusted | precision | recall | recalled | recalled correct | seconds |"
    )?;
    writeln!(w, "|---|---|---|---|---|---|---|")?;
    for d in rounds {
        writeln!(
            w,
            "| {} | {} / {} | {} | {} | {} | {} | {:.1} |",
            d.round,
            d.trusted,
            d.trusted + d.untrusted,
            percent(d.precision),
            percent(d.recall),
            d.recalled_total,
            percent(d.recalled_accuracy),
            d.seconds
        )?;
    }
    Ok(())
}
