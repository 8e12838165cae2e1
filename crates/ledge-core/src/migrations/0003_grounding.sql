-- What Ledge checked of each answer: the extractive answer quoted from the sources and each
-- sentence's support, as JSON (`grounding::Grounding`); NULL for answers saved before.
ALTER TABLE messages ADD COLUMN grounding TEXT;

-- 1 when Ledge matched a sentence of the answer to this source that the model left uncited.
ALTER TABLE citations ADD COLUMN matched INTEGER NOT NULL DEFAULT 0;
