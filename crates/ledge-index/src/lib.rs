//! Ledge's index of the user's own files: discover, extract, chunk, search, keep fresh.
//!
//! This crate is the only one that knows tantivy and the catalog's SQLite schema. Its parts:
//!
//! * discovery ([`IndexOptions`]): walking the folders the user allowed, honouring
//!   `.gitignore`/`.ignore`, skipping hidden files by default and never entering secrets
//!   ([`DENY_LIST`]: `.ssh`, `.gnupg`, cloud credentials, keychains, password stores, `.env*`,
//!   private keys, browser profiles), plus the user's exclude globs;
//! * extraction ([`Kind`]): plain text, Markdown, code, HTML (without the navigation, link
//!   lists and footers documentation generators wrap pages in, and with its title), CSV/JSON
//!   and other text formats;
//!   PDF (text per page, so hits cite a page), DOCX and EPUB (headings kept as structure), RTF;
//!   with the reason recorded for every file skipped ([`SkipReason`]: binary, empty, too large,
//!   unsupported, encrypted, malformed, zip bomb, too slow). Third-party parsers of binary
//!   formats run on their own thread with a time limit and a caught panic, so a hostile file
//!   costs only itself;
//! * chunking ([`chunk()`]) along headings, paragraphs and code blocks, keeping byte offsets,
//!   line ranges, the heading path and (PDF) the page of every chunk for citations; a chunk
//!   never spans two pages;
//! * storage: a SQLite catalog (numbered migrations, WAL) of folders, files, chunks and their
//!   embeddings, and a tantivy index of chunks (BM25 over text, heading path, title and file
//!   name with their own weights, English stemming, stop words, phrases), kept
//!   consistent across crashes by the protocol described in [`Index`]'s module;
//! * reading back: chunks by id or by file ([`ChunkRecord`]), BM25 search over everything or
//!   restricted to some files, and one file read and chunked without an index
//!   ([`read_document`], for "Ask about this file");
//! * embeddings: the caller's [`ChunkEmbedder`] (the model runtime lives in another crate)
//!   fills vectors per chunk and model in committed batches ([`Index::embed_pending`]), and
//!   [`Index::vector_search`] ranks chunks by cosine similarity over an in-memory matrix;
//! * incremental scans: only new, changed (by content hash) and deleted files are touched, and
//!   renames move records without re-extracting; progress is reported through a callback
//!   ([`Progress`]) and runs are paused, resumed or cancelled with a [`CancelToken`];
//! * freshness: a [`Watcher`] (the `notify` crate) reports debounced batches of changed
//!   paths, and [`Index::refresh_paths`] re-indexes just those, with the rules of a full scan.
//!
//! Not yet here: OCR of scanned PDFs. Work is
//! blocking; an async caller runs it on a blocking thread ([`Index`] is `Send`).
//!
//! The user's files are only ever opened read-only; the index writes nothing outside the
//! folder given to [`Index::open`].
//!
//! ```no_run
//! # fn main() -> ledge_index::Result<()> {
//! use ledge_index::{CancelToken, Index, IndexOptions};
//! let mut index = Index::open(std::path::Path::new("/tmp/ledge/index"))?;
//! let report = index.add_folder(
//!     std::path::Path::new("/home/me/notes"),
//!     &IndexOptions::default(),
//!     &mut |progress| eprintln!("{}/{}", progress.files_done, progress.files_total),
//!     &CancelToken::new(),
//! )?;
//! println!("{} files indexed", report.indexed);
//! for hit in index.search("\"exact phrase\" or words", 10)? {
//!     println!("{}:{}-{} {}", hit.path.display(), hit.line_start, hit.line_end, hit.snippet);
//! }
//! # Ok(())
//! # }
//! ```

mod bounded;
mod catalog;
mod chunk;
mod discover;
mod document;
mod embed;
mod error;
mod extract;
mod fulltext;
#[doc(hidden)]
pub mod fuzz;
mod html;
mod index;
mod office;
mod pdf;
mod progress;
mod rtf;
mod scan;
mod watch;

pub use bounded::log_parser_panics;
pub use chunk::{Chunk, ChunkConfig, chunk};
pub use discover::{DEFAULT_MAX_FILE_BYTES, DENY_LIST, IndexOptions, Problem, is_denied};
pub use document::{Document, read_document};
pub use embed::{ChunkEmbedder, EmbedProgress, EmbedReport};
pub use error::{Error, Result};
pub use extract::{Kind, SkipReason};
pub use index::{
    ChunkRecord, Excerpt, FolderInfo, Index, IndexStatus, SearchHit, Span, TextRanker,
};
pub use progress::{CancelToken, IndexReport, Progress, Repair, SkippedFile};
#[doc(hidden)]
pub use scan::CrashPoint;
pub use watch::{DEFAULT_DEBOUNCE, WatchBatch, Watcher};
