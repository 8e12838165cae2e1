//! Embeddings of chunks: the [`ChunkEmbedder`] a caller plugs in, what a run reports, and the
//! in-memory matrix that vector search scans.
//!
//! The embedder itself lives elsewhere (MLX, in `ledge-llm`); this crate only stores its
//! vectors and searches them, so it never links a model runtime. Each chunk is embedded as its
//! heading path, a blank line, and its text ([`embedding_text`]), so a passage deep in a
//! section still carries the section's topic. An embedder that reads fewer tokens than a long
//! chunk holds cuts it into windows ([`ChunkEmbedder::chunk_texts`]), each under the heading
//! and each with a vector of its own; a chunk scores as its best window.
//!
//! Vectors are L2-normalised before they are stored (whatever the embedder promises), so the
//! cosine similarity of a normalised query and a stored vector is their dot product. Search is
//! brute force over one contiguous `Vec<f32>` per model, loaded from the catalog on first use
//! and reloaded when the catalog changed since.

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

/// Turns chunk texts into vectors; implemented by the model runtime's embedder.
pub trait ChunkEmbedder {
    /// A stable name for the model and its settings; vectors are stored under it, and a
    /// different id means different vectors.
    fn model_id(&self) -> &str;
    /// The length of every vector [`embed`](Self::embed) returns.
    fn dimensions(&self) -> usize;
    /// One vector per text, in order. Implementations should return L2-normalised vectors;
    /// the index normalises them again anyway.
    fn embed(
        &mut self,
        texts: &[&str],
    ) -> std::result::Result<Vec<Vec<f32>>, Box<dyn std::error::Error + Send + Sync>>;
    /// The texts embedded for one chunk, each giving one of its vectors (search scores a
    /// chunk by its best). The first must be the chunk's text as [`embedding_text`] makes it,
    /// or its start: a vector stored before windows existed is kept as the first. The
    /// default is that one text, for embedders that read any length (or truncate).
    fn chunk_texts(
        &mut self,
        heading: &str,
        text: &str,
    ) -> std::result::Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(vec![embedding_text(heading, text)])
    }
}

/// Where an embedding run stands; sent once at the start and after each committed batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EmbedProgress {
    /// Chunks that have all their vectors for the model (including those embedded by
    /// earlier runs).
    pub done: u64,
    /// Chunks in the index.
    pub total: u64,
}

/// What one [`Index::embed_pending`](crate::Index::embed_pending) run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmbedReport {
    /// The model id.
    pub model_id: String,
    /// Chunks embedded and stored by this run.
    pub embedded: u64,
    /// Chunks with a vector for the model at the end of the run.
    pub done: u64,
    /// Chunks in the index.
    pub total: u64,
    /// Wall time of the run in milliseconds.
    pub elapsed_ms: u64,
}

/// The text sent to the embedder for a chunk: its heading path, a blank line, its text.
pub(crate) fn embedding_text(heading: &str, text: &str) -> String {
    if heading.is_empty() {
        text.to_owned()
    } else {
        format!("{heading}\n\n{text}")
    }
}

/// `vector` scaled to length 1; `None` when it has no direction (all zero) or holds NaN or
/// infinity.
pub(crate) fn normalised(vector: &[f32]) -> Option<Vec<f32>> {
    let norm = vector
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return None;
    }
    Some(
        vector
            .iter()
            .map(|&x| (f64::from(x) / norm) as f32)
            .collect(),
    )
}

/// Dot product with eight independent sums, which the compiler turns into SIMD.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            sums[lane] += x[lane] * y[lane];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// When the cached matrix was loaded: the catalog connection's change counter and SQLite's
/// `data_version` (which moves when another connection commits).
pub(crate) type Stamp = (u64, i64);

/// Every stored vector of one model, row `i` belonging to chunk `ids[i]` (ids ascending; a
/// chunk with several windows has several rows in a row).
pub(crate) struct VectorCache {
    pub model: String,
    pub dims: usize,
    pub ids: Vec<i64>,
    pub data: Vec<f32>,
    pub stamp: Stamp,
}

impl fmt::Debug for VectorCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VectorCache")
            .field("model", &self.model)
            .field("dims", &self.dims)
            .field("rows", &self.ids.len())
            .finish_non_exhaustive()
    }
}

impl VectorCache {
    fn row(&self, index: usize) -> &[f32] {
        &self.data[index * self.dims..(index + 1) * self.dims]
    }

