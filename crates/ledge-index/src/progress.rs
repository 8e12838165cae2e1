//! What an indexing run tells its caller: progress while it runs, a report when it ends, and
//! the token that cancels it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use serde::Serialize;

use crate::discover::Problem;
use crate::extract::SkipReason;

/// Cancels, pauses and resumes a running operation from another thread; clones share the
/// state.
///
/// A paused run stops at its next check (between files of a scan, between batches of
/// embedding) after committing what it has done, so it holds no SQLite write transaction
/// while it waits; [`resume`](Self::resume) or [`cancel`](Self::cancel) wakes it.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<Control>);

#[derive(Debug, Default)]
struct Control {
    cancelled: AtomicBool,
    paused: Mutex<bool>,
    wake: Condvar,
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks the operation to stop; it commits what it has done and returns
    /// [`Error::Cancelled`](crate::Error::Cancelled). Wakes a paused operation.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Relaxed);
        let _paused = self.lock();
        self.0.wake.notify_all();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Relaxed)
    }

    /// Asks the operation to wait at its next check until [`resume`](Self::resume).
    pub fn pause(&self) {
        *self.lock() = true;
    }

    /// Lets a paused operation go on.
    pub fn resume(&self) {
        *self.lock() = false;
        self.0.wake.notify_all();
    }

    /// Whether the token is paused.
    pub fn is_paused(&self) -> bool {
        *self.lock()
    }

    /// Blocks while paused and not cancelled; returns whether it waited.
    pub(crate) fn wait_while_paused(&self) -> bool {
        let mut paused = self.lock();
        let mut waited = false;
        while *paused && !self.is_cancelled() {
            waited = true;
            paused = self
                .0
                .wake
                .wait(paused)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        waited
    }

    fn lock(&self) -> MutexGuard<'_, bool> {
        self.0
            .paused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where an indexing run stands; sent before each file and once at the end.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Progress {
    /// Files looked at so far.
    pub files_done: u64,
    /// Files found by the walk.
    pub files_total: u64,
    /// Bytes of the files looked at so far (their sizes, read or not).
    pub bytes_done: u64,
    /// Bytes of all files found.
    pub bytes_total: u64,
    /// The file being looked at now (`None` once finished).
    pub current: Option<PathBuf>,
    /// Files that failed so far (unreadable, vanished).
    pub errors: u64,
}

/// A file that was looked at and left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: SkipReason,
}

/// What one indexing run of one folder did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    /// The folder (canonical path).
    pub folder: PathBuf,
    /// Regular files the walk found.
    pub files_found: u64,
    /// Files extracted and chunked in this run (new or changed content).
    pub indexed: u64,
    /// Files not read at all: same size and modification time as recorded.
    pub unchanged: u64,
    /// Files whose size or time changed but whose content did not: not re-chunked.
    pub touched: u64,
    /// Files found under a new path with the content of a vanished one: moved, not re-read.
    pub renamed: u64,
    /// Files gone from the folder, removed from the index.
    pub deleted: u64,
    /// Files looked at in this run and skipped, with the reason.
    pub skipped: Vec<SkippedFile>,
    /// Files that could not be read in this run.
    pub failed: Vec<Problem>,
    /// Folders and links the walk could not read (permissions, loops).
    pub problems: Vec<Problem>,
    /// Files and folders left out by the secrets deny-list.
    pub denied: u64,
    /// Files and folders left out as copies a documentation generator made of its pages'
    /// text (Sphinx's `_sources/` and `searchindex.js`, Doxygen's `search/`).
    pub generated: u64,
    /// Chunks written.
    pub chunks_added: u64,
    /// Chunks removed.
    pub chunks_removed: u64,
    /// Bytes read from the user's files.
    pub bytes_read: u64,
    /// Wall time of the run in milliseconds.
    pub elapsed_ms: u64,
}

/// What [`Index::repair`](crate::Index::repair) changed in the full-text index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// Documents of chunks the catalog no longer has, deleted.
    pub removed: u64,
    /// Catalog chunks missing from the full-text index, added.
    pub added: u64,
}
