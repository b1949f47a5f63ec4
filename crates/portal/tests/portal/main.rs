//! The black-box tests of `mydata-portal`, one module per file, in one test binary (`cargo test -p mydata-portal
//! --test portal`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod portal;
mod schemathesis;
mod tls;
