//! The SQLite catalog: folders, files, chunks, problems, and the consistency flag.
//!
//! The schema lives in numbered migrations (`migrations/NNNN_*.sql`, embedded with
//! `include_str!`); `PRAGMA user_version` records how many have run, and a catalog from a newer
//! Ledge is refused rather than misread. The database runs in WAL mode with foreign keys on
//! (deleting a folder deletes its files, chunks and problems), incremental auto-vacuum (free
//! pages are given back to the file system after large deletions, see [`Catalog::tidy`]), and a
//! WAL kept small ([`WAL_LIMIT`]). Chunk texts are stored compressed in blocks (`texts`).
//!
//! This module is plain data access; the order of writes that keeps the catalog and the
//! full-text index consistent is the indexer's business (see `index.rs`).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

use crate::chunk::Chunk;
use crate::discover::{IndexOptions, Problem};
use crate::{Error, Result};

mod records;
mod texts;
mod vectors;

pub(crate) use texts::{TEXT_COLUMNS, TextRef};

/// The migrations, in order; `user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_catalog.sql"),
    include_str!("migrations/0002_documents.sql"),
    include_str!("migrations/0003_embeddings.sql"),
    include_str!("migrations/0004_titles.sql"),
    include_str!("migrations/0005_compressed_texts.sql"),
    include_str!("migrations/0006_titles_and_definitions.sql"),
    include_str!("migrations/0007_embedding_windows.sql"),
    include_str!("migrations/0008_embedded_under_document.sql"),
];

/// Reads go through a memory map of up to this much of the catalog file instead of copying
/// each 16 KB page into SQLite's cache: reading one chunk by id took 28 µs without it.
const MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// The WAL is truncated to this size after a checkpoint. Without a limit it stays as large as
/// the largest transaction made it (42 MB after a cold index of the 1.3 GB corpus).
const WAL_LIMIT: i64 = 4 * 1024 * 1024;

/// A folder the user chose.
#[derive(Debug, Clone)]
pub(crate) struct FolderRow {
    pub id: i64,
    pub path: PathBuf,
    pub options: IndexOptions,
    pub scanned_at: Option<i64>,
}

/// What the catalog knows about a file, for change detection.
#[derive(Debug, Clone)]
pub(crate) struct FileRow {
    pub id: i64,
    pub size: u64,
    pub mtime_ns: i64,
    pub hash: Option<Vec<u8>>,
    /// The last attempt failed: try again even when size and time match.
    pub failed: bool,
    /// The file was skipped (binary, too large, ...).
    pub skipped: bool,
}

/// A chunk as the full-text index needs it.
#[derive(Debug, Clone)]
pub(crate) struct ChunkDoc {
    pub id: i64,
    pub file_id: i64,
    pub folder_id: i64,
    /// The file's path as recorded (the full-text index keeps only its name's words).
    pub path: String,
    /// The file's title, empty when it has none.
    pub title: String,
    pub heading: String,
    pub text: String,
}

/// A chunk as a search hit needs it.
#[derive(Debug, Clone)]
pub(crate) struct HitRow {
    pub path: PathBuf,
    pub byte_start: u64,
    pub byte_end: u64,
    pub line_start: u32,
    pub line_end: u32,
    pub page: Option<u32>,
    pub heading: String,
    pub text: String,
}

/// Counts for one folder.
#[derive(Debug, Clone, Default)]
pub(crate) struct FolderCounts {
    pub indexed: u64,
    pub skipped: u64,
    pub failed: u64,
    pub chunks: u64,
    pub bytes: u64,
    pub problems: u64,
}

/// The file's status column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileStatus {
    Indexed,
    Skipped,
    Failed,
}

impl FileStatus {
    fn as_str(self) -> &'static str {
        match self {
            FileStatus::Indexed => "indexed",
            FileStatus::Skipped => "skipped",
            FileStatus::Failed => "failed",
        }
    }
}

