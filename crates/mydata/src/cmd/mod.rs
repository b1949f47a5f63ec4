//! One module per subcommand.

pub mod conformance;
pub mod dev_token;
pub mod pki;
pub mod portal;
pub mod serve;
pub mod testdata;
