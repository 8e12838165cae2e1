//! Chunk texts, stored compressed.
//!
//! Consecutive chunks of one file are packed into *blocks* of up to [`BLOCK_BYTES`] of text
//! (a chunk larger than that gets a block of its own), each block one zstd frame with its
//! checksum in `chunk_texts`; a chunk row names its block and its byte range in the block's
//! text. Measured on the 1.3 GB mixed corpus (`examples/text_store_bench.rs`, BENCHMARKS.md):
//! 16 KB blocks store 645 MB of chunk text in 144 MB (4.5x), and a block decompresses in about
//! 12 µs (one chunk read by id through the index: 22 µs at the median); zstd per chunk gave 2.6x (3.5x with a trained dictionary, which a catalog would have
//! to train and keep), whole files 5.1x but milliseconds per chunk of a large file.
//!
//! Reading goes through a small cache of decompressed blocks, keyed by block id: ids are never
//! reused (`AUTOINCREMENT`) and a block is never changed after it is written, so an entry can
//! never be stale, and reading a file's chunks in order, or chunks by id in id order,
//! decompresses each block once.
//!
//! A block that cannot be decompressed (a damaged catalog file) makes the read of its chunks
//! fail with [`Error::ChunkTextUnreadable`]; everything else keeps working, and a rebuild of the
//! file stores its text again.
//!
//! Catalogs of schema 0004 and older kept each chunk's text in `chunks.text`.
//! [`Catalog::convert_texts`] moves them into blocks after migration 0005: file by file, in
//! committed transactions of a few MB of text (a killed process leaves some files converted and
//! the others not, both readable by the conversion, which resumes on the next open), then drops
//! the column in one transaction and VACUUMs (atomic in SQLite) so the file shrinks.

use std::sync::Arc;

use rusqlite::{Row, TransactionBehavior, params};

use super::{Catalog, to_i64};
use crate::{Error, Result};

/// A block holds consecutive chunks of one file up to this many bytes of text.
pub(crate) const BLOCK_BYTES: usize = 16 * 1024;
/// zstd's level: 9 gains 10% more and costs 5x the time (see the module docs' benchmark).
const LEVEL: i32 = 3;
/// Decompressed blocks kept for the next reads (16 KB each).
const CACHED_BLOCKS: usize = 16;
/// A block claiming more text than this is damaged (blocks hold one file's text at most,
/// and a file is capped far below this by default).
const MAX_BLOCK_BYTES: i64 = 1 << 30;
/// The catalog's page size. Blocks compress to about 2.2 KB, and 4 KB pages hold only one of
/// them: 16 KB pages took the 1.3 GB corpus's catalog from 227 MB to 207 MB (8 KB: 230 MB,
/// 64 KB: 195 MB, with more written per small change).
pub(crate) const PAGE_SIZE: i64 = 16 * 1024;
/// The conversion of an older catalog commits after about this much text.
const CONVERT_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// The columns a query selects for a chunk's text: its block and range, and the block itself
/// (joined, so that reading a chunk is one statement: `LEFT JOIN chunk_texts t ON t.id =
/// c.text_block`).
pub(crate) const TEXT_COLUMNS: &str = "c.text_block, c.text_start, c.text_end, t.raw_bytes, t.data";

/// Where a chunk's text is stored (its block and its byte range in the block's text), with the
/// block's stored row as the query found it (`None`: no such block).
#[derive(Debug, Clone)]
pub(crate) struct TextRef {
    pub block: Option<i64>,
    pub start: i64,
    pub end: i64,
    stored: Option<(Option<i64>, Option<Vec<u8>>)>,
}

