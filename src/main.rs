//! The `trustdd` program (its code lives in the `trustdd-cli` crate).

fn main() -> std::process::ExitCode {
    trustdd_cli::main()
}