/// A file's row as written by the indexer.
#[derive(Debug)]
pub(crate) struct FileRecord<'a> {
    pub folder_id: i64,
    pub key: &'a str,
    pub size: u64,
    pub mtime_ns: i64,
    pub hash: Option<&'a [u8]>,
    pub kind: Option<&'a str>,
    pub status: FileStatus,
    pub error: Option<&'a str>,
    /// The document's title, where its format has one.
    pub title: Option<&'a str>,
}

pub(crate) struct Catalog {
    conn: Connection,
    /// The zstd contexts and the cache of decompressed text blocks.
    texts: RefCell<texts::TextCodec>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

/// The mtime a file row is given when a rebuild must read it again: no real file has it, so
/// the scan never takes the file for unchanged.
const REBUILD_MTIME: i64 = i64::MIN;

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Catalog {
    /// Opens (creating and migrating when needed) the catalog at `path`.
    pub fn open(path: &Path) -> Result<Catalog> {
        let conn = Connection::open(path)?;
        Catalog::setup(conn)
    }

    /// An in-memory catalog, for tests.
    #[cfg(test)]
    pub fn open_in_memory() -> Result<Catalog> {
        Catalog::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Catalog> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // These two take effect only in a new, empty file; an older catalog gets them by the
        // VACUUM after its texts are converted (`compact_if_needed`).
        conn.pragma_update(None, "page_size", texts::PAGE_SIZE)?;
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "journal_size_limit", WAL_LIMIT)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        let mut catalog = Catalog {
            conn,
            texts: RefCell::new(texts::TextCodec::new()?),
        };
        catalog.migrate()?;
        catalog.convert_texts()?;
        catalog.compact_if_needed()?;
        Ok(catalog)
    }

