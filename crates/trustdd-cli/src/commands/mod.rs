//! One module per subcommand.

pub mod distill;
pub mod eval;
pub mod noise;
pub mod train;
