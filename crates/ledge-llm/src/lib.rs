//! Ledge's on-device model runtime, on MLX through mlx-rs.
//!
//! This crate is the only one in Ledge that knows about MLX. It owns the runtime itself
//! (choosing the compute device, [`Runtime::init`], and reporting what serves it: MLX version,
//! device, BLAS library, a throughput probe); finding model files on disk; loading Hugging
//! Face / MLX-community model folders and importing GGUF files ([`import`]); the decoder
//! architectures (Llama, Qwen 2/3, Gemma 3, Phi-3, [`model`]) and the BERT-style sentence
//! embedder ([`embed`]); tokenization and chat templates ([`tokenizer`], [`chat`]); the KV
//! cache, sampling and token streaming with cancellation ([`generate`]); and the measurements
//! behind `ledge bench` ([`bench`]).

pub mod bench;
pub mod chat;
pub mod embed;
mod error;
pub mod generate;
pub mod gguf;
mod host;
pub mod import;
pub mod model;
mod model_files;
mod runtime;
pub mod sampling;
pub mod text_stream;
pub mod tokenizer;

pub use error::{Error, Result};
pub use model_files::{FoundModel, ModelFormat, discover_models};
pub use runtime::{
    BlasLibrary, ComputeDevice, MatmulProbe, Runtime, exclusive, peak_concurrent_evaluations,
};
