//! The desktop logic's one error type.

use std::path::PathBuf;

/// What went wrong, in words a person can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The assistant (models, store, retrieval) failed.
    #[error(transparent)]
    Core(#[from] ledge_core::Error),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] ledge_index::Error),
    /// A model import failed.
    #[error("cannot import {path}: {source}")]
    Import {
        /// What was imported.
        path: PathBuf,
        /// Why it failed.
        source: ledge_llm::Error,
    },
    /// No chat model is installed.
    #[error("no chat model is installed: import one in Settings → Models")]
    NoChatModel,
    /// The chat model failed to load earlier.
    #[error("the chat model could not be loaded: {message}")]
    ModelFailed {
        /// Why.
        message: String,
    },
    /// A start argument or `ledge://` link could not be understood.
    #[error("{message}")]
    BadLaunch {
        /// What was wrong.
        message: String,
    },
    /// A file of the desktop integration exists and was not written by Ledge.
    #[error("{path} exists and was not written by Ledge; leaving it alone")]
    NotOurs {
        /// The file.
        path: PathBuf,
    },
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A model download is already running (one at a time).
    #[error("a model is already downloading: wait for it, or cancel it first")]
    DownloadRunning,
    /// No question was asked.
    #[error("type a question first")]
    EmptyQuestion,
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
