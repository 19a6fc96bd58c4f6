//! The crate's integration tests, one module per file, linked into one test binary:
//! one link instead of one per file keeps a clean build's time and disk in bounds.

mod common;

mod architectures;
mod fast_ops;
mod network;
mod ops_gradients;
