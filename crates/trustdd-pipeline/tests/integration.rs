//! The crate's integration tests, one module per file, linked into one test binary:
//! one link instead of one per file keeps a clean build's time and disk in bounds.

mod tiny;

mod config;
mod corpus;
mod downstream;
mod outlier_distillation;
mod partition;
mod pictures;
mod ranking;
mod same_bytes;
mod trust_aware;
