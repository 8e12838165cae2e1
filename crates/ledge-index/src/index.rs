//! [`Index`]: the catalog and the full-text index of one index folder, kept consistent.
//!
//! # Layout
//!
//! ```text
//! <index folder>/catalog.sqlite3   SQLite catalog (WAL): folders, files, chunks, problems
//! <index folder>/fulltext/         tantivy index: one document per chunk
//! ```
//!
//! # Consistency protocol
//!
//! The catalog is the source of truth; the full-text index is derived from its `chunks` table,
//! and every document carries its chunk id (ids are never reused: `AUTOINCREMENT`). Writes go
//! in batches (up to 1,000 files or 32 MiB of text):
//!
//! 1. one SQLite transaction holds the batch's changes *and* sets `meta.fulltext_dirty = 1`;
//!    the matching tantivy additions and deletions are queued in the writer, uncommitted;
//! 2. the SQLite transaction commits;
//! 3. tantivy commits;
//! 4. `fulltext_dirty` is set back to 0.
//!
//! A crash before 2 loses the batch on both sides (SQLite rolls back, tantivy never saw a
//! commit): the next scan simply does it again. A crash between 2 and 4 leaves the flag set, so
//! the next [`Index::open`] (and every write operation) runs [`Index::repair`]: it deletes
//! documents whose chunk ids the catalog no longer has (and duplicates), and adds documents for
//! catalog chunks the full-text index lacks, from the text the catalog stores. Searches in the
//! meantime only return chunks the catalog has. If the full-text index is unreadable or of
//! another schema it is rebuilt from the catalog the same way.
//!
//! Only one process writes at a time (tantivy's writer lock; a second writer gets
//! [`Error::Busy`]); searching needs no lock.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::catalog::{Catalog, FolderRow};
use crate::chunk::ChunkConfig;
use crate::discover::{IndexOptions, Problem, discover, validate_excludes};
use crate::embed::VectorCache;
use crate::fulltext::FullText;
use crate::progress::{CancelToken, IndexReport, Progress, Repair};
use crate::scan::{Batch, CrashPoint, scan};
use crate::{Error, Result};

mod excerpt;
mod paths;
mod records;
mod vectors;

pub use excerpt::{Excerpt, Span};
pub use records::ChunkRecord;

const CATALOG_FILE: &str = "catalog.sqlite3";
const FULLTEXT_DIR: &str = "fulltext";
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 240;

/// The file index in one folder of Ledge's data folder.
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    catalog: Catalog,
    fulltext: FullText,
    chunking: ChunkConfig,
    never_index: Vec<PathBuf>,
    crash: CrashPoint,
    last_repair: Option<Repair>,
    /// One model's vectors, for vector search (see the `embed` module).
    vectors: Mutex<Option<VectorCache>>,
}

/// Ranks chunks by their words (BM25) from any thread; see [`Index::text_ranker`].
#[derive(Debug, Clone, Copy)]
pub struct TextRanker<'a> {
    fulltext: &'a FullText,
}

impl TextRanker<'_> {
    /// The best `limit` chunks for `query` as (chunk id, BM25 score), best first.
    pub fn rank(&self, query: &str, limit: usize) -> Result<Vec<(i64, f32)>> {
        if query.trim().is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.fulltext.search_text(query, limit)
    }
}

/// One ranked search result: a chunk and where it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// The file.
    pub path: PathBuf,
    /// First line of the chunk, 1-based.
    pub line_start: u32,
    /// Last line of the chunk, 1-based, inclusive.
    pub line_end: u32,
    /// Byte range of the chunk in the extracted text (the file itself for UTF-8 text files).
    pub byte_start: u64,
    /// End of that range (exclusive).
    pub byte_end: u64,
    /// Page, for paged formats.
    pub page: Option<u32>,
    /// The headings above the chunk, joined with ` > `.
    pub heading: String,
    /// BM25 score (higher is better).
    pub score: f32,
    /// The best passage of the chunk, on one line.
    pub snippet: String,
    /// Byte ranges of the matched words in `snippet`.
    pub highlights: Vec<Range<usize>>,
    /// The chunk's id in the catalog.
    pub chunk_id: i64,
}

