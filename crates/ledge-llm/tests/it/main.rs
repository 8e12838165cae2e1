//! Integration tests of `ledge-llm`: one test binary, one module per area.

mod mlx_ops;
mod runtime;
