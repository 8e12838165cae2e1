-- A chunk longer than the embedder reads at once gets one vector per window of its text
-- (ChunkEmbedder::chunk_texts), so its second half is found by meaning too. The first window's
-- vector stays in `embeddings`; the others go in `embedding_windows`, deleted with their chunk.
--
-- `parts` is how many vectors the chunk has; 0 marks a row written before windows existed.
-- Such a chunk is embedded again only for what is missing: its other windows, when it has
-- any (the first window is the text the old vector was made from).
ALTER TABLE embeddings ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;

CREATE TABLE embedding_windows (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    model    TEXT NOT NULL,
    part     INTEGER NOT NULL CHECK (part >= 1),
    vector   BLOB NOT NULL,                     -- little-endian f32 x dims
    PRIMARY KEY (chunk_id, model, part)
);
