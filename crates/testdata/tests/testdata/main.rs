//! The black-box tests of `mydata-testdata`, one module per file, in one test binary (`cargo test -p mydata-testdata
//! --test testdata`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod generator;
mod loading;
