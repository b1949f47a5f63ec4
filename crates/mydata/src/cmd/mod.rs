//! One module per subcommand.

pub mod bench;
pub mod collect;
pub mod conformance;
pub mod dev_token;
pub mod export;
pub mod import;
pub mod link;
pub mod openapi;
pub mod operator;
pub mod pki;
pub mod portal;
pub mod sandbox;
pub mod serve;
pub mod testdata;
