//! One module per subcommand.

pub mod noise;
pub mod train;
