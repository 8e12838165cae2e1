//! Embedding rows: which chunks still need a vector for a model, storing a batch of vectors,
//! loading a model's vectors for search, counts.

use rusqlite::{OptionalExtension, params};

use super::{Catalog, TEXT_COLUMNS, TextRef, now, to_i64};
use crate::embed::{Stamp, VectorCache};
use crate::{Error, Result};

/// A chunk waiting for its vector.
#[derive(Debug, Clone)]
pub(crate) struct PendingChunk {
    pub id: i64,
    pub heading: String,
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

    /// Up to `limit` chunks after chunk id `after` that have no vector for `model`, by id,
    /// and the last chunk id looked at (`None`: none left). A chunk whose stored text is
    /// damaged is left out with a warning (it cannot be embedded until its file is indexed
    /// again), so that it does not stop the others.
    pub fn pending_chunks(
        &self,
        model: &str,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<PendingChunk>, Option<i64>)> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT c.id, c.heading, {TEXT_COLUMNS} FROM chunks c
             LEFT JOIN chunk_texts t ON t.id = c.text_block
             WHERE c.id > ?2 AND NOT EXISTS
               (SELECT 1 FROM embeddings e WHERE e.chunk_id = c.id AND e.model = ?1)
             ORDER BY c.id LIMIT ?3"
        ))?;
        let rows = statement
            .query_map(params![model, after, to_i64(limit as u64)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    TextRef::from_row(row, 2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let last = rows.last().map(|(id, _, _)| *id);
        let mut pending = Vec::with_capacity(rows.len());
        for (id, heading, at) in rows {
            match self.chunk_text(id, at) {
                Ok(text) => pending.push(PendingChunk { id, heading, text }),
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

    /// Stores one chunk's vector (inside the caller's transaction). A chunk deleted since it
    /// was read (by another process's scan) is passed over rather than failing the batch.
    pub fn insert_vector(&self, chunk_id: i64, model: &str, vector: &[f32]) -> Result<()> {
        let blob: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO embeddings (chunk_id, model, dims, vector)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?1)",
            )?
            .execute(params![chunk_id, model, to_i64(vector.len() as u64), blob])?;
        Ok(())
    }

    /// (chunks with a vector for `model`, chunks).
    pub fn embedding_counts(&self, model: &str) -> Result<(u64, u64)> {
        let embedded: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM embeddings WHERE model = ?1",
            [model],
            |row| row.get(0),
        )?;
        let chunks: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM chunks", [], |row| row.get(0))?;
        Ok((embedded.max(0) as u64, chunks.max(0) as u64))
    }

    /// Every vector of `model` in one matrix (rows of another length are left out, with a
    /// warning: they cannot be compared).
    pub fn load_vectors(&self, model: &str, dims: usize, stamp: Stamp) -> Result<VectorCache> {
        let mut statement = self.conn.prepare_cached(
            "SELECT chunk_id, vector FROM embeddings WHERE model = ?1 ORDER BY chunk_id",
        )?;
        let mut rows = statement.query([model])?;
        let mut cache = VectorCache {
            model: model.to_owned(),
            dims,
            ids: Vec::new(),
            data: Vec::new(),
            stamp,
        };
        let mut bad = 0u64;
        while let Some(row) = rows.next()? {
            let blob = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            if blob.len() != dims * 4 {
                bad += 1;
                continue;
            }
            cache.ids.push(row.get(0)?);
            cache.data.extend(
                blob.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        if bad > 0 {
            tracing::warn!(model, bad, "vectors of the wrong length ignored");
        }
        Ok(cache)
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
            .execute("DELETE FROM embedding_models WHERE model = ?1", [model])?;
        Ok(deleted as u64)
    }
}
