//! One incremental scan of one folder: compare what the walk found with what the catalog
//! knows, and write only the difference.
//!
//! For each file found:
//! * same size and modification time as recorded: *unchanged*, not even opened;
//! * otherwise it is read (read-only, at most the size cap) and hashed with BLAKE3:
//!   - same hash as recorded: *touched*, only size and time are updated, no re-chunking;
//!   - a new path whose hash equals a vanished file's: *renamed*, the record (and its chunks
//!     and full-text documents, which do not hold paths) moves, nothing is extracted;
//!   - otherwise it is extracted and chunked and replaces the file's chunks.
//!
//! Recorded files the walk did not find are deleted, except under a folder the walk could not
//! read this time (a permission problem must not empty the index).
//!
//! Reading, hashing, extracting and chunking (nearly all of a cold scan's time) run on one
//! worker thread per core, a few files ahead of the writer; the catalog and the full-text
//! index are written on the calling thread, one file at a time in the walk's order, exactly
//! as a sequential scan would. The workers wait when they are [`LOOKAHEAD_PER_WORKER`] files
//! each ahead, so a paused scan stops within a few files and memory holds at most that many
//! files' text. PDFs are the exception to "one per worker": parsing one holds the whole
//! document, streams inflated (about [`PDF_MEMORY_PER_BYTE`] times its size), so PDFs are
//! extracted side by side only while their estimates fit in [`PDF_MEMORY_BUDGET`] together;
//! a PDF larger than the budget is extracted alone.
//!
//! Writes go in batches through a [`Batch`], which applies the consistency protocol described
//! in the crate's `index` module.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};
use std::time::Instant;

use tantivy::IndexWriter;

use crate::bounded::panic_message;
use crate::catalog::{Catalog, ChunkDoc, FileRecord, FileRow, FileStatus, FolderRow};
use crate::chunk::{Chunk, ChunkConfig, chunk_pages};
use crate::discover::{Discovered, FoundFile, Problem};
use crate::extract::{
    Classified, Extracted, Kind, SkipReason, classify, extract, read_capped, sniff_document,
};
use crate::fulltext::FullText;
use crate::progress::{CancelToken, IndexReport, Progress, SkippedFile};
use crate::{Error, Result};

/// A batch is committed after this many files or bytes of text.
const BATCH_FILES: usize = 1000;
const BATCH_BYTES: usize = 32 * 1024 * 1024;

/// How many files past the one being written the workers may have prepared, per worker.
const LOOKAHEAD_PER_WORKER: usize = 2;
/// At most this many workers, whatever the core count: past it the writer is the bottleneck.
const MAX_WORKERS: usize = 8;

/// Peak memory of extracting a PDF, per byte of the file, as measured on TeX Live's manuals:
/// `pgfmanual.pdf` (10 MB) and `pgfplots.pdf` (12 MB) each raise the process by about
/// 280-300 MB (image-heavy files by far less, so this errs high).
const PDF_MEMORY_PER_BYTE: u64 = 30;
/// The estimated memory all PDFs being extracted at once may take together. Without it,
/// eight workers each holding a large PDF would take gigabytes. (On 2 cores two large PDFs
/// rarely meet: TeX Live's manuals peaked near 590 MB with and without it.) A parser
/// abandoned at its time limit gives its lease back while its thread still holds memory.
const PDF_MEMORY_BUDGET: u64 = 384 * 1024 * 1024;

/// Where a test wants the indexer to "crash".
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrashPoint {
    /// No crash.
    #[default]
    Never,
    /// Stop right after the catalog committed a batch, before the full-text index did.
    AfterCatalogCommit,
}

/// Open writes of the catalog and the full-text index, committed together.
pub(crate) struct Batch<'a> {
    pub catalog: &'a Catalog,
    pub fulltext: &'a FullText,
    pub writer: IndexWriter,
    open: bool,
    files: usize,
    bytes: usize,
    crash: CrashPoint,
}

impl<'a> Batch<'a> {
    pub fn new(catalog: &'a Catalog, fulltext: &'a FullText, crash: CrashPoint) -> Result<Self> {
        Ok(Batch {
            catalog,
            fulltext,
            writer: fulltext.writer()?,
            open: false,
            files: 0,
            bytes: 0,
            crash,
        })
    }

