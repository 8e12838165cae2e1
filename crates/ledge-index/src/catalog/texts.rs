//! Chunk texts, stored compressed.
//!
//! Consecutive chunks of one file are packed into *blocks* of up to [`BLOCK_BYTES`] of text
//! (a chunk larger than that gets a block of its own), each block one zstd frame with its
//! checksum in `chunk_texts`; a chunk row names its block and its byte range in the block's
//! text. Measured on the 1.3 GB mixed corpus (`examples/text_store_bench.rs`, BENCHMARKS.md):
//! 16 KB blocks store 645 MB of chunk text in 144 MB (4.5x) and give one chunk back in about
//! 12 µs; zstd per chunk gave 2.6x (3.5x with a trained dictionary, which a catalog would have
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

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

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
/// The conversion of an older catalog commits after about this much text.
const CONVERT_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Where a chunk's text is stored: its block and its byte range in the block's text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextRef {
    pub block: Option<i64>,
    pub start: i64,
    pub end: i64,
}

impl TextRef {
    /// Reads the three columns `text_block, text_start, text_end` starting at `first`.
    pub fn from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<TextRef> {
        Ok(TextRef {
            block: row.get(first)?,
            start: row.get::<_, Option<i64>>(first + 1)?.unwrap_or(0),
            end: row.get::<_, Option<i64>>(first + 2)?.unwrap_or(0),
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
            })
            .collect())
    }

    /// The text of chunk `chunk_id`, stored at `at`.
    pub(crate) fn chunk_text(&self, chunk_id: i64, at: TextRef) -> Result<String> {
        let unreadable = |reason: String| Error::ChunkTextUnreadable { chunk_id, reason };
        let Some(block) = at.block else {
            return Err(unreadable("it names no block".to_owned()));
        };
        let text = self.block_text(block).map_err(|error| match error {
            Ok(reason) => unreadable(reason),
            Err(error) => error,
        })?;
        let range = usize::try_from(at.start).unwrap_or(usize::MAX)
            ..usize::try_from(at.end).unwrap_or(usize::MAX);
        text.get(range)
            .map(str::to_owned)
            .ok_or_else(|| unreadable(format!("its range {}..{} is not in its block", at.start, at.end)))
    }

    /// A block's text, from the cache or the catalog. `Err(Ok(reason))`: the block is damaged
    /// or missing; `Err(Err(_))`: the catalog failed.
    fn block_text(&self, block: i64) -> std::result::Result<Arc<str>, std::result::Result<String, Error>> {
        if let Some(text) = self.texts.borrow_mut().cached(block) {
            return Ok(text);
        }
        let stored: Option<(i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT raw_bytes, data FROM chunk_texts WHERE id = ?1")
            .and_then(|mut statement| {
                statement
                    .query_row([block], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(|error| Err(Error::from(error)))?;
        let Some((raw_bytes, data)) = stored else {
            return Err(Ok(format!("its block {block} is missing")));
        };
        let mut codec = self.texts.borrow_mut();
        let text: Arc<str> = codec.unpack(&data, raw_bytes).map_err(Ok)?.into();
        codec.remember(block, Arc::clone(&text));
        Ok(text)
    }

    /// Whether `chunks` still has the `text` column of schema 0004 and older (a conversion to
    /// blocks not yet finished).
    fn has_inline_texts(&self) -> Result<bool> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM pragma_table_info('chunks') WHERE name = 'text'",
            [],
            |row| row.get(0),
        )?;
        Ok(count > 0)
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
            let (converted, last) = self.convert_batch(after)?;
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
        tx.execute_batch("ALTER TABLE chunks DROP COLUMN text")?;
        tx.commit()?;
        tracing::info!(files = done, "chunk texts compressed");
        Ok(done)
    }

    /// Converts the files after file id `after` up to about [`CONVERT_BATCH_BYTES`] of text in
    /// one transaction; returns how many had texts to convert and the last file id looked at
    /// (`None`: no file left).
    fn convert_batch(&mut self, after: i64) -> Result<(u64, Option<i64>)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut converted = 0;
        let mut last = None;
        {
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
                if bytes >= CONVERT_BATCH_BYTES {
                    break;
                }
            }
        }
        tx.commit()?;
        Ok((converted, last))
    }

    /// Rewrites the catalog file without its free pages, with incremental auto-vacuum on from
    /// then on (an older catalog has it off, and only a VACUUM changes that). Atomic; a failure
    /// (another process reading, a full disk) is only logged: the next open tries again.
    fn compact(&self) {
        let outcome = self
            .conn
            .execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;");
        match outcome {
            Ok(()) => tracing::info!("catalog compacted"),
            Err(error) => tracing::warn!(%error, "catalog not compacted; trying again at the next open"),
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
