//! The `trustdd` command-line program: parses arguments, loads data, runs the libraries and
//! renders their progress events. The only crate in the workspace that prints.
#![deny(missing_docs)]

mod archs;
mod commands;
mod config_file;
mod data_args;
mod ood_table;
mod progress_bar;
mod trust_table;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Trustworthy dataset distillation.
#[derive(Debug, Parser)]
#[command(name = "trustdd", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Hide progress bars.
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a network on a real dataset and report test accuracy (default: the embedded digits).
    Train(commands::train::TrainArgs),
    /// Apply a label-noise model to a dataset's training labels and print the noise report.
    Noise(commands::noise::NoiseArgs),
    /// Distil a dataset into a few synthetic images per class, evaluate them, and write the set,
    /// a PNG grid and a JSON report (default, the main job: the embedded digits with 40%
    /// asymmetric label noise, distilled by DM + TAD beside DM on noisy and on clean labels).
    Distill(Box<commands::distill::DistillArgs>),
    /// Train fresh networks on a saved synthetic set and print test accuracy per network.
    Eval(commands::eval::EvalArgs),
    /// Train fresh networks on a saved synthetic set (and its outliers) and print OOD-detection
    /// metrics (AUROC, FPR95) against a list of OOD sets.
    Ood(Box<commands::ood::OodArgs>),
    /// Run only the trust partitioning (TAD or cross_fit) on a noisy dataset and print
    /// precision and recall of the trusted set per round.
    Partition(commands::partition::PartitionArgs),
}

/// Runs the program; returns the process exit code. Any error is printed as one line on stderr
/// and gives exit code 1 (argument errors: 2, as clap's convention).
pub fn main() -> ExitCode {
    // trustdd-data catches the parquet crate's panics on malformed files and returns an error,
    // which is printed below; the default hook's report of the caught panic would only add noise.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !trustdd_data::panic_is_caught_parquet_error(info) {
            report(info)
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version requests are "errors" to clap but successes to the user.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("trustdd: error: {}", clap_one_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Train(args) => commands::train::run(&args, cli.quiet),
        Command::Noise(args) => commands::noise::run(&args),
        Command::Distill(args) => commands::distill::run(&args, cli.quiet),
        Command::Eval(args) => commands::eval::run(&args, cli.quiet),
        Command::Ood(args) => commands::ood::run(&args, cli.quiet),
        Command::Partition(args) => commands::partition::run(&args, cli.quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that went away (`trustdd ... | head`) is a normal way for output to end.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trustdd: error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// clap's multi-line report (message, tips, usage, "For more information...") as one line: the
/// message and its tips, which say what was wrong and what was meant, then a pointer to `--help`.
fn clap_one_line(rendered: &str) -> String {
    let parts = rendered
        .lines()
        .map(str::trim)
        // Usage (with its continuation lines) and the pointer to --help close the report.
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .chain(["see --help"]);
    let mut line = String::new();
    for part in parts {
        if !line.is_empty() {
            // "the following required arguments were not provided:" introduces what follows.
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    line
}

/// The error and its causes joined on one line; a cause already quoted in the message before it
/// (libraries often include their source in their own message) is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain().map(|c| c.to_string()) {
        if line.contains(&cause) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&cause);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_fold_to_one_line_with_their_tips() {
        for args in [
            &["trustdd", "distill", "--ipcs", "3"][..],
            &["trustdd", "distill", "--ipc", "three"],
            &["trustdd", "frobnicate"],
            &["trustdd"],
            &["trustdd", "eval"],
        ] {
            let e = Cli::try_parse_from(args).expect_err("invalid arguments");
            let line = clap_one_line(&e.render().to_string());
            assert!(!line.contains('\n'), "{args:?}: {line}");
            assert!(!line.starts_with("error:"), "{args:?}: {line}");
            assert!(line.ends_with("see --help"), "{args:?}: {line}");
            assert!(line.len() > "see --help".len() + 10, "{args:?}: {line}");
        }
        let e = Cli::try_parse_from(["trustdd", "distill", "--ipcs", "3"]).unwrap_err();
        let line = clap_one_line(&e.render().to_string());
        assert!(
            line.contains("'--ipcs'") && line.contains("'--ipc'"),
            "{line}"
        );
        let e = Cli::try_parse_from(["trustdd", "eval"]).unwrap_err();
        let line = clap_one_line(&e.render().to_string());
        assert!(line.contains("not provided: <SET>"), "{line}");
        let e = Cli::try_parse_from(["trustdd", "--help"]).unwrap_err();
        assert!(!e.use_stderr(), "help goes to stdout with exit code 0");
    }

    #[test]
    fn one_line_skips_causes_already_in_the_message() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(io).context("reading x.bin: gone");
        assert_eq!(one_line(&e), "reading x.bin: gone");
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(one_line(&e), "outer: inner");
        let pipe = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "closed");
        assert!(is_broken_pipe(
            &anyhow::Error::new(pipe).context("printing")
        ));
    }
}
