//! Ledge's on-device model runtime, on MLX through mlx-rs.
//!
//! This crate is the only one in Ledge that knows about MLX. Today it owns the runtime itself:
//! choosing the compute device ([`Runtime::init`]), reporting what serves it (MLX version,
//! device, BLAS library), a quick throughput probe, and finding model files on disk, which
//! `ledge doctor` shows.
//!
//! It will own, as the model-runtime work lands: loading Hugging Face / MLX-community model
//! folders and importing GGUF files, the decoder architectures (Llama, Qwen, Gemma 3, Phi-3)
//! and the BERT-style embedder, tokenization and chat templates, the KV cache, sampling, and
//! token streaming with cancellation.

pub mod bench;
pub mod chat;
pub mod embed;
mod error;
pub mod generate;
pub mod gguf;
pub mod import;
pub mod model;
mod model_files;
mod runtime;
pub mod sampling;
pub mod text_stream;
pub mod tokenizer;

pub use error::{Error, Result};
pub use model_files::{FoundModel, ModelFormat, discover_models};
pub use runtime::{BlasLibrary, ComputeDevice, MatmulProbe, Runtime};
