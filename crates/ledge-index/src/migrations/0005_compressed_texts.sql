-- Chunk texts are stored compressed from this version on. Consecutive chunks of one file are
-- packed into blocks of about 16 KB of text, each one zstd frame (with its checksum); a chunk
-- names its block and its byte range in the block's text. Blocks of 16 KB compress 4.5x on
-- the 1.3 GB mixed corpus (per chunk: 2.6x, 3.5x with a trained dictionary; per file: 5.1x,
-- but reading one chunk of a large file then costs milliseconds), and a block decompresses in
-- about 12 µs (see BENCHMARKS.md, "File index").
--
-- This migration makes room; the catalog then moves the texts of an older catalog into blocks
-- file by file in committed batches, drops the old `text` column and VACUUMs (see
-- catalog/texts.rs). Until that has finished, `Catalog::open` does not return.

-- AUTOINCREMENT: a block id is never reused, so a block read once may be cached by its id.
CREATE TABLE chunk_texts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id   INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    raw_bytes INTEGER NOT NULL,                   -- length of the text once decompressed
    data      BLOB NOT NULL                       -- one zstd frame
);
CREATE INDEX chunk_texts_file ON chunk_texts(file_id);

-- No REFERENCES: deleting a block would then look its chunks up by a column without an
-- index. A file's chunks and blocks are deleted together (Catalog::delete_chunks, and the
-- cascade from `files`).
ALTER TABLE chunks ADD COLUMN text_block INTEGER;     -- chunk_texts.id; NULL until converted
ALTER TABLE chunks ADD COLUMN text_start INTEGER;     -- byte range in the block's text
ALTER TABLE chunks ADD COLUMN text_end INTEGER;

-- Never used by a query (renames are matched by hash in memory during a scan).
DROP INDEX IF EXISTS files_hash;
