//! The crate's integration tests, one module per file, linked into one test binary:
//! one link instead of one per file keeps a clean build's time and disk in bounds.

mod common;

mod arrays;
mod cross_fit;
mod end_to_end;
mod mnist_budget;
mod properties;
mod resume;
mod split_view;
