//! The one error type of `ledge-server`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What can go wrong starting or running the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address is not a loopback address: Ledge never listens beyond this computer.
    #[error(
        "{addr} is not a loopback address: Ledge's API listens on this computer only (127.0.0.1 or ::1)"
    )]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The address could not be bound (in use, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
    /// The token file could not be read or written.
    #[error("the API token file {path}: {source}")]
    Token {
        /// The token file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// No randomness for a new token.
    #[error("cannot make an API token: {0}")]
    Random(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
