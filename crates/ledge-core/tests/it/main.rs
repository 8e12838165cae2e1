//! Integration tests of the assistant core on real models (SmolLM2-135M-Instruct imported
//! from its GGUF, all-MiniLM-L6-v2) and real documents (the licence texts every Debian
//! system ships in /usr/share/common-licenses, copied into the repository's
//! `tests/data/common-licenses` so that the tests read the same bytes on any system).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

mod answer;
mod endpoint;
mod grounding;
mod prompt;
mod retrieval;
mod support;
