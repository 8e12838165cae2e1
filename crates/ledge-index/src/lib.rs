//! Ledge's index of the user's own files.
//!
//! Empty for now; this crate will own, and be the only one to know about tantivy and the
//! catalog's SQLite schema:
//! * discovery: walking the folders the user allowed, honouring `.gitignore`/`.ignore`, never
//!   descending into secrets (`.ssh`, `.gnupg`, `.env*`, keychains, browser profiles);
//! * extraction of text from plain text, Markdown, code, HTML, PDF, DOCX, EPUB, RTF, CSV/JSON,
//!   with the reason recorded for every file it skips;
//! * chunking along headings, paragraphs, code blocks and pages, with byte offsets, line ranges
//!   and page numbers kept for citations;
//! * the tantivy full-text index (BM25) and the SQLite catalog of folders, files, chunks and
//!   embeddings, kept consistent across crashes;
//! * incremental updates and a file watcher, with progress reported as a stream.
//!
//! The user's files are only ever opened read-only.