    /// Starts a catalog transaction (marking the full-text index dirty in it) if none is open.
    pub fn begin(&mut self) -> Result<()> {
        if !self.open {
            self.catalog.begin()?;
            self.open = true;
            self.catalog.set_fulltext_dirty(true)?;
        }
        Ok(())
    }

    fn account(&mut self, bytes: usize) -> Result<()> {
        self.files += 1;
        self.bytes += bytes;
        if self.files >= BATCH_FILES || self.bytes >= BATCH_BYTES {
            self.commit()?;
        }
        Ok(())
    }

    /// Commits the catalog, then the full-text index, then clears the dirty flag.
    pub fn commit(&mut self) -> Result<()> {
        if !self.open {
            return Ok(());
        }
        self.catalog.commit()?;
        self.open = false;
        (self.files, self.bytes) = (0, 0);
        if self.crash == CrashPoint::AfterCatalogCommit {
            return Err(Error::SimulatedCrash);
        }
        self.writer.commit()?;
        self.catalog.set_fulltext_dirty(false)?;
        self.fulltext.reload()
    }

    /// Drops uncommitted work on both sides (after an error).
    pub fn abort(&mut self) {
        if self.open {
            self.catalog.rollback();
            self.open = false;
        }
        if let Err(error) = self.writer.rollback() {
            tracing::warn!(%error, "full-text rollback failed");
        }
    }
}

