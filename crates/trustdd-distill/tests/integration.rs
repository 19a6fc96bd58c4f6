//! The crate's integration tests, one module per file, linked into one test binary:
//! one link instead of one per file keeps a clean build's time and disk in bounds.

mod common;

mod bn_matching;
mod dm_gradient;
mod driver;
mod files;
mod joint;
mod loss_values;
mod mtt_batch;
mod mtt_gradient;
mod mtt_reverse;
mod mtt_soft_labels;
mod oe_matching;
mod second_order;
