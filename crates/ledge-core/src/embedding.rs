//! The embedding model as the index and retrieval see it: `ledge-llm`'s embedder behind
//! `ledge-index`'s [`ChunkEmbedder`] and retrieval's [`QueryEmbedder`].

use std::path::Path;

use ledge_index::ChunkEmbedder;
use ledge_llm::embed::Embedder;

use crate::retrieve::QueryEmbedder;
use crate::{Error, Result};

/// A loaded embedding model and the id its vectors are stored under (its folder name:
/// vectors of different models never mix).
#[derive(Debug)]
pub struct EmbeddingModel {
    embedder: Embedder,
    model_id: String,
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
        Ok(EmbeddingModel { embedder, model_id })
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