/// One indexed folder and what is in it.
#[derive(Debug, Clone, Serialize)]
pub struct FolderInfo {
    /// The folder (canonical path).
    pub path: PathBuf,
    /// How it is indexed.
    pub options: IndexOptions,
    /// When it was last scanned completely (unix seconds).
    pub scanned_at: Option<i64>,
    /// Files indexed.
    pub files_indexed: u64,
    /// Files skipped (binary, empty, too large, unsupported).
    pub files_skipped: u64,
    /// Files that could not be read.
    pub files_failed: u64,
    /// Chunks.
    pub chunks: u64,
    /// Bytes of the indexed files.
    pub bytes: u64,
    /// Paths the last scan could not read.
    pub problems: u64,
}

/// The whole index at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct IndexStatus {
    /// The index folder.
    pub dir: PathBuf,
    /// The indexed folders.
    pub folders: Vec<FolderInfo>,
    /// Chunks in the catalog.
    pub chunks: u64,
    /// Documents in the full-text index (equal to `chunks` when consistent).
    pub fulltext_docs: u64,
    /// Whether the full-text index is known to agree with the catalog.
    pub consistent: bool,
    /// Bytes on disk: catalog (with its WAL) and full-text index.
    pub disk_bytes: u64,
    /// The catalog's schema version.
    pub schema_version: i64,
}

fn canonical_folder(path: &Path) -> Result<PathBuf> {
    match fs::canonicalize(path) {
        Ok(canonical) if canonical.is_dir() => Ok(canonical),
        _ => Err(Error::NotAFolder {
            path: path.to_path_buf(),
        }),
    }
}

fn utf8(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| Error::NonUtf8Path {
        path: path.to_path_buf(),
    })
}

impl Index {
    /// Opens the index in `dir` (created when missing), repairing it if a previous run stopped
    /// between its two commits.
    pub fn open(dir: &Path) -> Result<Index> {
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let catalog = Catalog::open(&dir.join(CATALOG_FILE))?;
        let (fulltext, rebuilt) = FullText::open(&dir.join(FULLTEXT_DIR))?;
        if rebuilt {
            catalog.set_fulltext_dirty(true)?;
        }
        let mut index = Index {
            dir: dir.to_path_buf(),
            catalog,
            fulltext,
            chunking: ChunkConfig::default(),
            never_index: vec![dir.to_path_buf()],
            crash: CrashPoint::Never,
            last_repair: None,
            vectors: Mutex::new(None),
        };
        match index.repair_if_dirty() {
            Ok(_) | Err(Error::Busy { .. }) => {}
            Err(error) => return Err(error),
        }
        Ok(index)
    }

    /// Never index anything under `path` (Ledge's own data folder), whatever the options.
    pub fn never_index(&mut self, path: &Path) {
        self.never_index.push(path.to_path_buf());
    }

    /// The folders never indexed (the index's own folder, and those given to
    /// [`never_index`](Self::never_index)).
    pub fn never_indexed(&self) -> &[PathBuf] {
        &self.never_index
    }

    /// Sets the chunk sizes for files indexed from now on.
    pub fn set_chunking(&mut self, chunking: ChunkConfig) {
        self.chunking = chunking;
    }

    /// What the last repair (on open or during a write) changed, if one ran.
    pub fn last_repair(&self) -> Option<Repair> {
        self.last_repair
    }

    /// Makes write operations stop as a crash would (tests only).
    #[doc(hidden)]
    pub fn set_crash_point(&mut self, crash: CrashPoint) {
        self.crash = crash;
    }

