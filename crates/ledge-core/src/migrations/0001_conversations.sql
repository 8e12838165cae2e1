-- The assistant's own state: conversations, their messages and citations, and settings.
-- (The file index keeps its own catalog; this database never names a chunk table.)

CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,   -- unix seconds
    updated_at  INTEGER NOT NULL
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    -- What the person typed, or the answer as shown.
    content         TEXT NOT NULL,
    -- For a user turn: the message exactly as the model saw it (with its sources), so a
    -- follow-up replays the same tokens and reuses the model's cached prefix.
    prompt_content  TEXT,
    -- Model that answered, and figures of the answer (JSON), for assistant turns.
    model           TEXT,
    stats           TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);

CREATE TABLE citations (
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,   -- the [n] the answer uses
    path        TEXT NOT NULL,
    line_start  INTEGER NOT NULL,
    line_end    INTEGER NOT NULL,
    page        INTEGER,
    heading     TEXT NOT NULL,
    chunk_id    INTEGER,            -- in the index catalog when it came from the index
    cited       INTEGER NOT NULL,   -- 1 when the answer refers to it
    PRIMARY KEY (message_id, n)
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
