//! The one error type of `ledge-index`.
//!
//! Problems with a single user file (unreadable, binary, too large, vanished mid-read) are not
//! errors: they are recorded on the file's catalog row and in the [`IndexReport`]
//! (crate::IndexReport), and indexing goes on. An [`Error`] is what stops an operation.

use std::path::PathBuf;

use crate::extract::SkipReason;

/// What can stop an index operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The folder to index does not exist or is not a folder.
    #[error("{path} is not a folder")]
    NotAFolder {
        /// The path given.
        path: PathBuf,
    },
    /// The folder is not one of the indexed folders.
    #[error("{path} is not an indexed folder")]
    UnknownFolder {
        /// The path given.
        path: PathBuf,
    },
    /// The folder lies inside an indexed folder, or contains one.
    #[error("{path} overlaps the indexed folder {existing}")]
    FolderOverlaps {
        /// The path given.
        path: PathBuf,
        /// The indexed folder it overlaps.
        existing: PathBuf,
    },
    /// A path that is not valid UTF-8 cannot be recorded in the catalog.
    #[error("the path {path} is not valid UTF-8")]
    NonUtf8Path {
        /// The path (shown lossily).
        path: PathBuf,
    },
    /// A user exclude pattern is not a valid glob.
    #[error("invalid exclude pattern {pattern:?}: {message}")]
    BadExcludePattern {
        /// The pattern.
        pattern: String,
        /// Why it is invalid.
        message: String,
    },
    /// The operation was cancelled through its [`CancelToken`](crate::CancelToken); what was
    /// done before is committed and consistent.
    #[error("cancelled")]
    Cancelled,
    /// A test hook stopped the operation between the catalog and full-text commits, as a
    /// crash would (never produced outside tests).
    #[doc(hidden)]
    #[error("simulated crash")]
    SimulatedCrash,
    /// Another process is writing to this index.
    #[error("the index at {path} is being written by another process")]
    Busy {
        /// The index folder.
        path: PathBuf,
    },
    /// The index folder could not be created or read.
    #[error("cannot use the index folder {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The SQLite catalog failed (corrupt, full disk, locked).
    #[error("catalog: {0}")]
    Catalog(#[from] rusqlite::Error),
    /// The catalog was written by a newer Ledge (its schema version is unknown here).
    #[error("the catalog has schema version {found}, newer than this Ledge knows ({known})")]
    CatalogTooNew {
        /// The version found in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The stored text of a chunk cannot be read back: its compressed block in the catalog is
    /// damaged or missing. Other chunks are unaffected; re-indexing the file (a rebuild)
    /// stores its text again.
    #[error("the stored text of chunk {chunk_id} is unreadable: {reason}")]
    ChunkTextUnreadable {
        /// The chunk.
        chunk_id: i64,
        /// What is wrong with it.
        reason: String,
    },
    /// Compressing chunk texts failed (the compressor could not be set up: out of memory).
    #[error("compressing chunk texts failed: {message}")]
    Compression {
        /// What zstd said.
        message: String,
    },
    /// The full-text index failed (corrupt, full disk).
    #[error("full-text index: {0}")]
    FullText(#[from] tantivy::TantivyError),
    /// A single file asked for with [`read_document`](crate::read_document) was not read,
    /// for the same reason a scan would skip it (binary, encrypted, too large, ...).
    #[error("{path} was not read: {reason}")]
    Skipped {
        /// The file.
        path: PathBuf,
        /// Why it was not read.
        reason: SkipReason,
    },
    /// The file lies under the secrets deny-list ([`DENY_LIST`](crate::DENY_LIST)); Ledge
    /// never reads it.
    #[error("{path} is covered by the secrets deny-list")]
    Denied {
        /// The file.
        path: PathBuf,
    },
    /// The file watcher could not be set up or watch a folder (e.g. the system's limit on
    /// watches is reached).
    #[error("file watcher: {message}")]
    Watch {
        /// What the watcher said.
        message: String,
    },
    /// The embedder failed; the batch it was given was not stored, and what was stored before
    /// is consistent.
    #[error("embedder failed: {message}")]
    Embedder {
        /// What the embedder said.
        message: String,
    },
    /// A vector does not have the length the model's stored vectors have (a query vector of
    /// another model, or an embedder that changed its output size under the same model id).
    #[error("model {model}: vectors have {expected} dimensions, got {found}")]
    DimensionMismatch {
        /// The model id.
        model: String,
        /// The dimensions stored (or declared by the embedder).
        expected: usize,
        /// The dimensions found.
        found: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