/// Runs one scan of `folder` with what `discovered` found. `recheck_skipped`: look again at
/// skipped files even when unchanged (the folder's options changed, e.g. its size cap).
///
/// `scope`, when given, limits the scan to these paths (files, or folders and everything
/// under them): `discovered` holds what the walk found there, recorded files elsewhere are
/// left alone, and the folder's problems and scan time are not replaced.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan(
    batch: &mut Batch<'_>,
    folder: &FolderRow,
    discovered: Discovered,
    scope: Option<&[PathBuf]>,
    chunking: ChunkConfig,
    recheck_skipped: bool,
    progress: &mut dyn FnMut(&Progress),
    cancel: &CancelToken,
) -> Result<IndexReport> {
    let started = Instant::now();
    let mut known = match scope {
        None => batch.catalog.files_of(folder.id)?,
        Some(paths) => batch.catalog.files_in_scope(folder.id, paths)?,
    };
    let found: HashSet<&str> = discovered.files.iter().map(|f| f.key.as_str()).collect();
    let unreadable: Vec<PathBuf> = discovered.problems.iter().map(|p| p.path.clone()).collect();
    let mut gone: HashMap<String, FileRow> = HashMap::new();
    known.retain(|key, row| {
        if found.contains(key.as_str()) {
            true
        } else {
            gone.insert(key.clone(), row.clone());
            false
        }
    });
    // Vanished files that might reappear under another name, by content.
    let mut gone_by_hash: HashMap<Vec<u8>, Vec<String>> = HashMap::new();
    for (key, row) in &gone {
        if let Some(hash) = &row.hash {
            gone_by_hash
                .entry(hash.clone())
                .or_default()
                .push(key.clone());
        }
    }

    let mut report = IndexReport {
        folder: folder.path.clone(),
        files_found: discovered.files.len() as u64,
        problems: discovered.problems.clone(),
        denied: discovered.denied,
        generated: discovered.generated,
        ..IndexReport::default()
    };
    let mut state = Progress {
        files_total: report.files_found,
        bytes_total: discovered.files.iter().map(|f| f.size).sum(),
        ..Progress::default()
    };
    let preparer = Preparer {
        known: &known,
        vanished: gone_by_hash.keys().cloned().collect(),
        max_file_bytes: folder.options.max_file_bytes,
        chunking,
        recheck_skipped,
        pdf_memory: MemoryBudget::new(PDF_MEMORY_BUDGET),
    };
    let mut scanner = Scanner {
        folder,
        chunking,
        report: &mut report,
        gone: &mut gone,
        gone_by_hash: &mut gone_by_hash,
    };
    let files = &discovered.files;
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS)
        .min(files.len());
    let window = Window::new(workers * LOOKAHEAD_PER_WORKER);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<()> {
        // Whatever way this returns, waiting workers are let go, so the scope can end.
        let _release = window.release_on_drop();
        let (sender, prepared) = mpsc::channel::<(usize, Prepared)>();
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, window, preparer) = (&next, &window, &preparer);
            let spawned = std::thread::Builder::new()
                .name("ledge-scan".into())
                .spawn_scoped(scope, move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= files.len() || !window.wait_for(i) || cancel.is_cancelled() {
                            break;
                        }
                        if sender
                            .send((i, preparer.prepare_guarded(&files[i])))
                            .is_err()
                        {
                            break;
                        }
                    }
                });
            if let Err(error) = spawned {
                // The files it would have taken are prepared below, on this thread.
                tracing::warn!(%error, "cannot start a scan worker");
            }
        }
        drop(sender);

        let mut ready: BTreeMap<usize, Prepared> = BTreeMap::new();
        for (i, file) in files.iter().enumerate() {
            if cancel.is_paused() {
                // Commit first: a paused run must not hold a write transaction while it waits.
                batch.commit()?;
                tracing::debug!("scan paused");
                cancel.wait_while_paused();
            }
            if cancel.is_cancelled() {
                batch.commit()?;
                return Err(Error::Cancelled);
            }
            state.current = Some(file.path.clone());
            progress(&state);
            let next_file = loop {
                if let Some(done) = ready.remove(&i) {
                    break done;
                }
                match prepared.recv() {
                    Ok((j, done)) => {
                        ready.insert(j, done);
                    }
                    // No worker is left to prepare it (none could start).
                    Err(_) => break preparer.prepare_guarded(file),
                }
            };
            let text_bytes = scanner.write(batch, file, known.get(&file.key), next_file)?;
            window.advance();
            batch.account(text_bytes)?;
            state.files_done += 1;
            state.bytes_done += file.size;
            state.errors = scanner.report.failed.len() as u64;
        }
        Ok(())
    })?;

    for (key, row) in gone {
        let path = PathBuf::from(&key);
        if unreadable.iter().any(|p| path.starts_with(p)) {
            continue; // under a folder we could not read this time: keep what we had
        }
        batch.begin()?;
        report.chunks_removed += batch.catalog.delete_chunks(row.id)? as u64;
        batch.catalog.delete_file(row.id)?;
        batch.fulltext.delete_file(&batch.writer, row.id);
        report.deleted += 1;
    }
    if scope.is_none() {
        batch.begin()?;
        batch
            .catalog
            .replace_problems(folder.id, &discovered.problems)?;
        batch.catalog.set_scanned(folder.id)?;
    }
    batch.commit()?;

    state.current = None;
    progress(&state);
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        folder = %folder.path.display(),
        indexed = report.indexed,
        unchanged = report.unchanged,
        touched = report.touched,
        renamed = report.renamed,
        deleted = report.deleted,
        skipped = report.skipped.len(),
        failed = report.failed.len(),
        ms = report.elapsed_ms,
        "folder scanned"
    );
    Ok(report)
}

/// What a worker learned about one file before anything is written.
enum Prepared {
    /// Same size and modification time as recorded: not opened.
    Unchanged,
    /// Not indexed, and not hashed (an unsupported type, too large).
    Skip(SkipReason),
    /// Could not be read.
    Fail(String),
    /// Read and hashed.
    Read {
        hash: Vec<u8>,
        bytes_read: u64,
        content: Content,
    },
}

/// A read file's content, as far as a worker can take it without the catalog.
enum Content {
    /// What the catalog already holds for this path.
    Same,
    /// A new path with the content of a file that vanished: a rename, unless an earlier file
    /// took that record, and then it is extracted after all. Not extracted ahead, so that a
    /// rename costs no extraction.
    LikeVanished { kind: Option<Kind>, bytes: Vec<u8> },
    /// Extracted and chunked, or why not.
    Extracted(Result<(Extracted, Vec<Chunk>), SkipReason>),
}