    /// After a write operation: gives free pages back to the file system when they are more
    /// than an eighth of the file and over 1 MB (a folder removed, many files deleted or shrunk), and
    /// truncates the WAL. What fails here only costs disk space, so it is logged, not returned.
    pub fn tidy(&self) {
        let pages = |pragma: &str| {
            self.conn
                .pragma_query_value(None, pragma, |row| row.get::<_, i64>(0))
        };
        match (pages("freelist_count"), pages("page_count")) {
            (Ok(free), Ok(total)) if free * texts::PAGE_SIZE > 1 << 20 && free * 8 > total => {
                // It frees a page per step: run it to the end.
                let vacuum =
                    self.conn
                        .prepare("PRAGMA incremental_vacuum")
                        .and_then(|mut pragma| {
                            let mut steps = pragma.query([])?;
                            while steps.next()?.is_some() {}
                            Ok(())
                        });
                if let Err(error) = vacuum {
                    tracing::warn!(%error, "catalog free pages not reclaimed");
                } else {
                    tracing::debug!(pages = free, "catalog free pages reclaimed");
                }
            }
            (Ok(_), Ok(_)) => {}
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "catalog page counts unreadable");
            }
        }
        if let Err(error) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::warn!(%error, "catalog WAL not checkpointed");
        }
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(Error::CatalogTooNew {
                found: version,
                known,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
            tracing::info!(version = index + 1, "catalog migrated");
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    pub fn begin(&self) -> Result<()> {
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    pub fn commit(&self) -> Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    pub fn rollback(&self) {
        if !self.conn.is_autocommit()
            && let Err(error) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(%error, "catalog rollback failed");
        }
    }

    /// Whether the full-text index may disagree with the catalog.
    pub fn fulltext_dirty(&self) -> Result<bool> {
        let value: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'fulltext_dirty'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(value.as_deref() == Some("1"))
    }

    pub fn set_fulltext_dirty(&self, dirty: bool) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('fulltext_dirty', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [if dirty { "1" } else { "0" }],
        )?;
        Ok(())
    }

    pub fn folders(&self) -> Result<Vec<FolderRow>> {
        let mut statement = self.conn.prepare(
            "SELECT id, path, include_hidden, follow_links, exclude, max_file_bytes, scanned_at
             FROM folders ORDER BY path",
        )?;
        let rows = statement.query_map([], |row| {
            let exclude: String = row.get(4)?;
            Ok(FolderRow {
                id: row.get(0)?,
                path: PathBuf::from(row.get::<_, String>(1)?),
                options: IndexOptions {
                    include_hidden: row.get(2)?,
                    follow_links: row.get(3)?,
                    exclude: exclude.lines().map(str::to_owned).collect(),
                    max_file_bytes: row.get::<_, i64>(5)?.max(0) as u64,
                },
                scanned_at: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn insert_folder(&self, path: &str, options: &IndexOptions) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO folders (path, include_hidden, follow_links, exclude, max_file_bytes, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                path,
                options.include_hidden,
                options.follow_links,
                options.exclude.join("\n"),
                to_i64(options.max_file_bytes),
                now()
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn update_folder_options(&self, id: i64, options: &IndexOptions) -> Result<()> {
        self.conn.execute(
            "UPDATE folders SET include_hidden = ?2, follow_links = ?3, exclude = ?4,
             max_file_bytes = ?5 WHERE id = ?1",
            params![
                id,
                options.include_hidden,
                options.follow_links,
                options.exclude.join("\n"),
                to_i64(options.max_file_bytes)
            ],
        )?;
        Ok(())
    }

    pub fn delete_folder(&self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM folders WHERE id = ?1", [id])?;
        Ok(())
    }

    pub fn set_scanned(&self, id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE folders SET scanned_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    pub fn files_of(&self, folder_id: i64) -> Result<HashMap<String, FileRow>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, path, size, mtime_ns, hash, status FROM files WHERE folder_id = ?1",
        )?;
        let rows = statement.query_map([folder_id], file_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Inserts or replaces the row for `record.key`; returns the file id.
    pub fn upsert_file(&self, record: &FileRecord<'_>) -> Result<i64> {
        let mut statement = self.conn.prepare_cached(
            "INSERT INTO files (folder_id, path, size, mtime_ns, hash, kind, status, error, indexed_at,
               title)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(path) DO UPDATE SET folder_id = excluded.folder_id, size = excluded.size,
               mtime_ns = excluded.mtime_ns, hash = excluded.hash, kind = excluded.kind,
               status = excluded.status, error = excluded.error, indexed_at = excluded.indexed_at,
               title = excluded.title
             RETURNING id",
        )?;
        Ok(statement.query_row(
            params![
                record.folder_id,
                record.key,
                to_i64(record.size),
                record.mtime_ns,
                record.hash,
                record.kind,
                record.status.as_str(),
                record.error,
                now(),
                record.title
            ],
            |row| row.get(0),
        )?)
    }

    /// Records a new size and mtime (and, for a rename, a new path) without touching chunks.
    pub fn touch_file(&self, id: i64, key: &str, size: u64, mtime_ns: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE files SET path = ?2, size = ?3, mtime_ns = ?4 WHERE id = ?1")?
            .execute(params![id, key, to_i64(size), mtime_ns])?;
        Ok(())
    }

    /// Marks every file of a folder as needing to be read and extracted again (a rebuild):
    /// one statement, so a crash leaves either all or none marked. The scan that re-reads a
    /// file writes its real mtime back, which clears the mark.
    pub fn mark_for_rebuild(&self, folder_id: i64) -> Result<usize> {
        Ok(self
            .conn
            .prepare_cached("UPDATE files SET mtime_ns = ?2, hash = NULL WHERE folder_id = ?1")?
            .execute(params![folder_id, REBUILD_MTIME])?)
    }

    /// Files of a folder still marked by [`mark_for_rebuild`](Self::mark_for_rebuild).
    pub fn rebuild_pending(&self, folder_id: i64) -> Result<u64> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM files WHERE folder_id = ?1 AND mtime_ns = ?2")?
            .query_row(params![folder_id, REBUILD_MTIME], |row| row.get(0))?;
        Ok(count.max(0) as u64)
    }

    pub fn delete_file(&self, id: i64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM files WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// Deletes a file's chunks and their texts; returns how many chunks there were.
    pub fn delete_chunks(&self, file_id: i64) -> Result<usize> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM chunks WHERE file_id = ?1")?
            .execute([file_id])?;
        self.conn
            .prepare_cached("DELETE FROM chunk_texts WHERE file_id = ?1")?
            .execute([file_id])?;
        Ok(deleted)
    }

    /// Stores a file's chunks, in order, with their texts (`text` is what they were cut from);
    /// returns their ids. The file must have no chunks yet.
    pub fn insert_chunks(&self, file_id: i64, chunks: &[Chunk], text: &str) -> Result<Vec<i64>> {
        let bodies: Vec<&str> = chunks.iter().map(|chunk| chunk.text(text)).collect();
        let stored = self.store_texts(file_id, &bodies)?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO chunks (file_id, ordinal, byte_start, byte_end, line_start, line_end,
             page, heading, text_block, text_start, text_end)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let mut ids = Vec::with_capacity(chunks.len());
        for (ordinal, (chunk, at)) in chunks.iter().zip(&stored).enumerate() {
            insert.execute(params![
                file_id,
                ordinal as i64,
                chunk.byte_start as i64,
                chunk.byte_end as i64,
                chunk.line_start,
                chunk.line_end,
                chunk.page,
                chunk.heading,
                at.block,
                at.start,
                at.end
            ])?;
            ids.push(self.conn.last_insert_rowid());
        }
        Ok(ids)
    }

    pub fn replace_problems(&self, folder_id: i64, problems: &[Problem]) -> Result<()> {
        self.conn
            .execute("DELETE FROM problems WHERE folder_id = ?1", [folder_id])?;
        let mut statement = self.conn.prepare_cached(
            "INSERT INTO problems (folder_id, path, message) VALUES (?1, ?2, ?3)",
        )?;
        for problem in problems {
            statement.execute(params![
                folder_id,
                problem.path.to_string_lossy(),
                problem.message
            ])?;
        }
        Ok(())
    }

    pub fn problems(&self, folder_id: i64) -> Result<Vec<Problem>> {
        let mut statement = self
            .conn
            .prepare("SELECT path, message FROM problems WHERE folder_id = ?1 ORDER BY path")?;
        let rows = statement.query_map([folder_id], |row| {
            Ok(Problem {
                path: PathBuf::from(row.get::<_, String>(0)?),
                message: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn chunk_ids(&self) -> Result<HashSet<i64>> {
        let mut statement = self.conn.prepare("SELECT id FROM chunks")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The title recorded for the file under `key` (`None`: no such file, or no title).
    pub fn file_title(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT title FROM files WHERE path = ?1")?
            .query_row([key], |row| row.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    pub fn chunk_doc(&self, id: i64) -> Result<Option<ChunkDoc>> {
        let found = self
            .conn
            .prepare_cached(&format!(
                "SELECT c.id, c.file_id, f.folder_id, c.heading, f.path, COALESCE(f.title, ''),
                        {TEXT_COLUMNS}
                 FROM chunks c JOIN files f ON f.id = c.file_id
                 LEFT JOIN chunk_texts t ON t.id = c.text_block WHERE c.id = ?1"
            ))?
            .query_row([id], |row| {
                Ok((
                    ChunkDoc {
                        id: row.get(0)?,
                        file_id: row.get(1)?,
                        folder_id: row.get(2)?,
                        heading: row.get(3)?,
                        path: row.get(4)?,
                        title: row.get(5)?,
                        text: String::new(),
                    },
                    TextRef::from_row(row, 6)?,
                ))
            })
            .optional()?;
        let Some((mut doc, at)) = found else {
            return Ok(None);
        };
        doc.text = self.chunk_text(id, at)?;
        Ok(Some(doc))
    }

    pub fn hit(&self, chunk_id: i64) -> Result<Option<HitRow>> {
        let found = self
            .conn
            .prepare_cached(&format!(
                "SELECT f.path, c.byte_start, c.byte_end, c.line_start, c.line_end, c.page,
                        c.heading, {TEXT_COLUMNS}
                 FROM chunks c JOIN files f ON f.id = c.file_id
                 LEFT JOIN chunk_texts t ON t.id = c.text_block WHERE c.id = ?1"
            ))?
            .query_row([chunk_id], |row| {
                Ok((
                    HitRow {
                        path: PathBuf::from(row.get::<_, String>(0)?),
                        byte_start: row.get::<_, i64>(1)?.max(0) as u64,
                        byte_end: row.get::<_, i64>(2)?.max(0) as u64,
                        line_start: row.get(3)?,
                        line_end: row.get(4)?,
                        page: row.get(5)?,
                        heading: row.get(6)?,
                        text: String::new(),
                    },
                    TextRef::from_row(row, 7)?,
                ))
            })
            .optional()?;
        let Some((mut hit, at)) = found else {
            return Ok(None);
        };
        hit.text = self.chunk_text(chunk_id, at)?;
        Ok(Some(hit))
    }

    pub fn folder_counts(&self, folder_id: i64) -> Result<FolderCounts> {
        let mut counts = FolderCounts::default();
        let mut statement = self.conn.prepare_cached(
            "SELECT status, COUNT(*), COALESCE(SUM(size), 0) FROM files
             WHERE folder_id = ?1 GROUP BY status",
        )?;
        let mut rows = statement.query([folder_id])?;
        while let Some(row) = rows.next()? {
            let status: String = row.get(0)?;
            let count = row.get::<_, i64>(1)?.max(0) as u64;
            match status.as_str() {
                "indexed" => {
                    counts.indexed = count;
                    counts.bytes = row.get::<_, i64>(2)?.max(0) as u64;
                }
                "skipped" => counts.skipped = count,
                _ => counts.failed = count,
            }
        }
        counts.chunks = self.conn.query_row(
            "SELECT COUNT(*) FROM chunks c JOIN files f ON f.id = c.file_id
             WHERE f.folder_id = ?1",
            [folder_id],
            |row| row.get::<_, i64>(0),
        )? as u64;
        counts.problems = self.conn.query_row(
            "SELECT COUNT(*) FROM problems WHERE folder_id = ?1",
            [folder_id],
            |row| row.get::<_, i64>(0),
        )? as u64;
        Ok(counts)
    }

    /// Why each non-indexed file of a folder was skipped or failed.
    pub fn file_errors(&self, folder_id: i64) -> Result<Vec<(PathBuf, String, String)>> {
        let mut statement = self.conn.prepare(
            "SELECT path, status, COALESCE(error, '') FROM files
             WHERE folder_id = ?1 AND status != 'indexed' ORDER BY path",
        )?;
        let rows = statement.query_map([folder_id], |row| {
            Ok((
                PathBuf::from(row.get::<_, String>(0)?),
                row.get(1)?,
                row.get(2)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// A `files` row selected as `id, path, size, mtime_ns, hash, status`: its path and record.
pub(crate) fn file_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, FileRow)> {
    let status: String = row.get(5)?;
    Ok((
        row.get(1)?,
        FileRow {
            id: row.get(0)?,
            size: row.get::<_, i64>(2)?.max(0) as u64,
            mtime_ns: row.get(3)?,
            hash: row.get(4)?,
            failed: status == "failed",
            skipped: status == "skipped",
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_a_newer_catalog_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("catalog.sqlite3");
        let catalog = Catalog::open(&path).unwrap();
        assert_eq!(catalog.schema_version().unwrap(), MIGRATIONS.len() as i64);
        drop(catalog);
        let catalog = Catalog::open(&path).unwrap(); // a second open migrates nothing
        catalog
            .conn
            .pragma_update(None, "user_version", 99)
            .unwrap();
        drop(catalog);
        assert!(matches!(
            Catalog::open(&path),
            Err(Error::CatalogTooNew { found: 99, .. })
        ));
    }

    #[test]
    fn documents_an_older_version_skipped_as_unsupported_are_read_again() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("catalog.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute_batch(
                "INSERT INTO folders (id, path, max_file_bytes, added_at) VALUES (1, '/d', 9, 0);
                 INSERT INTO files (folder_id, path, size, mtime_ns, status, error, indexed_at)
                 VALUES (1, '/d/a.pdf', 5, 7, 'skipped', 'unsupported type .pdf', 0),
                        (1, '/d/b.rtf', 5, 7, 'skipped', 'unsupported type .rtf', 0),
                        (1, '/d/c.png', 5, 7, 'skipped', 'unsupported type .png', 0);",
            )
            .unwrap();
        }
        let catalog = Catalog::open(&path).unwrap();
        let mtimes: Vec<(String, i64)> = catalog
            .conn
            .prepare("SELECT path, mtime_ns FROM files ORDER BY path")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            mtimes,
            [
                ("/d/a.pdf".to_owned(), -1),
                ("/d/b.rtf".to_owned(), -1),
                ("/d/c.png".to_owned(), 7)
            ]
        );
    }

    #[test]
    fn files_whose_extraction_changed_since_their_version_are_marked_to_be_read_again() {
        // 0004: HTML and EPUB (navigation left out, titles); 0006: the kinds that take their
        // first line as their title or keep definitions whole. Code and data are read as
        // before.
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("catalog.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            conn.execute_batch(
                "INSERT INTO folders (id, path, max_file_bytes, added_at) VALUES (1, '/d', 9, 0);
                 INSERT INTO files (folder_id, path, size, mtime_ns, hash, kind, status, indexed_at)
                 VALUES (1, '/d/a.html', 5, 7, x'01', 'html', 'indexed', 0),
                        (1, '/d/b.epub', 5, 7, x'02', 'epub', 'indexed', 0),
                        (1, '/d/c.md', 5, 7, x'03', 'markdown', 'indexed', 0),
                        (1, '/d/d.html', 5, 7, NULL, NULL, 'skipped', 0),
                        (1, '/d/e.rs', 5, 7, x'04', 'code', 'indexed', 0);",
            )
            .unwrap();
        }
        let catalog = Catalog::open(&path).unwrap();
        assert_eq!(catalog.rebuild_pending(1).unwrap(), 3);
        let rows: Vec<(String, i64, bool)> = catalog
            .conn
            .prepare("SELECT path, mtime_ns, hash IS NULL FROM files ORDER BY path")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows,
            [
                ("/d/a.html".to_owned(), REBUILD_MTIME, true),
                ("/d/b.epub".to_owned(), REBUILD_MTIME, true),
                ("/d/c.md".to_owned(), REBUILD_MTIME, true),
                ("/d/d.html".to_owned(), 7, true),
                ("/d/e.rs".to_owned(), 7, false),
            ]
        );
        assert_eq!(catalog.file_title("/d/a.html").unwrap(), None);
    }

    #[test]
    fn deleting_a_folder_cascades_to_files_and_chunks() {
        let catalog = Catalog::open_in_memory().unwrap();
        let folder = catalog
            .insert_folder("/docs", &IndexOptions::default())
            .unwrap();
        let file = catalog
            .upsert_file(&FileRecord {
                folder_id: folder,
                key: "/docs/a.md",
                size: 5,
                mtime_ns: 1,
                hash: Some(&[1, 2]),
                kind: Some("markdown"),
                status: FileStatus::Indexed,
                error: None,
                title: Some("A title"),
            })
            .unwrap();
        let chunk = Chunk {
            byte_start: 0,
            byte_end: 5,
            line_start: 1,
            line_end: 1,
            heading: String::new(),
            page: Some(3),
        };
        let id = catalog
            .insert_chunks(file, std::slice::from_ref(&chunk), "hello")
            .unwrap()[0];
        assert_eq!(catalog.hit(id).unwrap().unwrap().page, Some(3));
        let doc = catalog.chunk_doc(id).unwrap().unwrap();
        assert_eq!(doc.folder_id, folder);
        assert_eq!(
            (doc.path.as_str(), doc.title.as_str()),
            ("/docs/a.md", "A title")
        );
        assert_eq!(
            catalog.file_title("/docs/a.md").unwrap().as_deref(),
            Some("A title")
        );
        assert_eq!(catalog.folder_counts(folder).unwrap().chunks, 1);
        catalog.delete_folder(folder).unwrap();
        assert!(catalog.chunk_ids().unwrap().is_empty());
        assert!(catalog.files_of(folder).unwrap().is_empty());
    }
}
