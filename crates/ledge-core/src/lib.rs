//! The Ledge assistant, independent of any window or terminal.
//!
//! It owns Ledge's data folder ([`DataDir`]), the model registry ([`registry`]), hybrid
//! retrieval over `ledge-index` ([`retrieve`]), grounding through `ledge-ground` ([`grounding`]), prompt assembly within the model's budget
//! ([`prompt`]), streamed answers with citations from `ledge-llm` ([`assistant`]), and the
//! conversations and settings in its own SQLite database ([`store`]). Answers are generated
//! by the built-in runtime or, when the person chose one, by an OpenAI-compatible server on
//! their own machines ([`backend`]).
//!
//! ```text
//! question ─> retrieve (BM25 + vectors, fused, spread over files) or pinned files
//!          ─> excerpts around the hits ─> prompt (system rules, earlier turns, <source>
//!             blocks, question; fitted to the window and to this machine's prefill speed)
//!          ─> quotes (the extractive answer, before any model runs)
//!          ─> Generator (prefix cache reused), each sentence checked as it completes
//!             ─> AnswerEvent::{Started, Sources, Quotes, Text/Checked.., Done}
//!          ─> citations [n] resolved, Ledge's matches added ─> turn saved
//! ```
//!
//! **Invariant:** the core reads no environment variables and no platform folders itself. The
//! shells (`ledge-cli`, `src-tauri`) look those up and hand the core explicit paths, so every
//! behaviour here is testable with temporary folders.

pub mod assistant;
pub mod backend;
pub mod catalog;
pub mod citation;
mod data_dir;
pub mod download;
pub mod embedding;
mod error;
pub mod found;
pub mod grounding;
mod open;
mod pinned;
pub mod prompt;
pub mod registry;
pub mod render;
pub mod retrieve;
pub mod store;
#[cfg(test)]
mod test_support;

pub use assistant::{
    Answer, AnswerEvent, AnswerStats, AskRequest, Assistant, AssistantSettings, ask_stream,
};
pub use citation::Source;
pub use data_dir::{DataDir, DataDirSource};
pub use error::{Error, Result};
/// The shells call it at start: parser panics the indexer survives go to the log.
pub use ledge_index::log_parser_panics;
pub use open::{
    EmbedderChoice, LoadStep, NO_CHAT_MODEL_NAME, OpenOptions, choose_chat_model, open_store,
    registry,
};

/// The shells' log filter when `LEDGE_LOG` is not set: warnings and errors, except the PDF
/// parsers' warnings about glyphs and streams they read around (`pdf-extract`: about 112,000
/// lines for TeX Live's manuals; `lopdf`: 368), which say nothing the indexer's skip reasons
/// do not, and the MCP library's warning for each request a client got wrong (the client is
/// told; the person's log need not be).
pub const DEFAULT_LOG_FILTER: &str = "warn,pdf_extract=error,lopdf=error,rmcp=error";

/// The assistant's database file in the data folder.
pub const STORE_FILE: &str = "assistant.sqlite3";

/// The setting naming the default chat model.
pub const DEFAULT_MODEL_SETTING: &str = "default_chat_model";
