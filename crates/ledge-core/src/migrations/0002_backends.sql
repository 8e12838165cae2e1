-- Inference backends the person added: OpenAI-compatible servers on their own machines.
-- (The built-in runtime is not a row: it is the name `local`, always there.)

CREATE TABLE backends (
    name            TEXT PRIMARY KEY,
    -- http://HOST:PORT/BASE, as EndpointUrl prints it.
    url             TEXT NOT NULL,
    -- The model id to ask the server for; NULL: the server's only model.
    model           TEXT,
    -- 1 when the person allowed a public address, having been warned that the context of
    -- their questions then leaves their devices.
    allow_public    INTEGER NOT NULL DEFAULT 0,
    -- 1 when a question this backend fails is answered again by the built-in model.
    fallback_local  INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- The backend a conversation was started on (NULL: the default at the time of asking).
ALTER TABLE conversations ADD COLUMN backend TEXT;
