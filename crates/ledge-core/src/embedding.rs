//! The embedding model as the index and retrieval see it: `ledge-llm`'s embedder behind
//! `ledge-index`'s [`ChunkEmbedder`] and retrieval's [`QueryEmbedder`].

use std::path::Path;

use ledge_index::ChunkEmbedder;
use ledge_llm::embed::Embedder;

use crate::retrieve::QueryEmbedder;
use crate::{Error, Result};

/// How many vectors a long chunk gets at most: one per window of the text the embedder reads
/// at once (256 tokens for all-MiniLM-L6-v2). One, by measurement: on the full manuals half
/// the chunks are longer than that window, and a vector for every window (57% more embedding
/// time) found the answering file no better on the answer benchmark's dev half (vectors MRR
/// 0.672 against 0.687, hybrid 0.705 against 0.706; BENCHMARKS.md, "Answers").
pub const MAX_WINDOWS: usize = 1;

/// A loaded embedding model and the id its vectors are stored under (its folder name:
/// vectors of different models never mix).
#[derive(Debug)]
pub struct EmbeddingModel {
    embedder: Embedder,
    model_id: String,
    max_windows: usize,
}

impl EmbeddingModel {
    /// Loads the embedding model in `dir`.
    pub fn load(dir: &Path) -> Result<EmbeddingModel> {
        let embedder = Embedder::load(dir).map_err(|source| Error::Model {
            path: dir.to_path_buf(),
            source,
        })?;
        let model_id = dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "embedder".to_owned());
        Ok(EmbeddingModel {
            embedder,
            model_id,
            max_windows: MAX_WINDOWS,
        })
    }

    /// At most this many vectors per chunk from now on (1: a long chunk's text past the
    /// embedder's window is not read); for measurements.
    pub fn set_max_windows(&mut self, windows: usize) {
        self.max_windows = windows.max(1);
    }

    /// The id its vectors are stored under.
    pub fn id(&self) -> &str {
        &self.model_id
    }

    /// Embeds texts (L2-normalised vectors, one per text).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(self.embedder.embed(texts)?)
    }
}

impl ChunkEmbedder for EmbeddingModel {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.embedder.dimensions()
    }

    fn embed(
        &mut self,
        texts: &[&str],
    ) -> std::result::Result<Vec<Vec<f32>>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.embedder.embed(texts)?)
    }

    fn chunk_texts(
        &mut self,
        heading: &str,
        text: &str,
    ) -> std::result::Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.embedder.windows(heading, text, self.max_windows)?)
    }
}

impl QueryEmbedder for EmbeddingModel {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn embed_query(&mut self, query: &str) -> Result<Vec<f32>> {
        let mut vectors = self.embedder.embed(&[query])?;
        vectors
            .pop()
            .ok_or_else(|| Error::Internal("the embedder returned no vector".into()))
    }
}
