//! Integration tests of `ledge-llm`: one test binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

mod embed;
mod generate;
mod gguf;
mod import;
mod mlx_ops;
mod model;
mod runtime;
mod support;
mod tokenizer;
