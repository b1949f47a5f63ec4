//! The black-box tests of `mydata-conformance`, one module per file, in one test binary (`cargo test -p mydata-conformance
//! --test conformance`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod common;

mod broken_variants;
mod discovery;
mod integrated;
mod own_provider;
mod safety;
mod tokens;
