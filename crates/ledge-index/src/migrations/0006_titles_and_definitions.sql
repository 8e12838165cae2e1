-- Documents whose format has no title of their own (plain text, Markdown, PDF, DOCX, EPUB,
-- RTF) now take their first line as their title when it reads like one ("Apache License"),
-- so naming a document finds it; and Markdown-like text (HTML, Markdown, DOCX, EPUB) keeps a
-- definition list's term with every paragraph of its description in one chunk. Indexed files
-- of those kinds are marked as a rebuild marks them, so the next scan or refresh reads them
-- again; until then their old chunks stay searchable.
UPDATE files SET mtime_ns = -9223372036854775808, hash = NULL
WHERE kind IN ('plain', 'markdown', 'html', 'pdf', 'docx', 'epub', 'rtf')
  AND status = 'indexed';