    /// The rows of chunk `id` (empty when it has none).
    fn rows_of(&self, id: i64) -> std::ops::Range<usize> {
        let start = self.ids.partition_point(|&row| row < id);
        let end = start + self.ids[start..].partition_point(|&row| row == id);
        start..end
    }

    /// The best of a chunk's rows for `query`: (cosine, first row of the chunk).
    fn best_of(&self, rows: std::ops::Range<usize>, query: &[f32]) -> (f32, usize) {
        let first = rows.start;
        let best = rows
            .map(|i| dot(self.row(i), query))
            .fold(f32::NEG_INFINITY, f32::max);
        (best, first)
    }

    /// The best `limit` (chunk id, cosine) pairs for a normalised `query`, best first, a
    /// chunk scoring as its best window; `only`, when given, lists the chunk ids that may be
    /// returned.
    pub fn top(&self, query: &[f32], only: Option<&[i64]>, limit: usize) -> Vec<(i64, f32)> {
        let mut scored: Vec<(f32, usize)> = match only {
            None => {
                let mut scored = Vec::with_capacity(self.ids.len());
                let mut start = 0;
                while start < self.ids.len() {
                    let id = self.ids[start];
                    let end = start + self.ids[start..].partition_point(|&row| row == id);
                    scored.push(self.best_of(start..end, query));
                    start = end;
                }
                scored
            }
            Some(allowed) => allowed
                .iter()
                .map(|&id| self.rows_of(id))
                .filter(|rows| !rows.is_empty())
                .map(|rows| self.best_of(rows, query))
                .collect(),
        };
        let best_first = |a: &(f32, usize), b: &(f32, usize)| -> Ordering {
            b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
        };
        if scored.len() > limit && limit > 0 {
            scored.select_nth_unstable_by(limit - 1, best_first);
            scored.truncate(limit);
        }
        scored.sort_unstable_by(best_first);
        scored.truncate(limit);
        scored.into_iter().map(|(s, i)| (self.ids[i], s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_agrees_with_a_plain_sum_at_every_length() {
        for len in [0, 1, 7, 8, 9, 63, 384] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
            assert!((f64::from(dot(&a, &b)) - plain).abs() < 1e-4, "{len}");
        }
    }

    #[test]
    fn normalising_gives_unit_length_and_refuses_zero_and_nan() {
        let unit = normalised(&[3.0, 4.0]).unwrap();
        assert_eq!(unit, vec![0.6, 0.8]);
        assert!(normalised(&[0.0, 0.0]).is_none());
        assert!(normalised(&[1.0, f32::NAN]).is_none());
    }

    #[test]
    fn top_ranks_by_cosine_and_keeps_to_the_allowed_ids() {
        let rows = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-1.0, 0.0]];
        let cache = VectorCache {
            model: "m".into(),
            dims: 2,
            ids: vec![10, 20, 30, 40],
            data: rows.iter().flatten().copied().collect(),
            stamp: (0, 0),
        };
        let query = [1.0, 0.0];
        let ids = |hits: Vec<(i64, f32)>| hits.into_iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(ids(cache.top(&query, None, 10)), [10, 30, 20, 40]);
        assert_eq!(ids(cache.top(&query, None, 2)), [10, 30]);
        assert_eq!(ids(cache.top(&query, Some(&[40, 20, 99]), 10)), [20, 40]);
        assert!(cache.top(&query, None, 0).is_empty());
        assert_eq!(cache.top(&query, None, 1)[0].1, 1.0);
    }

    #[test]
    fn a_chunk_with_several_windows_scores_as_its_best_and_appears_once() {
        // Chunk 20 has two windows: one far from the query, one close; 30 has one.
        let rows = [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]];
        let cache = VectorCache {
            model: "m".into(),
            dims: 2,
            ids: vec![10, 20, 20, 30],
            data: rows.iter().flatten().copied().collect(),
            stamp: (0, 0),
        };
        let query = [1.0, 0.0];
        assert_eq!(
            cache.top(&query, None, 10),
            [(20, 1.0), (30, 0.6), (10, 0.0)]
        );
        assert_eq!(
            cache.top(&query, Some(&[30, 20, 5]), 10),
            [(20, 1.0), (30, 0.6)]
        );
        assert_eq!(cache.top(&[0.0, 1.0], None, 2), [(10, 1.0), (20, 1.0)]);
    }
}
