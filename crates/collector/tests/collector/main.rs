//! The black-box tests of `mydata-collector`, one module per file, in one test binary (`cargo test -p mydata-collector
//! --test collector`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod common;

mod collect;
mod integrated;
mod store;
mod support;
