//! The crate's integration tests, one module per file, linked into one test binary:
//! one link instead of one per file keeps a clean build's time and disk in bounds.

mod common;

mod cifar_n;
mod determinism;
mod errors;
mod npy_labels;
mod properties;
mod rates;
mod spec_and_report;