impl TextRef {
    /// Reads the [`TEXT_COLUMNS`] starting at `first`. The block's columns are read whatever
    /// their type: a damaged row is the chunk's problem, not the catalog's.
    pub fn from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<TextRef> {
        let block: Option<i64> = row.get(first)?;
        let raw_bytes = row.get_ref(first + 3)?.as_i64().ok();
        let data = match row.get_ref(first + 4)? {
            rusqlite::types::ValueRef::Blob(bytes) | rusqlite::types::ValueRef::Text(bytes) => {
                Some(bytes.to_vec())
            }
            _ => None,
        };
        let found = raw_bytes.is_some() || data.is_some();
        Ok(TextRef {
            block,
            start: row.get::<_, Option<i64>>(first + 1)?.unwrap_or(0),
            end: row.get::<_, Option<i64>>(first + 2)?.unwrap_or(0),
            stored: found.then_some((raw_bytes, data)),
        })
    }
}

/// The texts of a file's chunks, packed: compressed blocks, and for each chunk its block's
/// index in `blocks` and its byte range in that block's text.
#[derive(Debug, Default)]
pub(crate) struct Packed {
    pub blocks: Vec<(Vec<u8>, usize)>,
    pub spans: Vec<(usize, usize, usize)>,
}

/// The zstd contexts (made once per catalog connection) and the cache of decompressed blocks.
pub(crate) struct TextCodec {
    compressor: zstd::bulk::Compressor<'static>,
    decompressor: zstd::bulk::Decompressor<'static>,
    /// Most recently used last.
    cache: Vec<(i64, Arc<str>)>,
}

impl std::fmt::Debug for TextCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextCodec")
            .field("cached", &self.cache.len())
            .finish_non_exhaustive()
    }
}

fn compression_error(error: std::io::Error) -> Error {
    Error::Compression {
        message: error.to_string(),
    }
}

impl TextCodec {
    pub fn new() -> Result<TextCodec> {
        let mut compressor = zstd::bulk::Compressor::new(LEVEL).map_err(compression_error)?;
        // 4 bytes per block, so that a damaged block is an error rather than wrong text.
        compressor
            .include_checksum(true)
            .map_err(compression_error)?;
        Ok(TextCodec {
            compressor,
            decompressor: zstd::bulk::Decompressor::new().map_err(compression_error)?,
            cache: Vec::with_capacity(CACHED_BLOCKS),
        })
    }

    /// Packs `texts` (one file's chunks, in order) into blocks of up to [`BLOCK_BYTES`].
    pub fn pack<S: AsRef<str>>(&mut self, texts: &[S]) -> Result<Packed> {
        let mut packed = Packed::default();
        let mut buffer = String::new();
        for text in texts {
            let text = text.as_ref();
            if !buffer.is_empty() && buffer.len() + text.len() > BLOCK_BYTES {
                self.flush(&mut buffer, &mut packed)?;
            }
            let start = buffer.len();
            buffer.push_str(text);
            packed
                .spans
                .push((packed.blocks.len(), start, buffer.len()));
        }
        if !buffer.is_empty() {
            self.flush(&mut buffer, &mut packed)?;
        }
        Ok(packed)
    }

    fn flush(&mut self, buffer: &mut String, packed: &mut Packed) -> Result<()> {
        let data = self
            .compressor
            .compress(buffer.as_bytes())
            .map_err(compression_error)?;
        packed.blocks.push((data, buffer.len()));
        buffer.clear();
        Ok(())
    }

    fn cached(&mut self, block: i64) -> Option<Arc<str>> {
        let at = self.cache.iter().position(|(id, _)| *id == block)?;
        let entry = self.cache.remove(at);
        let text = Arc::clone(&entry.1);
        self.cache.push(entry);
        Some(text)
    }

    fn remember(&mut self, block: i64, text: Arc<str>) {
        if self.cache.len() == CACHED_BLOCKS {
            self.cache.remove(0);
        }
        self.cache.push((block, text));
    }

