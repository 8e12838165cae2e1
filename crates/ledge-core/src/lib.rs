//! The Ledge assistant, independent of any window or terminal.
//!
//! Today it owns Ledge's data folder ([`DataDir`]): where every piece of state lives and
//! how it is created. It will own, as the assistant work lands: hybrid retrieval over
//! `ledge-index`, prompt assembly within the model's budget, streamed answers with citations
//! from `ledge-llm`, conversations and settings in SQLite, and the model registry.
//!
//! **Invariant:** the core reads no environment variables and no platform folders itself. The
//! shells (`ledge-cli`, `src-tauri`) look those up and hand the core explicit paths, so every
//! behaviour here is testable with temporary folders.

mod data_dir;
mod error;

pub use data_dir::{DataDir, DataDirSource};
pub use error::{Error, Result};
