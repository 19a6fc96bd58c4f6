//! The `trustdd` command-line program: parses arguments, loads data, runs the libraries and
//! renders their progress events. The only crate in the workspace that prints.
#![deny(missing_docs)]

mod commands;
mod data_args;
mod progress_bar;

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
}

/// Runs the program; returns the process exit code. Any error is printed as one line on stderr
/// and gives exit code 1 (argument errors: 2, from clap).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => commands::train::run(&args, cli.quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trustdd: error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined on one line.
fn one_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
