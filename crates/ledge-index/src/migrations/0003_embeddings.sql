-- Embeddings are written from this version on. The vectors go in the `embeddings` table made
-- room for in 0001: one row per (chunk, model), a little-endian f32 BLOB, deleted with its
-- chunk by ON DELETE CASCADE (so the chunk deletions of a scan drop their vectors in the same
-- transaction). This adds what filling and searching it needs:

-- The vector length of each model, so an embedder that changes its output size under the same
-- model id is refused instead of mixing incomparable vectors.
CREATE TABLE embedding_models (
    model      TEXT PRIMARY KEY,
    dims       INTEGER NOT NULL CHECK (dims > 0),
    created_at INTEGER NOT NULL                 -- unix seconds
);

-- Loading one model's vectors in chunk order for search.
CREATE INDEX embeddings_model ON embeddings(model, chunk_id);
