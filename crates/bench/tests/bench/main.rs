//! The black-box tests of `mydata-bench`, one module per file, in one test binary (`cargo test -p mydata-bench
//! --test bench`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod import;
mod scenarios;
