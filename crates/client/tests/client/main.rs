//! The black-box tests of `mydata-client`, one module per file, in one test binary (`cargo test -p mydata-client
//! --test client`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod authorize;
mod catalogue;
mod resilience;