/// The part of a scan that needs no writing: shared, read-only, by the workers.
struct Preparer<'k> {
    known: &'k HashMap<String, FileRow>,
    /// Hashes of the recorded files the walk did not find (renames come from these).
    vanished: HashSet<Vec<u8>>,
    max_file_bytes: u64,
    chunking: ChunkConfig,
    recheck_skipped: bool,
    /// Shared by the workers: how much PDF extraction may run at once.
    pdf_memory: MemoryBudget,
}

impl Preparer<'_> {
    /// [`prepare`](Self::prepare), with a panic in it (a parser bug the extractors did not
    /// catch themselves) turned into a failed file.
    fn prepare_guarded(&self, file: &FoundFile) -> Prepared {
        catch_unwind(AssertUnwindSafe(|| self.prepare(file))).unwrap_or_else(|payload| {
            Prepared::Fail(format!(
                "reading it failed unexpectedly: {}",
                panic_message(payload.as_ref())
            ))
        })
    }

    fn prepare(&self, file: &FoundFile) -> Prepared {
        let known = self.known.get(&file.key);
        if let Some(row) = known
            && !row.failed
            && !(row.skipped && self.recheck_skipped)
            && row.size == file.size
            && row.mtime_ns == file.mtime_ns
        {
            return Prepared::Unchanged;
        }
        let kind = match classify(&file.path) {
            Classified::Unsupported(extension) => {
                return Prepared::Skip(SkipReason::Unsupported { extension });
            }
            Classified::Known(kind) => Some(kind),
            Classified::Sniff => None,
        };
        let bytes = match read_capped(&file.path, self.max_file_bytes) {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(reason)) => return Prepared::Skip(reason),
            Err(error) => return Prepared::Fail(error.to_string()),
        };
        let bytes_read = bytes.len() as u64;
        let hash = blake3::hash(&bytes).as_bytes().to_vec();
        let content = if known.is_some_and(|row| row.hash.as_deref() == Some(hash.as_slice())) {
            Content::Same
        } else if known.is_none() && self.vanished.contains(&hash) {
            Content::LikeVanished { kind, bytes }
        } else {
            let is_pdf = kind.or_else(|| sniff_document(&bytes)) == Some(Kind::Pdf);
            let _lease = is_pdf.then(|| {
                self.pdf_memory
                    .take(bytes_read.saturating_mul(PDF_MEMORY_PER_BYTE))
            });
            Content::Extracted(extract_chunks(
                kind,
                &bytes,
                self.max_file_bytes,
                self.chunking,
            ))
        };
        Prepared::Read {
            hash,
            bytes_read,
            content,
        }
    }
}

/// A file's text and its chunks, or why it has none.
fn extract_chunks(
    kind: Option<Kind>,
    bytes: &[u8],
    max_file_bytes: u64,
    chunking: ChunkConfig,
) -> Result<(Extracted, Vec<Chunk>), SkipReason> {
    let extracted = extract(kind, bytes, max_file_bytes)?;
    let chunks = chunk_pages(&extracted.text, extracted.kind, &extracted.pages, chunking);
    Ok((extracted, chunks))
}

/// An amount of memory that concurrent work takes leases on, waiting while the leases out
/// would pass it. A lease larger than the whole is cut to the whole, so it waits until
/// nothing else is out and then runs alone: every lease is granted eventually, because
/// holders only do bounded work (extraction has its time limit) before they give it back.
struct MemoryBudget {
    limit: u64,
    taken: Mutex<u64>,
    returned: Condvar,
}

impl MemoryBudget {
    fn new(limit: u64) -> Self {
        MemoryBudget {
            limit: limit.max(1),
            taken: Mutex::new(0),
            returned: Condvar::new(),
        }
    }

    /// Waits until `bytes` (at most the whole budget) fit, and takes them until the lease drops.
    fn take(&self, bytes: u64) -> Lease<'_> {
        let bytes = bytes.min(self.limit);
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        while *taken + bytes > self.limit {
            taken = self
                .returned
                .wait(taken)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *taken += bytes;
        Lease {
            budget: self,
            bytes,
        }
    }

