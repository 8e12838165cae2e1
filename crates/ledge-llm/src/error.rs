//! The one error type of `ledge-llm`.

use std::path::PathBuf;

/// What can go wrong in the model runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// MLX rejected an operation or failed while computing it.
    #[error("MLX failed: {0}")]
    Mlx(#[from] mlx_rs::error::Exception),
    /// A model file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A model file is damaged, truncated or not what its name says.
    #[error("{path}: {reason}")]
    InvalidModel {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The model's architecture is not one Ledge can run.
    #[error("{path}: unsupported model architecture `{architecture}`")]
    UnsupportedArchitecture {
        /// The model file.
        path: PathBuf,
        /// The architecture it declares.
        architecture: String,
    },
    /// A model with that name is already installed.
    #[error("a model is already installed at {path}")]
    ModelExists {
        /// The existing model folder.
        path: PathBuf,
    },
    /// A tokenizer could not be loaded or failed on some input.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A chat template could not be read or rendered.
    #[error("chat template: {0}")]
    ChatTemplate(String),
    /// The prompt does not fit in the model's context window.
    #[error(
        "the prompt is {tokens} tokens long, but the model's context holds {context} \
         (including room for at least one new token)"
    )]
    PromptTooLong {
        /// Tokens in the prompt.
        tokens: usize,
        /// The model's context length.
        context: usize,
    },
    /// A generation setting is out of range.
    #[error("invalid generation setting: {0}")]
    InvalidSetting(String),
    /// An array did not have the data type or shape the runtime asked for.
    #[error("unexpected MLX array: {0}")]
    ArrayAccess(#[from] mlx_rs::error::AsSliceError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
