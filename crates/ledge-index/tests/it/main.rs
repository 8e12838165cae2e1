//! The index end to end, on real documents copied into temporary folders: Debian's licence
//! texts (a copy of `/usr/share/common-licenses` in the repository's `tests/data/common-licenses`)
//! and the documents in this crate's `tests/data/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

mod boilerplate;
mod chunking;
mod corpus;
mod crash;
mod discovery;
mod documents;
mod fuzz;
mod incremental;
mod kill;
mod pdf;
mod rebuild;
mod records;
mod search;
mod storage;
mod vectors;
mod watch;
