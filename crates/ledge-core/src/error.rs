//! The one error type of `ledge-core`.

use std::path::PathBuf;

/// What can go wrong in the assistant core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No data folder could be chosen: neither `LEDGE_HOME` nor a platform data folder exists.
    #[error("no data folder: set LEDGE_HOME to a folder Ledge may use")]
    NoDataDir,
    /// The data folder path exists but is not a folder.
    #[error("the data folder {path} exists but is not a folder")]
    DataDirNotAFolder {
        /// The path that should have been a folder.
        path: PathBuf,
    },
    /// The data folder could not be created or read.
    #[error("cannot use the data folder {path}: {source}")]
    DataDirUnusable {
        /// The data folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The assistant's database failed.
    #[error("the assistant database {path} failed: {source}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The assistant's database was written by a newer Ledge.
    #[error(
        "the assistant database {path} is from a newer Ledge (schema {found}, this one knows {known}); update Ledge"
    )]
    StoreTooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// No conversation has this id.
    #[error("there is no conversation {id}")]
    NoSuchConversation {
        /// The id asked for.
        id: i64,
    },
    /// The question was empty.
    #[error("the question is empty")]
    EmptyQuestion,
    /// The question (with what must come with it) does not fit the model's window.
    #[error(
        "the question is too long: {tokens} tokens, the model's window leaves room for {limit}"
    )]
    QuestionTooLong {
        /// Tokens the prompt needs.
        tokens: usize,
        /// Tokens available.
        limit: usize,
    },
    /// A pinned file could not be read.
    #[error("cannot read {path}: {source}")]
    FileUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ledge_index::Error,
    },
    /// No chat model is installed.
    #[error("no chat model installed: import one with `ledge models import FILE.gguf|FOLDER`")]
    NoChatModel,
    /// No installed model has this name.
    #[error("no model named `{name}`; installed: {}", installed.join(", "))]
    NoSuchModel {
        /// The name asked for.
        name: String,
        /// The names of installed models of the kind asked for.
        installed: Vec<String>,
    },
    /// Several models could serve and none was chosen.
    #[error("several models installed ({}): choose one (--model, or `ledge models default NAME`)", installed.join(", "))]
    ModelChoiceNeeded {
        /// Their names.
        installed: Vec<String>,
    },
    /// The model asked for cannot be used for this.
    #[error("cannot use the model {name}: {reason}")]
    ModelUnusable {
        /// The model.
        name: String,
        /// Why.
        reason: String,
    },
    /// A model failed to load.
    #[error("cannot load the model in {path}: {source}")]
    Model {
        /// The model folder.
        path: PathBuf,
        /// What the runtime said.
        source: ledge_llm::Error,
    },
    /// The model runtime failed while answering.
    #[error(transparent)]
    Runtime(#[from] ledge_llm::Error),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] ledge_index::Error),
    /// An inference endpoint failed, or is not one Ledge may use.
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
    /// A model download failed.
    #[error(transparent)]
    Download(#[from] crate::download::DownloadError),
    /// A bug: something Ledge should never let happen.
    #[error("internal error: {0}")]
    Internal(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
