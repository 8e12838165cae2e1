//! Embedding rows: which chunks still need a vector for a model, storing a batch of vectors,
//! loading a model's vectors for search, counts.

use rusqlite::{OptionalExtension, params};

use super::{Catalog, TEXT_COLUMNS, TextRef, now, to_i64};
use crate::embed::{Stamp, VectorCache};
use crate::{Error, Result};

/// A chunk waiting for its vectors.
#[derive(Debug, Clone)]
pub(crate) struct PendingChunk {
    pub id: i64,
    pub heading: String,
    /// Its file's title (empty when it has none) and path, the document it belongs to.
    pub title: String,
    pub path: String,
    pub text: String,
}

impl Catalog {
    /// A number that changes whenever the catalog may have changed: this connection's count
    /// of changed rows, and SQLite's `data_version`, which moves when another connection
    /// commits.
    pub fn change_stamp(&self) -> Result<Stamp> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "data_version", |row| row.get(0))?;
        Ok((self.conn.total_changes(), version))
    }

    /// The vector length recorded for `model`, if it has vectors.
    pub fn model_dims(&self, model: &str) -> Result<Option<usize>> {
        Ok(self
            .conn
            .prepare_cached("SELECT dims FROM embedding_models WHERE model = ?1")?
            .query_row([model], |row| row.get::<_, i64>(0))
            .optional()?
            .map(|dims| usize::try_from(dims).unwrap_or(0)))
    }

    /// Up to `limit` chunks after chunk id `after` whose vectors for `model` are not all
    /// there (none yet, or stale: made from an older form of the text), by id, and the last
    /// chunk id looked at (`None`: none left). A chunk whose stored text is damaged is left
    /// out with a warning (it cannot be embedded until its file is indexed again), so that it
    /// does not stop the others.
    pub fn pending_chunks(
        &self,
        model: &str,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<PendingChunk>, Option<i64>)> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT c.id, c.heading, COALESCE(f.title, ''), f.path,
                    {TEXT_COLUMNS} FROM chunks c
             JOIN files f ON f.id = c.file_id
             LEFT JOIN chunk_texts t ON t.id = c.text_block
             LEFT JOIN embeddings e ON e.chunk_id = c.id AND e.model = ?1
             WHERE c.id > ?2 AND (e.chunk_id IS NULL OR e.parts <= 0)
             ORDER BY c.id LIMIT ?3"
        ))?;
        let rows = statement
            .query_map(params![model, after, to_i64(limit as u64)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    TextRef::from_row(row, 4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let last = rows.last().map(|(id, ..)| *id);
        let mut pending = Vec::with_capacity(rows.len());
        for (id, heading, title, path, at) in rows {
            match self.chunk_text(id, at) {
                Ok(text) => pending.push(PendingChunk {
                    id,
                    heading,
                    title,
                    path,
                    text,
                }),
                Err(error @ Error::ChunkTextUnreadable { .. }) => {
                    tracing::warn!(%error, "chunk not embedded");
                }
                Err(error) => return Err(error),
            }
        }
        Ok((pending, last))
    }

    /// Records `model`'s vector length (inside the caller's transaction).
    pub fn register_model(&self, model: &str, dims: usize) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO embedding_models (model, dims, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(model) DO NOTHING",
            )?
            .execute(params![model, to_i64(dims as u64), now()])?;
        Ok(())
    }

    /// Stores the vector of one window of a chunk (`part` 0 is the first window), inside the
    /// caller's transaction; [`set_parts`](Self::set_parts) then marks the chunk complete. A
    /// chunk deleted since it was read (by another process's scan) is passed over rather than
    /// failing the batch.
    pub fn insert_vector(
        &self,
        chunk_id: i64,
        model: &str,
        part: usize,
        vector: &[f32],
    ) -> Result<()> {
        let blob: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
        if part == 0 {
            self.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO embeddings (chunk_id, model, dims, vector)
                     SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?1)",
                )?
                .execute(params![chunk_id, model, to_i64(vector.len() as u64), blob])?;
        } else {
            self.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO embedding_windows (chunk_id, model, part, vector)
                     SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?1)",
                )?
                .execute(params![chunk_id, model, to_i64(part as u64), blob])?;
        }
        Ok(())
    }

    /// Records that a chunk has all its `parts` vectors for `model` (inside the caller's
    /// transaction, after its vectors).
    pub fn set_parts(&self, chunk_id: i64, model: &str, parts: usize) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE embeddings SET parts = ?3 WHERE chunk_id = ?1 AND model = ?2")?
            .execute(params![chunk_id, model, to_i64(parts as u64)])?;
        Ok(())
    }

    /// (chunks whose vectors for `model` are all there, chunks): an embedding run's progress.
    pub fn embedding_progress(&self, model: &str) -> Result<(u64, u64)> {
        self.count_against_chunks(
            "SELECT COUNT(*) FROM embeddings WHERE model = ?1 AND parts > 0",
            model,
        )
    }

    /// (chunks with a vector for `model`, chunks): how much of the index search by meaning
    /// reaches.
    pub fn embedding_counts(&self, model: &str) -> Result<(u64, u64)> {
        self.count_against_chunks("SELECT COUNT(*) FROM embeddings WHERE model = ?1", model)
    }

    /// (what `count` counts for `model`, chunks in the index).
    fn count_against_chunks(&self, count: &str, model: &str) -> Result<(u64, u64)> {
        let counted: i64 = self.conn.query_row(count, [model], |row| row.get(0))?;
        let chunks: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM chunks", [], |row| row.get(0))?;
        Ok((counted.max(0) as u64, chunks.max(0) as u64))
    }

    /// Every vector of `model` (every window of every chunk) in one matrix, by chunk id
    /// (rows of another length are left out, with a warning: they cannot be compared).
    pub fn load_vectors(&self, model: &str, dims: usize, stamp: Stamp) -> Result<VectorCache> {
        let mut statement = self.conn.prepare_cached(
            "SELECT chunk_id, vector FROM embeddings WHERE model = ?1
             UNION ALL SELECT chunk_id, vector FROM embedding_windows WHERE model = ?1
             ORDER BY chunk_id",
        )?;
        let mut rows = statement.query([model])?;
        let mut cache = VectorCache::new(model, dims, stamp);
        let mut bad = 0u64;
        let mut vector: Vec<f32> = Vec::with_capacity(dims);
        while let Some(row) = rows.next()? {
            let blob = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            if !read_vector(blob, dims, &mut vector) {
                bad += 1;
                continue;
            }
            cache.push(row.get(0)?, &vector);
        }
        if bad > 0 {
            tracing::warn!(model, bad, "vectors of the wrong length ignored");
        }
        Ok(cache)
    }

    /// The stored vectors (every window) of each chunk in `ids` for `model`, as
    /// (chunk id, vector) rows; rows of another length than `dims` are left out.
    pub fn vectors_of(
        &self,
        model: &str,
        dims: usize,
        ids: &[i64],
    ) -> Result<Vec<(i64, Vec<f32>)>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT vector FROM embeddings WHERE model = ?1 AND chunk_id = ?2
             UNION ALL SELECT vector FROM embedding_windows WHERE model = ?1 AND chunk_id = ?2",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let mut rows = statement.query(rusqlite::params![model, id])?;
            while let Some(row) = rows.next()? {
                let blob = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
                let mut vector = Vec::with_capacity(dims);
                if read_vector(blob, dims, &mut vector) {
                    out.push((id, vector));
                }
            }
        }
        Ok(out)
    }

    /// The ids of the chunks of these files.
    pub fn chunk_ids_of_files(&self, file_ids: &[i64]) -> Result<Vec<i64>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT id FROM chunks WHERE file_id = ?1")?;
        let mut ids = Vec::new();
        for &file_id in file_ids {
            let rows = statement.query_map([file_id], |row| row.get::<_, i64>(0))?;
            for id in rows {
                ids.push(id?);
            }
        }
        Ok(ids)
    }

    /// Deletes every vector of `model`; returns how many there were.
    pub fn delete_model(&self, model: &str) -> Result<u64> {
        let deleted = self
            .conn
            .execute("DELETE FROM embeddings WHERE model = ?1", [model])?;
        self.conn
            .execute("DELETE FROM embedding_windows WHERE model = ?1", [model])?;
        self.conn
            .execute("DELETE FROM embedding_models WHERE model = ?1", [model])?;
        Ok(deleted as u64)
    }
}

/// A stored vector (`dims` little-endian f32s) into `vector`, which it replaces; false, with
/// `vector` left as it was, when the blob has another length.
fn read_vector(blob: &[u8], dims: usize, vector: &mut Vec<f32>) -> bool {
    if blob.len() != dims * 4 {
        return false;
    }
    vector.clear();
    vector.extend(
        blob.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    );
    true
}
