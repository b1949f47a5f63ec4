//! The black-box tests of `mydata-store`, one module per file, in one test binary (`cargo test -p mydata-store
//! --test store`): it is linked once, and the shared harness compiled once, where each file was a
//! binary of its own.

mod auth;
mod bulk;
mod import;
mod info;
mod portal;
mod store;
