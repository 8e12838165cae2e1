//! Reading chunks back out of the catalog: by id, by file, and the ids of files and their
//! chunks, for callers that cite, show or restrict to particular files; and the file rows of
//! a few paths, for scans limited to what a watcher reported.

use std::collections::HashMap;
use std::path::PathBuf;

use rusqlite::{OptionalExtension, Row};

use super::{Catalog, FileRow, TEXT_COLUMNS, TextRef};
use crate::index::ChunkRecord;
use crate::{Error, Result};

const RECORD_COLUMNS: &str = "c.id, f.path, c.line_start, c.line_end, c.byte_start, c.byte_end,
     c.page, c.heading";

/// A record without its text, and where the text is.
fn record(row: &Row<'_>) -> rusqlite::Result<(ChunkRecord, TextRef)> {
    Ok((
        ChunkRecord {
            chunk_id: row.get(0)?,
            path: PathBuf::from(row.get::<_, String>(1)?),
            line_start: row.get(2)?,
            line_end: row.get(3)?,
            byte_start: row.get::<_, i64>(4)?.max(0) as u64,
            byte_end: row.get::<_, i64>(5)?.max(0) as u64,
            page: row.get(6)?,
            heading: row.get(7)?,
            text: String::new(),
        },
        TextRef::from_row(row, 8)?,
    ))
}

impl Catalog {
    /// The chunks with these ids, in the order given; ids the catalog lacks are left out.
    /// A chunk whose stored text is damaged fails the call
    /// ([`Error::ChunkTextUnreadable`](crate::Error::ChunkTextUnreadable)).
    pub fn chunk_records(&self, ids: &[i64]) -> Result<Vec<ChunkRecord>> {
        self.read_chunk_records(ids, false)
    }

    /// [`chunk_records`](Self::chunk_records), leaving out (with a warning) chunks whose
    /// stored text is damaged, for ranked results: one damaged block must not stop a search.
    pub fn readable_chunk_records(&self, ids: &[i64]) -> Result<Vec<ChunkRecord>> {
        self.read_chunk_records(ids, true)
    }

    fn read_chunk_records(&self, ids: &[i64], skip_unreadable: bool) -> Result<Vec<ChunkRecord>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS}, {TEXT_COLUMNS} FROM chunks c JOIN files f ON f.id = c.file_id
             LEFT JOIN chunk_texts t ON t.id = c.text_block WHERE c.id = ?1"
        ))?;
        let mut records = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some((mut found, at)) = statement.query_row([id], record).optional()? {
                match self.chunk_text(id, at) {
                    Ok(text) => found.text = text,
                    Err(error @ Error::ChunkTextUnreadable { .. }) if skip_unreadable => {
                        tracing::warn!(%error, "chunk left out of the results");
                        continue;
                    }
                    Err(error) => return Err(error),
                }
                records.push(found);
            }
        }
        Ok(records)
    }

    /// Every chunk of the file recorded under `key`, in order.
    pub fn file_chunk_records(&self, key: &str) -> Result<Vec<ChunkRecord>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS}, {TEXT_COLUMNS} FROM chunks c JOIN files f ON f.id = c.file_id
             LEFT JOIN chunk_texts t ON t.id = c.text_block WHERE f.path = ?1 ORDER BY c.ordinal"
        ))?;
        let rows = statement
            .query_map([key], record)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(mut found, at)| {
                found.text = self.chunk_text(found.chunk_id, at)?;
                Ok(found)
            })
            .collect()
    }

    /// The id of the file recorded under `key`, if any.
    pub fn file_id(&self, key: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM files WHERE path = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }

    /// The file rows of `folder_id` at `paths` or under them (a path may be a folder).
    pub fn files_in_scope(
        &self,
        folder_id: i64,
        paths: &[PathBuf],
    ) -> Result<HashMap<String, FileRow>> {
        // Under `p`: keys between `p/` and `p0` ('0' is the byte after '/'), an index range.
        let mut statement = self.conn.prepare_cached(
            "SELECT id, path, size, mtime_ns, hash, status FROM files
             WHERE folder_id = ?1 AND (path = ?2 OR (path >= ?3 AND path < ?4))",
        )?;
        let mut rows = HashMap::new();
        for path in paths {
            let Some(key) = path.to_str() else {
                continue;
            };
            let key = key.trim_end_matches('/');
            let found = statement.query_map(
                rusqlite::params![folder_id, key, format!("{key}/"), format!("{key}0")],
                super::file_row,
            )?;
            for row in found {
                let (key, row) = row?;
                rows.insert(key, row);
            }
        }
        Ok(rows)
    }
}
