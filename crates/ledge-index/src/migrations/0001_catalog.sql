-- The catalog: folders the user chose, the files found in them, and their chunks.
-- SQLite is the source of truth; the tantivy index is derived from `chunks` (see index.rs).

CREATE TABLE folders (
    id             INTEGER PRIMARY KEY,
    path           TEXT NOT NULL UNIQUE,
    include_hidden INTEGER NOT NULL DEFAULT 0,
    follow_links   INTEGER NOT NULL DEFAULT 0,
    exclude        TEXT NOT NULL DEFAULT '',     -- user globs, one per line
    max_file_bytes INTEGER NOT NULL,
    added_at       INTEGER NOT NULL,             -- unix seconds
    scanned_at     INTEGER                       -- unix seconds of the last complete scan
);

CREATE TABLE files (
    id         INTEGER PRIMARY KEY,
    folder_id  INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path       TEXT NOT NULL UNIQUE,
    size       INTEGER NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    hash       BLOB,                            -- blake3 of the content; NULL when never read
    kind       TEXT,                            -- plain, markdown, code, html, data
    status     TEXT NOT NULL CHECK (status IN ('indexed', 'skipped', 'failed')),
    error      TEXT,                            -- why skipped or failed
    indexed_at INTEGER NOT NULL
);
CREATE INDEX files_folder ON files(folder_id);
CREATE INDEX files_hash ON files(hash);

-- AUTOINCREMENT: a chunk id is never reused, so a stale full-text document can never be
-- mistaken for a newer chunk.
CREATE TABLE chunks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id    INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal    INTEGER NOT NULL,
    byte_start INTEGER NOT NULL,
    byte_end   INTEGER NOT NULL,
    line_start INTEGER NOT NULL,
    line_end   INTEGER NOT NULL,
    page       INTEGER,                         -- for paged formats (PDF), 1-based
    heading    TEXT NOT NULL,
    text       TEXT NOT NULL,
    UNIQUE (file_id, ordinal)
);

-- Room for embeddings: one vector per chunk and model (filled once an embedder exists).
CREATE TABLE embeddings (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    model    TEXT NOT NULL,
    dims     INTEGER NOT NULL,
    vector   BLOB NOT NULL,                     -- little-endian f32 x dims
    PRIMARY KEY (chunk_id, model)
);

-- Paths the last scan of a folder could not read (permissions, symlink loops).
CREATE TABLE problems (
    id        INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path      TEXT NOT NULL,
    message   TEXT NOT NULL
);
CREATE INDEX problems_folder ON problems(folder_id);

-- Small key/value state, e.g. `fulltext_dirty` (see the consistency protocol in index.rs).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