    /// A block's text from its stored frame; `Err` says what is wrong with it.
    fn unpack(&mut self, data: &[u8], raw_bytes: i64) -> std::result::Result<String, String> {
        if !(0..=MAX_BLOCK_BYTES).contains(&raw_bytes) {
            return Err(format!("its block claims {raw_bytes} bytes of text"));
        }
        let raw = self
            .decompressor
            .decompress(data, raw_bytes as usize)
            .map_err(|error| format!("its block does not decompress: {error}"))?;
        if raw.len() as i64 != raw_bytes {
            return Err(format!(
                "its block holds {} bytes of text, {raw_bytes} were stored",
                raw.len()
            ));
        }
        String::from_utf8(raw).map_err(|_| "its block is not UTF-8 text".to_owned())
    }
}

fn inline_texts(conn: &rusqlite::Connection) -> Result<bool> {
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('chunks') WHERE name = 'text'",
        [],
        |row| row.get(0),
    )?;
    Ok(count > 0)
}

impl Catalog {
    /// Stores the texts of a file's chunks (in order) as blocks of `file_id`; returns where
    /// each chunk's text is.
    pub(crate) fn store_texts<S: AsRef<str>>(
        &self,
        file_id: i64,
        texts: &[S],
    ) -> Result<Vec<TextRef>> {
        let packed = self.texts.borrow_mut().pack(texts)?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO chunk_texts (file_id, raw_bytes, data) VALUES (?1, ?2, ?3)",
        )?;
        let mut ids = Vec::with_capacity(packed.blocks.len());
        for (data, raw_bytes) in &packed.blocks {
            insert.execute(params![file_id, to_i64(*raw_bytes as u64), data])?;
            ids.push(self.conn.last_insert_rowid());
        }
        Ok(packed
            .spans
            .iter()
            .map(|&(block, start, end)| TextRef {
                block: ids.get(block).copied(),
                start: start as i64,
                end: end as i64,
                stored: None,
            })
            .collect())
    }

    /// The text of chunk `chunk_id`, stored at `at`.
    pub(crate) fn chunk_text(&self, chunk_id: i64, at: TextRef) -> Result<String> {
        let unreadable = |reason: String| Error::ChunkTextUnreadable { chunk_id, reason };
        let Some(block) = at.block else {
            return Err(unreadable("it names no block".to_owned()));
        };
        let text = self.block_text(block, at.stored).map_err(unreadable)?;
        let range = usize::try_from(at.start).unwrap_or(usize::MAX)
            ..usize::try_from(at.end).unwrap_or(usize::MAX);
        text.get(range).map(str::to_owned).ok_or_else(|| {
            unreadable(format!(
                "its range {}..{} is not in its block",
                at.start, at.end
            ))
        })
    }

    /// A block's text, from the cache or from its row as the query found it; `Err` says why
    /// it cannot be read.
    fn block_text(
        &self,
        block: i64,
        stored: Option<(Option<i64>, Option<Vec<u8>>)>,
    ) -> std::result::Result<Arc<str>, String> {
        if let Some(text) = self.texts.borrow_mut().cached(block) {
            return Ok(text);
        }
        let (raw_bytes, data) = match stored {
            None => return Err(format!("its block {block} is missing")),
            Some((Some(raw_bytes), Some(data))) => (raw_bytes, data),
            Some(_) => return Err(format!("its block {block} is not a compressed text")),
        };
        let mut codec = self.texts.borrow_mut();
        let text: Arc<str> = codec.unpack(&data, raw_bytes)?.into();
        codec.remember(block, Arc::clone(&text));
        Ok(text)
    }

    /// Whether `chunks` still has the `text` column of schema 0004 and older (a conversion to
    /// blocks not yet finished).
    pub(super) fn has_inline_texts(&self) -> Result<bool> {
        inline_texts(&self.conn)
    }

    /// Moves the texts of an older catalog into blocks (see the module docs); nothing to do
    /// for a catalog created with blocks. Returns the number of files converted.
    pub(crate) fn convert_texts(&mut self) -> Result<u64> {
        if !self.has_inline_texts()? {
            return Ok(0);
        }
        let total: i64 = self.conn.query_row(
            "SELECT COUNT(DISTINCT file_id) FROM chunks WHERE text_block IS NULL",
            [],
            |row| row.get(0),
        )?;
        if total > 0 {
            tracing::info!(files = total, "moving chunk texts into compressed blocks");
        }
        let mut done = 0u64;
        let mut after = i64::MIN;
        let mut reported = 0;
        loop {
            let (converted, last) = self.convert_batch(after, CONVERT_BATCH_BYTES)?;
            done += converted;
            let Some(last) = last else {
                break;
            };
            after = last;
            let percent = (done * 100).checked_div(total.max(1) as u64).unwrap_or(100);
            if percent >= reported + 10 {
                reported = percent - percent % 10;
                tracing::info!(done, total, "chunk texts compressed: {reported}%");
            }
        }
        // The old column goes in one transaction: a kill before it commits leaves the column,
        // every text already in blocks, and the next open does only this.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have finished the conversion meanwhile.
        if inline_texts(&tx)? {
            tx.execute_batch("ALTER TABLE chunks DROP COLUMN text")?;
        }
        tx.commit()?;
        tracing::info!(files = done, "chunk texts compressed");
        Ok(done)
    }

    /// Converts the files after file id `after` up to about `max_bytes` of text in one
    /// transaction; returns how many had texts to convert and the last file id looked at
    /// (`None`: no file left).
    pub(super) fn convert_batch(
        &mut self,
        after: i64,
        max_bytes: usize,
    ) -> Result<(u64, Option<i64>)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut converted = 0;
        let mut last = None;
        // Another process may have finished the conversion meanwhile.
        if inline_texts(&tx)? {
            let mut files = tx.prepare("SELECT id FROM files WHERE id > ?1 ORDER BY id")?;
            let mut texts = tx.prepare(
                "SELECT id, text FROM chunks WHERE file_id = ?1 AND text_block IS NULL
                 ORDER BY ordinal",
            )?;
            let mut insert = tx.prepare(
                "INSERT INTO chunk_texts (file_id, raw_bytes, data) VALUES (?1, ?2, ?3)",
            )?;
            let mut update = tx.prepare(
                "UPDATE chunks SET text = '', text_block = ?2, text_start = ?3, text_end = ?4
                 WHERE id = ?1",
            )?;
            let mut ids = files.query([after])?;
            let mut bytes = 0;
            while let Some(row) = ids.next()? {
                let file_id: i64 = row.get(0)?;
                last = Some(file_id);
                let chunks: Vec<(i64, String)> = texts
                    .query_map([file_id], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                if chunks.is_empty() {
                    continue;
                }
                let bodies: Vec<&str> = chunks.iter().map(|(_, text)| text.as_str()).collect();
                let packed = self.texts.get_mut().pack(&bodies)?;
                let mut blocks = Vec::with_capacity(packed.blocks.len());
                for (data, raw_bytes) in &packed.blocks {
                    insert.execute(params![file_id, to_i64(*raw_bytes as u64), data])?;
                    blocks.push(tx.last_insert_rowid());
                }
                for ((chunk_id, _), &(block, start, end)) in chunks.iter().zip(&packed.spans) {
                    update.execute(params![
                        chunk_id,
                        blocks.get(block),
                        start as i64,
                        end as i64
                    ])?;
                }
                converted += 1;
                bytes += bodies.iter().map(|b| b.len()).sum::<usize>();
                if bytes >= max_bytes {
                    break;
                }
            }
        }
        tx.commit()?;
        Ok((converted, last))
    }

    /// Rewrites the catalog file without its free pages, in pages of [`PAGE_SIZE`] and with
    /// incremental auto-vacuum on from then on (an older catalog has 4 KB pages and no
    /// auto-vacuum; only a VACUUM outside WAL mode changes them). Atomic; a failure (another
    /// process reading, a full disk) is only logged: the next open tries again. When another
    /// process has the catalog open, WAL mode cannot be left: the VACUUM then keeps the page
    /// size, and is not tried again for it.
    fn compact(&self) {
        let started = std::time::Instant::now();
        let outcome = (|| -> Result<()> {
            let mode: String =
                self.conn
                    .pragma_update_and_check(None, "journal_mode", "DELETE", |row| row.get(0))?;
            if mode.eq_ignore_ascii_case("delete") {
                self.conn.pragma_update(None, "page_size", PAGE_SIZE)?;
            }
            self.conn
                .execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
            Ok(())
        })();
        // Back to WAL whatever happened (a no-op where it never left).
        let wal = self
            .conn
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| {
                self.conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            });
        match outcome.and(wal.map_err(Error::from)) {
            Ok(()) => tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "catalog compacted"
            ),
            Err(error) => {
                tracing::warn!(%error, "catalog not compacted; trying again at the next open")
            }
        }
    }

    /// Compacts a catalog whose auto-vacuum is off (made before schema 0005, and not yet
    /// VACUUMed: [`compact`](Self::compact) failed or was interrupted).
    pub(crate) fn compact_if_needed(&self) -> Result<()> {
        let mode: i64 = self
            .conn
            .pragma_query_value(None, "auto_vacuum", |row| row.get(0))?;
        if mode != 2 {
            self.compact();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rusqlite::Connection;

    use super::*;
    use crate::catalog::{FileRecord, FileStatus, MIGRATIONS};
    use crate::chunk::{ChunkConfig, chunk};
    use crate::discover::IndexOptions;
    use crate::{Error, Kind};

    /// Real texts: Debian's licences, (path, text).
    fn licences() -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/common-licenses"
        ))
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let text = std::fs::read_to_string(entry.path()).ok()?;
            Some((entry.path().to_str()?.to_owned(), text))
        })
        .collect();
        found.sort();
        assert!(found.len() >= 10, "{} licences", found.len());
        found
    }

    /// A catalog of schema 0004 holding the licences' chunks as that version wrote them
    /// (text in `chunks.text`); returns (chunk id, file path, text) in id order.
    fn old_catalog(path: &Path, copies: usize) -> Vec<(i64, String, String)> {
        let conn = Connection::open(path).unwrap();
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute(
            "INSERT INTO folders (id, path, max_file_bytes, added_at) VALUES (1, '/usr/share/common-licenses', 9, 0)",
            [],
        )
        .unwrap();
        conn.execute_batch("BEGIN").unwrap();
        let mut chunks = Vec::new();
        let files = (0..copies).flat_map(|copy| {
            licences()
                .into_iter()
                .map(move |(path, text)| (format!("{path}.{copy}"), text))
        });
        for (path, text) in files {
            conn.execute(
                "INSERT INTO files (folder_id, path, size, mtime_ns, hash, kind, status, indexed_at)
                 VALUES (1, ?1, ?2, 7, x'01', 'plain', 'indexed', 0)",
                params![path, text.len() as i64],
            )
            .unwrap();
            let file_id = conn.last_insert_rowid();
            for (ordinal, piece) in chunk(&text, Kind::Plain, ChunkConfig::default())
                .iter()
                .enumerate()
            {
                conn.execute(
                    "INSERT INTO chunks (file_id, ordinal, byte_start, byte_end, line_start,
                     line_end, page, heading, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8)",
                    params![
                        file_id,
                        ordinal as i64,
                        piece.byte_start as i64,
                        piece.byte_end as i64,
                        piece.line_start,
                        piece.line_end,
                        piece.heading,
                        piece.text(&text)
                    ],
                )
                .unwrap();
                chunks.push((
                    conn.last_insert_rowid(),
                    path.clone(),
                    piece.text(&text).to_owned(),
                ));
            }
        }
        conn.execute_batch("COMMIT").unwrap();
        chunks
    }

    fn assert_texts(catalog: &Catalog, chunks: &[(i64, String, String)]) {
        let ids: Vec<i64> = chunks.iter().map(|(id, _, _)| *id).collect();
        let records = catalog.chunk_records(&ids).unwrap();
        assert_eq!(records.len(), chunks.len());
        for (record, (id, path, text)) in records.iter().zip(chunks) {
            assert_eq!(
                (record.chunk_id, record.path.to_str().unwrap()),
                (*id, path.as_str())
            );
            assert_eq!(&record.text, text, "chunk {id}");
        }
        // By file, in order, too.
        let first = &chunks[0].1;
        let of_first: Vec<&String> = chunks
            .iter()
            .filter(|(_, path, _)| path == first)
            .map(|(_, _, text)| text)
            .collect();
        let read: Vec<String> = catalog
            .file_chunk_records(first)
            .unwrap()
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(read.iter().collect::<Vec<_>>(), of_first);
    }

    fn pragma(catalog: &Catalog, name: &str) -> i64 {
        catalog
            .conn
            .pragma_query_value(None, name, |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn an_older_catalog_migrates_with_every_text_intact_and_shrinks() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("catalog.sqlite3");
        // Enough text that the fixed cost of 16 KB pages (one at least per table and index)
        // does not decide.
        let chunks = old_catalog(&path, 4);
        let before = std::fs::metadata(&path).unwrap().len();

        let catalog = Catalog::open(&path).unwrap();
        assert_eq!(catalog.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert!(!catalog.has_inline_texts().unwrap());
        assert_texts(&catalog, &chunks);
        assert_eq!(pragma(&catalog, "auto_vacuum"), 2);
        assert_eq!(pragma(&catalog, "page_size"), PAGE_SIZE);
        let after = std::fs::metadata(&path).unwrap().len();
        let text: usize = chunks.iter().map(|(_, _, text)| text.len()).sum();
        // (A third less here; on the 1.3 GB corpus 799 MB became 207 MB. A small catalog pays
        // one 16 KB page at least per table and index.)
        assert!(
            after * 3 < before * 2,
            "{before} bytes before, {after} after, for {text} bytes of text"
        );
        // Ids are never reused: a new chunk comes after every migrated one.
        let file = catalog
            .upsert_file(&FileRecord {
                folder_id: 1,
                key: "/usr/share/common-licenses/new",
                size: 5,
                mtime_ns: 1,
                hash: Some(&[9]),
                kind: Some("plain"),
                status: FileStatus::Indexed,
                error: None,
                title: None,
            })
            .unwrap();
        let new = catalog
            .insert_chunks(
                file,
                &chunk("hello", Kind::Plain, ChunkConfig::default()),
                "hello",
            )
            .unwrap();
        assert!(new[0] > chunks.last().unwrap().0);
        assert_eq!(catalog.chunk_records(&new).unwrap()[0].text, "hello");
        drop(catalog);
        // A second open converts nothing and reads the same.
        assert_texts(&Catalog::open(&path).unwrap(), &chunks);
    }

    #[test]
    fn a_conversion_stopped_between_batches_resumes_on_the_next_open() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("catalog.sqlite3");
        let chunks = old_catalog(&path, 1);
        // What a kill leaves: the migration committed, then the batches committed so far
        // (here one file), the rest untouched.
        {
            let mut catalog = Catalog {
                conn: Connection::open(&path).unwrap(),
                texts: std::cell::RefCell::new(TextCodec::new().unwrap()),
            };
            catalog.migrate().unwrap();
            let (converted, _) = catalog.convert_batch(i64::MIN, 1).unwrap();
            assert_eq!(converted, 1);
            let (inline, blocks): (i64, i64) = catalog
                .conn
                .query_row(
                    "SELECT SUM(text_block IS NULL), SUM(text_block IS NOT NULL) FROM chunks",
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .unwrap();
            assert!(
                inline > 0 && blocks > 0,
                "{inline} inline, {blocks} in blocks"
            );
        }
        assert_texts(&Catalog::open(&path).unwrap(), &chunks);

        // And a kill after every batch but before the column was dropped.
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("catalog.sqlite3");
        let chunks = old_catalog(&path, 1);
        {
            let mut catalog = Catalog {
                conn: Connection::open(&path).unwrap(),
                texts: std::cell::RefCell::new(TextCodec::new().unwrap()),
            };
            catalog.migrate().unwrap();
            catalog.convert_batch(i64::MIN, usize::MAX).unwrap();
            assert!(catalog.has_inline_texts().unwrap());
        }
        let catalog = Catalog::open(&path).unwrap();
        assert!(!catalog.has_inline_texts().unwrap());
        assert_texts(&catalog, &chunks);
    }

    #[test]
    fn texts_round_trip_in_blocks_under_half_their_size() {
        let catalog = Catalog::open_in_memory().unwrap();
        let folder = catalog
            .insert_folder("/usr/share/common-licenses", &IndexOptions::default())
            .unwrap();
        let mut stored = Vec::new();
        for (path, text) in licences() {
            let file = catalog
                .upsert_file(&FileRecord {
                    folder_id: folder,
                    key: &path,
                    size: text.len() as u64,
                    mtime_ns: 1,
                    hash: Some(&[1]),
                    kind: Some("plain"),
                    status: FileStatus::Indexed,
                    error: None,
                    title: None,
                })
                .unwrap();
            let pieces = chunk(&text, Kind::Plain, ChunkConfig::default());
            let ids = catalog.insert_chunks(file, &pieces, &text).unwrap();
            for (id, piece) in ids.into_iter().zip(&pieces) {
                stored.push((id, path.clone(), piece.text(&text).to_owned()));
            }
        }
        assert_texts(&catalog, &stored);
        let (data, raw): (i64, i64) = catalog
            .conn
            .query_row(
                "SELECT SUM(LENGTH(data)), SUM(raw_bytes) FROM chunk_texts",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        let text: usize = stored.iter().map(|(_, _, text)| text.len()).sum();
        assert_eq!(raw as usize, text);
        // 2.6x on these short texts (4.5x on the 1.3 GB corpus).
        assert!(data * 2 < raw, "{data} bytes stored for {raw}");
    }

    #[test]
    fn a_damaged_block_is_an_error_for_its_chunks_only() {
        let catalog = Catalog::open_in_memory().unwrap();
        let folder = catalog
            .insert_folder("/usr/share/common-licenses", &IndexOptions::default())
            .unwrap();
        let mut files = Vec::new();
        for (path, text) in licences().into_iter().take(2) {
            let file = catalog
                .upsert_file(&FileRecord {
                    folder_id: folder,
                    key: &path,
                    size: text.len() as u64,
                    mtime_ns: 1,
                    hash: Some(&[1]),
                    kind: Some("plain"),
                    status: FileStatus::Indexed,
                    error: None,
                    title: None,
                })
                .unwrap();
            let pieces = chunk(&text, Kind::Plain, ChunkConfig::default());
            files.push((file, catalog.insert_chunks(file, &pieces, &text).unwrap()));
        }
        let (damaged_file, damaged) = &files[0];
        let (_, intact) = &files[1];
        // Bytes in the middle of every block of the first file flipped.
        catalog
            .conn
            .execute(
                "UPDATE chunk_texts SET data = CAST(substr(data, 1, 20) || randomblob(16) ||
                 substr(data, 37) AS BLOB) WHERE file_id = ?1",
                [damaged_file],
            )
            .unwrap();
        match catalog.chunk_records(&damaged[..1]) {
            Err(Error::ChunkTextUnreadable { chunk_id, reason }) => {
                assert_eq!(chunk_id, damaged[0]);
                assert!(reason.contains("decompress"), "{reason}");
            }
            other => panic!("expected an unreadable text, got {other:?}"),
        }
        assert!(matches!(
            catalog.hit(damaged[0]),
            Err(Error::ChunkTextUnreadable { .. })
        ));
        // The other file reads, and lenient reads leave the damaged chunk out.
        assert_eq!(catalog.chunk_records(intact).unwrap().len(), intact.len());
        let mixed = [damaged[0], intact[0]];
        let read = catalog.readable_chunk_records(&mixed).unwrap();
        assert_eq!(
            read.iter().map(|r| r.chunk_id).collect::<Vec<_>>(),
            [intact[0]]
        );
        // A block that is gone, or claims an absurd size, is the same typed error.
        catalog
            .conn
            .execute(
                "UPDATE chunk_texts SET raw_bytes = -5 WHERE file_id = ?1",
                [damaged_file],
            )
            .unwrap();
        assert!(matches!(
            catalog.chunk_records(&damaged[1..2]),
            Err(Error::ChunkTextUnreadable { .. })
        ));
        catalog
            .conn
            .execute("DELETE FROM chunk_texts WHERE file_id = ?1", [damaged_file])
            .unwrap();
        assert!(matches!(
            catalog.chunk_records(&damaged[2..3]),
            Err(Error::ChunkTextUnreadable { .. })
        ));
        // Re-indexing the file stores its text again.
        catalog.delete_chunks(*damaged_file).unwrap();
        let ids = catalog
            .insert_chunks(
                *damaged_file,
                &chunk("fresh", Kind::Plain, ChunkConfig::default()),
                "fresh",
            )
            .unwrap();
        assert_eq!(catalog.chunk_records(&ids).unwrap()[0].text, "fresh");
    }

    /// Set for the child process of the kill test: the catalog it converts.
    const KILL_VAR: &str = "LEDGE_CATALOG_CONVERT_KILL";

    /// The child of the kill test: opens (so converts) the catalog named by [`KILL_VAR`].
    #[test]
    fn conversion_child() {
        if let Ok(path) = std::env::var(KILL_VAR) {
            Catalog::open(Path::new(&path)).unwrap();
        }
    }

    #[test]
    fn a_conversion_killed_at_any_moment_leaves_a_catalog_that_opens_with_every_text() {
        let temp = tempfile::tempdir().unwrap();
        // About 18 MB of text: two conversion batches, a drop and a VACUUM to be killed in.
        let original = temp.path().join("original.sqlite3");
        let chunks = old_catalog(&original, 60);
        let run = |path: &Path| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "catalog::texts::tests::conversion_child",
                    "--test-threads=1",
                ])
                .env(KILL_VAR, path)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        };
        let uninterrupted = temp.path().join("uninterrupted.sqlite3");
        std::fs::copy(&original, &uninterrupted).unwrap();
        let started = std::time::Instant::now();
        assert!(run(&uninterrupted).wait().unwrap().success());
        let full = started.elapsed();
        let mut interrupted = 0;
        for fraction in [0.2, 0.4, 0.6, 0.8, 0.95] {
            let path = temp.path().join(format!("killed-{fraction}.sqlite3"));
            std::fs::copy(&original, &path).unwrap();
            let mut child = run(&path);
            std::thread::sleep(full.mul_f64(fraction));
            child.kill().unwrap();
            child.wait().unwrap();
            let unfinished = inline_texts(&Connection::open(&path).unwrap()).unwrap();
            interrupted += usize::from(unfinished);
            let catalog = Catalog::open(&path).unwrap();
            assert!(!catalog.has_inline_texts().unwrap(), "after {fraction}");
            assert_texts(&catalog, &chunks);
        }
        assert!(
            interrupted > 0,
            "no kill landed before the conversion ended"
        );
    }
}