    /// Adds `path` to the indexed folders (or updates its options) and indexes it.
    ///
    /// `progress` is called before each file and once at the end; `cancel` stops the run
    /// after the current file, with what was done committed.
    pub fn add_folder(
        &mut self,
        path: &Path,
        options: &IndexOptions,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<IndexReport> {
        let path = canonical_folder(path)?;
        let key = utf8(&path)?.to_owned();
        validate_excludes(&options.exclude)?;
        let folders = self.catalog.folders()?;
        if let Some(existing) = folders
            .iter()
            .find(|f| f.path != path && overlaps(&f.path, &path))
        {
            return Err(Error::FolderOverlaps {
                path,
                existing: existing.path.clone(),
            });
        }
        let mut options_changed = false;
        let folder = match folders.into_iter().find(|f| f.path == path) {
            Some(mut folder) => {
                if folder.options != *options {
                    self.catalog.update_folder_options(folder.id, options)?;
                    folder.options = options.clone();
                    options_changed = true;
                }
                folder
            }
            None => {
                let id = self.catalog.insert_folder(&key, options)?;
                FolderRow {
                    id,
                    path,
                    options: options.clone(),
                    scanned_at: None,
                }
            }
        };
        self.scan_folder(&folder, options_changed, progress, cancel)
    }

    /// Re-scans an indexed folder: only new, changed and deleted files are touched.
    pub fn refresh(
        &mut self,
        path: &Path,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<IndexReport> {
        let folder = self.folder(path)?;
        self.scan_folder(&folder, false, progress, cancel)
    }

    /// Changes how an indexed folder is read (its exclusions, hidden files, size limit)
    /// without reading it: the next [`refresh`](Self::refresh) applies the change, removing
    /// what is now excluded and adding what no longer is.
    pub fn set_folder_options(&mut self, path: &Path, options: &IndexOptions) -> Result<()> {
        validate_excludes(&options.exclude)?;
        let folder = self.folder(path)?;
        if folder.options != *options {
            self.catalog.update_folder_options(folder.id, options)?;
        }
        Ok(())
    }

    /// Re-scans every indexed folder.
    pub fn refresh_all(
        &mut self,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<Vec<IndexReport>> {
        let mut reports = Vec::new();
        for folder in self.catalog.folders()? {
            reports.push(self.scan_folder(&folder, false, progress, cancel)?);
        }
        Ok(reports)
    }

    /// Reads and indexes again every file of the indexed folders (or of the indexed folder
    /// `path`): text extracted afresh, chunks and full-text documents replaced, and the
    /// full-text index first made to agree with the catalog again (recreated empty and
    /// refilled from the catalog if it cannot be read). For after an upgrade of the
    /// extractors, or an index that looks wrong.
    ///
    /// Crash-safe and resumable: the files are marked in one catalog statement, and each is
    /// unmarked by the batch that re-indexes it (the usual two-commit protocol), so the index
    /// is consistent at every point; after an interruption (a kill, [`CancelToken`]) the next
    /// `rebuild` continues with the files still marked instead of starting over, and a
    /// `refresh` finishes them too.
    pub fn rebuild(
        &mut self,
        path: Option<&Path>,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<Vec<IndexReport>> {
        let folders = match path {
            Some(path) => vec![self.folder(path)?],
            None => self.catalog.folders()?,
        };
        match self.repair() {
            Ok(_) => {}
            Err(error @ Error::Busy { .. }) => return Err(error),
            Err(error) => {
                tracing::warn!(%error, "full-text index unreadable; recreating it from the catalog");
                self.catalog.set_fulltext_dirty(true)?;
                self.fulltext = FullText::recreate(&self.dir.join(FULLTEXT_DIR))?;
                self.repair()?;
            }
        }
        let mut reports = Vec::with_capacity(folders.len());
        for folder in &folders {
            let pending = self.catalog.rebuild_pending(folder.id)?;
            if pending > 0 {
                tracing::info!(folder = %folder.path.display(), pending, "resuming an interrupted rebuild");
            } else {
                let marked = self.catalog.mark_for_rebuild(folder.id)?;
                tracing::info!(folder = %folder.path.display(), marked, "rebuilding");
            }
            // Marked files are read whatever their state; the others are left as they are.
            reports.push(self.scan_folder(folder, false, progress, cancel)?);
        }
        Ok(reports)
    }

    /// Files a rebuild has still to read again (after an interrupted one), over all folders.
    pub fn rebuild_pending(&self) -> Result<u64> {
        let mut pending = 0;
        for folder in self.catalog.folders()? {
            pending += self.catalog.rebuild_pending(folder.id)?;
        }
        Ok(pending)
    }

    /// Removes a folder and everything indexed from it (the folder itself is not touched).
    pub fn remove_folder(&mut self, path: &Path) -> Result<()> {
        let folder = self.folder(path)?;
        self.repair_if_dirty()?;
        let mut batch = Batch::new(&self.catalog, &self.fulltext, self.crash)?;
        let outcome = (|| {
            batch.begin()?;
            batch.catalog.delete_folder(folder.id)?;
            batch.fulltext.delete_folder(&batch.writer, folder.id);
            batch.commit()
        })();
        if outcome.is_err() {
            batch.abort();
        } else {
            self.catalog.tidy();
        }
        outcome
    }

    /// The indexed folders with their counts.
    pub fn folders(&self) -> Result<Vec<FolderInfo>> {
        self.catalog
            .folders()?
            .into_iter()
            .map(|folder| {
                let counts = self.catalog.folder_counts(folder.id)?;
                Ok(FolderInfo {
                    path: folder.path,
                    options: folder.options,
                    scanned_at: folder.scanned_at,
                    files_indexed: counts.indexed,
                    files_skipped: counts.skipped,
                    files_failed: counts.failed,
                    chunks: counts.chunks,
                    bytes: counts.bytes,
                    problems: counts.problems,
                })
            })
            .collect()
    }

    /// The paths the last scan of a folder could not read, and the files it skipped or could
    /// not read (path, status, reason).
    #[allow(clippy::type_complexity)]
    pub fn folder_problems(
        &self,
        path: &Path,
    ) -> Result<(Vec<Problem>, Vec<(PathBuf, String, String)>)> {
        let folder = self.folder(path)?;
        Ok((
            self.catalog.problems(folder.id)?,
            self.catalog.file_errors(folder.id)?,
        ))
    }

    /// The whole index at a glance.
    pub fn status(&self) -> Result<IndexStatus> {
        let folders = self.folders()?;
        let disk_bytes = ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| {
                fs::metadata(self.dir.join(format!("{CATALOG_FILE}{suffix}"))).ok()
            })
            .map(|m| m.len())
            .sum::<u64>()
            + self.fulltext.disk_bytes();
        Ok(IndexStatus {
            dir: self.dir.clone(),
            chunks: folders.iter().map(|f| f.chunks).sum(),
            folders,
            fulltext_docs: self.fulltext.num_docs(),
            consistent: !self.catalog.fulltext_dirty()?,
            disk_bytes,
            schema_version: self.catalog.schema_version()?,
        })
    }

    /// How rare each of `terms` is among the indexed passages: `ln(1 + N / (n + 0.5))` for a
    /// term that `n` of the `N` passages have in their text (BM25's inverse document
    /// frequency, never negative). Terms are matched as the index stores them: lower-case
    /// and stemmed with Snowball's English stemmer (`licenses` is `licens`).
    pub fn term_rarity(&self, terms: &[String]) -> Result<Vec<f32>> {
        let (documents, counts) = self.fulltext.document_frequencies(terms)?;
        Ok(counts
            .into_iter()
            .map(|count| (1.0 + documents as f32 / (count as f32 + 0.5)).ln())
            .collect())
    }

    /// The best `limit` chunks for `query` (words, `"quoted phrases"`, `+required`,
    /// `-excluded`), best first.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        self.search_filtered(query, None, limit)
    }

    /// The best `limit` chunks for `query` as (chunk id, BM25 score), best first: what
    /// [`search`](Self::search) ranks, without reading each hit's row and cutting its
    /// snippet, for a caller that reads the chunks it keeps itself (the assistant's
    /// retrieval). A chunk deleted since the last commit may still be listed.
    pub fn search_ranked(&self, query: &str, limit: usize) -> Result<Vec<(i64, f32)>> {
        self.text_ranker()?.rank(query, limit)
    }

    /// [`search_ranked`](Self::search_ranked) as a handle another thread can use while this
    /// one goes on (the index itself holds a SQLite connection and stays on its thread):
    /// the assistant ranks by words while the question is being embedded.
    pub fn text_ranker(&self) -> Result<TextRanker<'_>> {
        self.fulltext.follow_commits()?;
        Ok(TextRanker {
            fulltext: &self.fulltext,
        })
    }

    /// BM25 search, restricted to the documents of `file_ids` when given.
    fn search_filtered(
        &self,
        query: &str,
        file_ids: Option<&[i64]>,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        if query.trim().is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.fulltext.follow_commits()?;
        let parsed = self.fulltext.parse(query);
        // A few extra, in case some documents belong to chunks just deleted.
        let found = match file_ids {
            Some(ids) => {
                let restricted = self.fulltext.restrict_to_files(parsed.box_clone(), ids);
                self.fulltext.search(restricted.as_ref(), limit + 8)?
            }
            None => self.fulltext.search_text(query, limit + 8)?,
        };
        let snippets = self.fulltext.snippets(parsed.as_ref(), SNIPPET_CHARS)?;
        let mut hits = Vec::with_capacity(limit);
        for (chunk_id, score) in found {
            let row = match self.catalog.hit(chunk_id) {
                Ok(Some(row)) => row,
                Ok(None) => continue,
                // One damaged block must not stop every search that ranks it.
                Err(error @ Error::ChunkTextUnreadable { .. }) => {
                    tracing::warn!(%error, "search hit left out");
                    continue;
                }
                Err(error) => return Err(error),
            };
            let snippet = snippets.make(&row.text);
            let (snippet, highlights) = if snippet.fragment().trim().is_empty() {
                (first_chars(&row.text, SNIPPET_CHARS), Vec::new())
            } else {
                (
                    snippet.fragment().to_owned(),
                    snippet.highlighted().to_vec(),
                )
            };
            hits.push(SearchHit {
                path: row.path,
                line_start: row.line_start,
                line_end: row.line_end,
                byte_start: row.byte_start,
                byte_end: row.byte_end,
                page: row.page,
                heading: row.heading,
                score,
                snippet: snippet.replace(['\n', '\r', '\t'], " "),
                highlights,
                chunk_id,
            });
            if hits.len() == limit {
                break;
            }
        }
        Ok(hits)
    }

    /// Makes the full-text index agree with the catalog (see the module docs).
    pub fn repair(&mut self) -> Result<Repair> {
        let writer = self.fulltext.writer()?;
        let in_catalog = self.catalog.chunk_ids()?;
        let (in_fulltext, duplicates) = self.fulltext.chunk_ids()?;
        let mut repair = Repair::default();
        for &id in in_fulltext.difference(&in_catalog) {
            self.fulltext.delete_chunk(&writer, id);
            repair.removed += 1;
        }
        for &id in &duplicates {
            if in_catalog.contains(&id) {
                self.fulltext.delete_chunk(&writer, id);
                repair.removed += 1;
            }
        }
        // In id order: a file's chunks are then read one after the other, each text block
        // decompressed once.
        let mut missing: Vec<i64> = in_catalog
            .iter()
            .copied()
            .filter(|id| !in_fulltext.contains(id) || duplicates.contains(id))
            .collect();
        missing.sort_unstable();
        for id in missing {
            match self.catalog.chunk_doc(id) {
                Ok(Some(doc)) => {
                    self.fulltext.add(&writer, &doc)?;
                    repair.added += 1;
                }
                Ok(None) => {}
                // Left unsearchable rather than blocking every write: re-indexing its file
                // (a rebuild) stores its text again.
                Err(error @ Error::ChunkTextUnreadable { .. }) => {
                    tracing::warn!(%error, "chunk left out of the full-text index");
                }
                Err(error) => return Err(error),
            }
        }
        let mut writer = writer;
        writer.commit()?;
        self.catalog.set_fulltext_dirty(false)?;
        self.fulltext.reload()?;
        if repair != Repair::default() {
            tracing::warn!(
                removed = repair.removed,
                added = repair.added,
                "full-text index repaired"
            );
        }
        self.last_repair = Some(repair);
        Ok(repair)
    }

    fn repair_if_dirty(&mut self) -> Result<Option<Repair>> {
        if self.catalog.fulltext_dirty()? {
            self.repair().map(Some)
        } else {
            Ok(None)
        }
    }

    fn folder(&self, path: &Path) -> Result<FolderRow> {
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.catalog
            .folders()?
            .into_iter()
            .find(|f| f.path == canonical || f.path == path)
            .ok_or_else(|| Error::UnknownFolder {
                path: path.to_path_buf(),
            })
    }

    fn scan_folder(
        &mut self,
        folder: &FolderRow,
        recheck_skipped: bool,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<IndexReport> {
        if !folder.path.is_dir() {
            return Err(Error::NotAFolder {
                path: folder.path.clone(),
            });
        }
        self.repair_if_dirty()?;
        let discovered = discover(&folder.path, &folder.options, &self.never_index, cancel)?;
        let mut batch = Batch::new(&self.catalog, &self.fulltext, self.crash)?;
        let outcome = scan(
            &mut batch,
            folder,
            discovered,
            None,
            self.chunking,
            recheck_skipped,
            progress,
            cancel,
        );
        if outcome.is_err() {
            batch.abort();
        }
        drop(batch);
        self.catalog.tidy();
        outcome
    }
}

fn overlaps(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

fn first_chars(text: &str, count: usize) -> String {
    text.chars().take(count).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_send() {
        fn send<T: Send>() {}
        send::<Index>();
    }
}
