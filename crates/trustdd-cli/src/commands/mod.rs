//! One module per subcommand.

pub mod distill;
pub mod eval;
pub mod noise;
pub mod ood;
pub mod partition;
pub mod train;
