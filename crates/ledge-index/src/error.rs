//! The one error type of `ledge-index`.
//!
//! Problems with a single user file (unreadable, binary, too large, vanished mid-read) are not
//! errors: they are recorded on the file's catalog row and in the [`IndexReport`]
//! (crate::IndexReport), and indexing goes on. An [`Error`] is what stops an operation.

use std::path::PathBuf;

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
    /// The full-text index failed (corrupt, full disk).
    #[error("full-text index: {0}")]
    FullText(#[from] tantivy::TantivyError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