    /// How much is out on leases now.
    #[cfg(test)]
    fn taken(&self) -> u64 {
        *self.taken.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A part of a [`MemoryBudget`], given back on drop.
struct Lease<'b> {
    budget: &'b MemoryBudget,
    bytes: u64,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        *self
            .budget
            .taken
            .lock()
            .unwrap_or_else(PoisonError::into_inner) -= self.bytes;
        self.budget.returned.notify_all();
    }
}

/// Lets the workers run at most a fixed number of files ahead of the writer.
struct Window {
    ahead: usize,
    /// Files written so far, and whether the workers are released for good.
    state: Mutex<(usize, bool)>,
    moved: Condvar,
}

impl Window {
    fn new(ahead: usize) -> Self {
        Window {
            ahead: ahead.max(1),
            state: Mutex::new((0, false)),
            moved: Condvar::new(),
        }
    }

    /// Waits until file `i` is within reach; false once the scan is over.
    fn wait_for(&self, i: usize) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while !state.1 && i >= state.0 + self.ahead {
            state = self
                .moved
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        !state.1
    }

    /// One more file written.
    fn advance(&self) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).0 += 1;
        self.moved.notify_all();
    }

    /// Releases every waiting worker when the returned guard is dropped.
    fn release_on_drop(&self) -> impl Drop + '_ {
        struct Release<'w>(&'w Window);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0
                    .state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .1 = true;
                self.0.moved.notify_all();
            }
        }
        Release(self)
    }
}

struct Scanner<'r> {
    folder: &'r FolderRow,
    chunking: ChunkConfig,
    report: &'r mut IndexReport,
    gone: &'r mut HashMap<String, FileRow>,
    gone_by_hash: &'r mut HashMap<Vec<u8>, Vec<String>>,
}

