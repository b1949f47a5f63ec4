//! One module per subcommand.

pub mod dev_token;
pub mod serve;
pub mod testdata;
