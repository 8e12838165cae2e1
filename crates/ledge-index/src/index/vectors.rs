//! Embedding the index's chunks and searching their vectors (see the `embed` module for the
//! storage and scoring choices).
//!
//! Vectors live only in the catalog, so they need no part in the two-store consistency
//! protocol: a batch of vectors is one SQLite transaction, and a chunk's vectors are deleted
//! with it (`ON DELETE CASCADE`) in the scan's own transaction.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::MutexGuard;
use std::time::Instant;

use super::{Index, SNIPPET_CHARS, SearchHit, first_chars};
use crate::embed::{
    ChunkEmbedder, EmbedProgress, EmbedReport, VectorCache, document_heading, dot, normalised,
};
use crate::progress::CancelToken;
use crate::{Error, Result};

/// How many times more candidates than asked for the approximate scan hands to exact
/// rescoring.
const RESCORED: usize = 4;

/// The vectors made for one chunk in a batch: (window, vector) for the windows embedded now,
/// and how many windows it has in all.
struct ChunkVectors {
    chunk_id: i64,
    parts: usize,
    vectors: Vec<(usize, Vec<f32>)>,
}

impl Index {
    /// Embeds every chunk that has no vector for `embedder.model_id()`, `batch` chunks at a
    /// time, each batch committed on its own: a cancel (checked between batches), an error or
    /// a kill loses at most the batch in flight, and the next run goes on from there.
    ///
    /// Each chunk is sent under its document's name and its heading path, a blank line, then
    /// its text ([`document_heading`]), or as several such windows when the embedder cuts it
    /// ([`ChunkEmbedder::chunk_texts`]). A chunk whose vectors are stale (made from an older
    /// form of this text) is embedded again, its old vectors searched until then. `progress`
    /// gets the counts at the start and after every batch; a paused `cancel` waits between
    /// batches. An embedder failure is
    /// [`Error::Embedder`]; vectors of the wrong length (or a model id already stored with
    /// another length) are [`Error::DimensionMismatch`]; either way nothing of that batch is
    /// stored.
    pub fn embed_pending(
        &mut self,
        embedder: &mut dyn ChunkEmbedder,
        batch: usize,
        progress: &mut dyn FnMut(EmbedProgress),
        cancel: &CancelToken,
    ) -> Result<EmbedReport> {
        let started = Instant::now();
        let model = embedder.model_id().to_owned();
        let dims = embedder.dimensions();
        let mismatch = |expected: usize, found: usize| Error::DimensionMismatch {
            model: model.clone(),
            expected,
            found,
        };
        if dims == 0 {
            return Err(Error::Embedder {
                message: format!("{model} declares vectors of 0 dimensions"),
            });
        }
        if let Some(stored) = self.catalog.model_dims(&model)?
            && stored != dims
        {
            return Err(mismatch(stored, dims));
        }
        let (mut done, total) = self.catalog.embedding_progress(&model)?;
        progress(EmbedProgress { done, total });
        let mut embedded = 0u64;
        let mut after = i64::MIN;
        let failed = |error: Box<dyn std::error::Error + Send + Sync>| Error::Embedder {
            message: error.to_string(),
        };
        loop {
            // No transaction is open between batches, so waiting here holds nothing.
            cancel.wait_while_paused();
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let (pending, last) = self.catalog.pending_chunks(&model, after, batch.max(1))?;
            let Some(last) = last else {
                break;
            };
            after = last;
            if pending.is_empty() {
                continue;
            }
            // Every window of every chunk of the batch, in one call to the embedder.
            let mut windows: Vec<Vec<String>> = Vec::with_capacity(pending.len());
            for chunk in &pending {
                let texts = embedder
                    .chunk_texts(
                        &document_heading(&chunk.title, &chunk.path, &chunk.heading),
                        &chunk.text,
                    )
                    .map_err(failed)?;
                if texts.is_empty() {
                    return Err(Error::Embedder {
                        message: format!("no text to embed for chunk {}", chunk.id),
                    });
                }
                windows.push(texts);
            }
            let refs: Vec<&str> = windows.iter().flatten().map(String::as_str).collect();
            let vectors = if refs.is_empty() {
                Vec::new()
            } else {
                embedder.embed(&refs).map_err(failed)?
            };
            if vectors.len() != refs.len() {
                return Err(Error::Embedder {
                    message: format!(
                        "{} vectors returned for {} texts",
                        vectors.len(),
                        refs.len()
                    ),
                });
            }
            let mut vectors = vectors.into_iter();
            let mut rows = Vec::with_capacity(pending.len());
            for (chunk, texts) in pending.iter().zip(&windows) {
                let mut parts = Vec::with_capacity(texts.len());
                for part in 0..texts.len() {
                    let Some(vector) = vectors.next() else {
                        break;
                    };
                    if vector.len() != dims {
                        return Err(mismatch(dims, vector.len()));
                    }
                    // A vector without a direction cannot be compared; store zeros, which
                    // score 0 against every query, so the chunk is not embedded again and
                    // again.
                    let unit = normalised(&vector).unwrap_or_else(|| vec![0.0; dims]);
                    parts.push((part, unit));
                }
                rows.push(ChunkVectors {
                    chunk_id: chunk.id,
                    parts: texts.len(),
                    vectors: parts,
                });
            }
            self.store_vectors(&model, dims, &rows)?;
            embedded += rows.len() as u64;
            done += rows.len() as u64;
            progress(EmbedProgress { done, total });
        }
        let (done, total) = self.catalog.embedding_progress(&model)?;
        let report = EmbedReport {
            model_id: model,
            embedded,
            done,
            total,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        tracing::info!(
            model = %report.model_id,
            embedded = report.embedded,
            done = report.done,
            total = report.total,
            ms = report.elapsed_ms,
            "chunks embedded"
        );
        Ok(report)
    }

    /// One batch of vectors, in one transaction.
    fn store_vectors(&self, model: &str, dims: usize, rows: &[ChunkVectors]) -> Result<()> {
        self.catalog.begin()?;
        let outcome = (|| {
            self.catalog.register_model(model, dims)?;
            for chunk in rows {
                for (part, vector) in &chunk.vectors {
                    self.catalog
                        .insert_vector(chunk.chunk_id, model, *part, vector)?;
                }
                self.catalog.set_parts(chunk.chunk_id, model, chunk.parts)?;
            }
            self.catalog.commit()
        })();
        if outcome.is_err() {
            self.catalog.rollback();
        }
        outcome
    }

    /// The `limit` chunks whose vectors for `model_id` are most similar to `query` (cosine
    /// similarity, the `score` of each hit), best first. The snippet is the start of the
    /// chunk. A model without vectors finds nothing; a query of another length than the
    /// model's vectors is [`Error::DimensionMismatch`].
    pub fn vector_search(
        &self,
        model_id: &str,
        query: &[f32],
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        self.vector_search_filtered(model_id, query, None, limit)
    }

    /// [`vector_search`](Self::vector_search) restricted to chunks of `files` (paths as
    /// recorded or in any form that canonicalizes to them).
    pub fn vector_search_in(
        &self,
        model_id: &str,
        query: &[f32],
        files: &[PathBuf],
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let file_ids = self.file_ids(files)?;
        if file_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut chunk_ids = self.catalog.chunk_ids_of_files(&file_ids)?;
        chunk_ids.sort_unstable();
        self.vector_search_filtered(model_id, query, Some(&chunk_ids), limit)
    }

    /// (chunks with a vector for `model_id`, chunks in the index): how much of the index
    /// search by meaning reaches, stale vectors included.
    pub fn embedding_status(&self, model_id: &str) -> Result<(u64, u64)> {
        self.catalog.embedding_counts(model_id)
    }

    /// (chunks whose vectors for `model_id` are complete and current, chunks in the index):
    /// an embedding run ([`embed_pending`](Self::embed_pending)) has the rest to do, stale
    /// vectors included.
    pub fn embedding_progress(&self, model_id: &str) -> Result<(u64, u64)> {
        self.catalog.embedding_progress(model_id)
    }

    /// Deletes every vector stored for `model_id` (to re-embed with a changed model, or to
    /// free the space); returns how many there were.
    pub fn remove_embeddings(&mut self, model_id: &str) -> Result<u64> {
        self.catalog.begin()?;
        let outcome = self
            .catalog
            .delete_model(model_id)
            .and_then(|deleted| self.catalog.commit().map(|()| deleted));
        if outcome.is_err() {
            self.catalog.rollback();
        }
        outcome
    }

    fn vector_search_filtered(
        &self,
        model_id: &str,
        query: &[f32],
        only: Option<&[i64]>,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let Some(dims) = self.catalog.model_dims(model_id)? else {
            return Ok(Vec::new());
        };
        if query.len() != dims {
            return Err(Error::DimensionMismatch {
                model: model_id.to_owned(),
                expected: dims,
                found: query.len(),
            });
        }
        let Some(query) = normalised(query) else {
            return Ok(Vec::new());
        };
        // The scan compares 8-bit codes: its cosines are off by about 0.001, so it picks
        // several times more candidates than asked for, and their stored vectors rank them
        // exactly.
        let candidates = {
            let cache = self.vector_cache(model_id, dims)?;
            match cache.as_ref() {
                Some(cache) => cache.top(&query, only, RESCORED * limit + 16),
                None => Vec::new(),
            }
        };
        let candidate_ids: Vec<i64> = candidates.iter().map(|&(id, _)| id).collect();
        // A chunk scores as its best window, as in the scan.
        let mut exact: HashMap<i64, f32> = HashMap::with_capacity(candidates.len());
        for (id, vector) in self.catalog.vectors_of(model_id, dims, &candidate_ids)? {
            let cosine = dot(&vector, &query);
            exact
                .entry(id)
                .and_modify(|best| *best = best.max(cosine))
                .or_insert(cosine);
        }
        let mut found: Vec<(i64, f32)> = candidates
            .into_iter()
            .map(|(id, approximate)| (id, exact.get(&id).copied().unwrap_or(approximate)))
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        // A few extra, in case a chunk is deleted between the scan and reading its record.
        found.truncate(limit + 8);
        let ids: Vec<i64> = found.iter().map(|&(id, _)| id).collect();
        let records = self.catalog.readable_chunk_records(&ids)?;
        let mut hits = Vec::with_capacity(limit);
        for record in records {
            let score = found
                .iter()
                .find(|&&(id, _)| id == record.chunk_id)
                .map_or(0.0, |&(_, score)| score);
            hits.push(SearchHit {
                snippet: first_chars(&record.text, SNIPPET_CHARS).replace(['\n', '\r', '\t'], " "),
                path: record.path,
                line_start: record.line_start,
                line_end: record.line_end,
                byte_start: record.byte_start,
                byte_end: record.byte_end,
                page: record.page,
                heading: record.heading,
                score,
                highlights: Vec::new(),
                chunk_id: record.chunk_id,
            });
            if hits.len() == limit {
                break;
            }
        }
        Ok(hits)
    }

    /// The cached matrix of `model`'s vectors, reloaded when the catalog changed since.
    fn vector_cache(
        &self,
        model: &str,
        dims: usize,
    ) -> Result<MutexGuard<'_, Option<VectorCache>>> {
        let mut cache = self
            .vectors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stamp = self.catalog.change_stamp()?;
        let fresh = cache
            .as_ref()
            .is_some_and(|c| c.model == model && c.dims == dims && c.stamp == stamp);
        if !fresh {
            *cache = None; // free the old matrix before loading the new one
            let started = Instant::now();
            let loaded = self.catalog.load_vectors(model, dims, stamp)?;
            tracing::debug!(
                model,
                rows = loaded.ids.len(),
                ms = started.elapsed().as_millis() as u64,
                "vectors loaded"
            );
            *cache = Some(loaded);
        }
        Ok(cache)
    }
}
