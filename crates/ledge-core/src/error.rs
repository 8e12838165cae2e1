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
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
