//! The black-box tests of `mydata-support`, one module per file, in one test binary (`cargo test -p mydata-support
//! --test support`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod participant;
mod recorder;