impl Scanner<'_> {
    /// Brings one file up to date from what a worker prepared; returns the bytes of text
    /// written.
    fn write(
        &mut self,
        batch: &mut Batch<'_>,
        file: &FoundFile,
        known: Option<&FileRow>,
        prepared: Prepared,
    ) -> Result<usize> {
        let (hash, content) = match prepared {
            Prepared::Unchanged => {
                self.report.unchanged += 1;
                return Ok(0);
            }
            Prepared::Skip(reason) => {
                self.skip(batch, file, known, None, reason)?;
                return Ok(0);
            }
            Prepared::Fail(message) => {
                self.fail(batch, file, known, &message)?;
                return Ok(0);
            }
            Prepared::Read {
                hash,
                bytes_read,
                content,
            } => {
                self.report.bytes_read += bytes_read;
                (hash, content)
            }
        };
        let extracted = match content {
            Content::Same => {
                if let Some(row) = known {
                    batch.begin()?;
                    batch
                        .catalog
                        .touch_file(row.id, &file.key, file.size, file.mtime_ns)?;
                    self.report.touched += 1;
                }
                return Ok(0);
            }
            Content::LikeVanished { kind, bytes } => {
                if let Some(old_key) = self.gone_by_hash.get_mut(&hash).and_then(Vec::pop)
                    && let Some(row) = self.gone.remove(&old_key)
                {
                    batch.begin()?;
                    batch
                        .catalog
                        .touch_file(row.id, &file.key, file.size, file.mtime_ns)?;
                    tracing::debug!(from = %old_key, to = %file.key, "renamed");
                    self.report.renamed += 1;
                    return Ok(0);
                }
                extract_chunks(
                    kind,
                    &bytes,
                    self.folder.options.max_file_bytes,
                    self.chunking,
                )
            }
            Content::Extracted(extracted) => extracted,
        };
        let (
            Extracted {
                kind, text, title, ..
            },
            chunks,
        ) = match extracted {
            Ok(done) => done,
            Err(reason) => {
                self.skip(batch, file, known, Some(&hash), reason)?;
                return Ok(0);
            }
        };
        batch.begin()?;
        let file_id = batch.catalog.upsert_file(&FileRecord {
            folder_id: self.folder.id,
            key: &file.key,
            size: file.size,
            mtime_ns: file.mtime_ns,
            hash: Some(&hash),
            kind: Some(kind.as_str()),
            status: FileStatus::Indexed,
            error: None,
            title: title.as_deref(),
        })?;
        if known.is_some() {
            self.report.chunks_removed += batch.catalog.delete_chunks(file_id)? as u64;
            batch.fulltext.delete_file(&batch.writer, file_id);
        }
        let ids = batch.catalog.insert_chunks(file_id, &chunks, &text)?;
        for (piece, id) in chunks.iter().zip(ids) {
            batch.fulltext.add(
                &batch.writer,
                &ChunkDoc {
                    id,
                    file_id,
                    folder_id: self.folder.id,
                    path: file.key.clone(),
                    title: title.clone().unwrap_or_default(),
                    heading: piece.heading.clone(),
                    text: piece.text(&text).to_owned(),
                },
            )?;
        }
        self.report.chunks_added += chunks.len() as u64;
        self.report.indexed += 1;
        Ok(text.len())
    }

    fn skip(
        &mut self,
        batch: &mut Batch<'_>,
        file: &FoundFile,
        known: Option<&FileRow>,
        hash: Option<&[u8]>,
        reason: SkipReason,
    ) -> Result<()> {
        let message = reason.to_string();
        self.record(
            batch,
            file,
            known,
            hash,
            FileStatus::Skipped,
            Some(message.as_str()),
        )?;
        self.report.skipped.push(SkippedFile {
            path: file.path.clone(),
            reason,
        });
        Ok(())
    }

    fn fail(
        &mut self,
        batch: &mut Batch<'_>,
        file: &FoundFile,
        known: Option<&FileRow>,
        message: &str,
    ) -> Result<()> {
        tracing::debug!(path = %file.path.display(), message, "cannot read");
        self.record(batch, file, known, None, FileStatus::Failed, Some(message))?;
        self.report.failed.push(Problem {
            path: file.path.clone(),
            message: message.to_owned(),
        });
        Ok(())
    }

    /// Records a file that has no chunks (skipped or failed), dropping any it had.
    fn record(
        &mut self,
        batch: &mut Batch<'_>,
        file: &FoundFile,
        known: Option<&FileRow>,
        hash: Option<&[u8]>,
        status: FileStatus,
        error: Option<&str>,
    ) -> Result<()> {
        batch.begin()?;
        let file_id = batch.catalog.upsert_file(&FileRecord {
            folder_id: self.folder.id,
            key: &file.key,
            size: file.size,
            mtime_ns: file.mtime_ns,
            hash,
            kind: None,
            status,
            error,
            title: None,
        })?;
        if known.is_some() {
            self.report.chunks_removed += batch.catalog.delete_chunks(file_id)? as u64;
            batch.fulltext.delete_file(&batch.writer, file_id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::MemoryBudget;

    #[test]
    fn leases_wait_while_the_budget_is_spent() {
        let budget = MemoryBudget::new(100);
        let first = budget.take(60);
        let small = budget.take(40); // fits beside the first
        assert_eq!(budget.taken(), 100);
        std::thread::scope(|scope| {
            let (got, granted) = mpsc::channel();
            let budget = &budget;
            scope.spawn(move || {
                let lease = budget.take(50);
                got.send(()).ok();
                drop(lease);
            });
            assert!(
                granted.recv_timeout(Duration::from_millis(100)).is_err(),
                "granted while the budget was spent"
            );
            drop(small); // 40 free: still not enough for 50
            assert!(granted.recv_timeout(Duration::from_millis(100)).is_err());
            drop(first);
            assert!(granted.recv_timeout(Duration::from_secs(10)).is_ok());
        });
        assert_eq!(budget.taken(), 0);
    }

    #[test]
    fn a_lease_larger_than_the_budget_runs_alone() {
        let budget = MemoryBudget::new(100);
        let huge = budget.take(10_000);
        assert_eq!(budget.taken(), 100);
        std::thread::scope(|scope| {
            let (got, granted) = mpsc::channel();
            let budget = &budget;
            scope.spawn(move || {
                let _lease = budget.take(1);
                got.send(()).ok();
            });
            assert!(granted.recv_timeout(Duration::from_millis(100)).is_err());
            drop(huge);
            assert!(granted.recv_timeout(Duration::from_secs(10)).is_ok());
        });
        assert_eq!(budget.taken(), 0);
    }
}
