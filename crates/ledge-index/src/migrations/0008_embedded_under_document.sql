-- From this version on a chunk is embedded under its document's name (its title, or its
-- file's name), then its heading path, then its text (embed.rs, `document_heading`): a passage
-- of the Apache License is near a question that names the Apache License even where the
-- passage never says so. Vectors made from the old text are marked stale (`parts` = -1)
-- rather than deleted: search by meaning keeps using them while the next embedding run
-- replaces them, and an embedding run counts them as still to do. The windows past a chunk's
-- first are deleted: the run that replaces a chunk's first vector makes them again.
UPDATE embeddings SET parts = -1;
DELETE FROM embedding_windows;
