//! The black-box tests of `mydata`, one module per file, in one test binary (`cargo test -p mydata
//! --test mydata`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod common;

mod cli;
mod collect;
mod import;
mod instances;
mod operator;
mod sandbox;
mod scale_out;
mod tls;
