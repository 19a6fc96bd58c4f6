//! The crate's integration tests, one module per file, linked into one test binary:
//! one link instead of one per file keeps a clean build's time and disk in bounds.

mod common;

mod arrays;
mod benchmark_sets;
mod corpus;
mod evaluate;
mod official_corruptions;
mod outlier_pool;
mod properties;
