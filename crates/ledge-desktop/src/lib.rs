//! The desktop app's logic, without a window: everything `src-tauri` does beyond translating
//! between Tauri and Rust lives here, so it is testable headless.
//!
//! - [`session`]: the running app's core: the index shared by the assistant and background
//!   indexing, the chat model loaded off the UI thread, answers with a stop button,
//!   conversations, folders, models, settings, "forget everything".
//! - [`indexer`]: the background indexing queue (scan, watch, embed) that steps aside for
//!   questions and pauses on request.
//! - [`view`]: the JSON shapes the UI is sent (the IPC contract's types).
//! - [`launch`]: start arguments and `ledge://` links ("Ask about this file").
//! - [`integration`]: the Linux file-manager actions and link handler.
//!
//! Like the other core crates it reads no environment variables: the shell passes the data
//! folder, model folders and XDG paths in.

mod error;
pub mod indexer;
pub mod integration;
pub mod launch;
pub mod open_at;
pub mod session;
pub mod view;

pub use error::{Error, Result};
pub use launch::{LaunchRequest, Show};
pub use session::{DEFAULT_HOTKEY, Events, Session, SessionConfig};
pub use view::{AppState, AskEvent, IndexingState, ModelState};
