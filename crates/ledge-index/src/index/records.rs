//! Reading the index by chunk and by file: records for citations and "show me the passage",
//! every chunk of one file, and full-text search restricted to some files.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Index, SearchHit};
use crate::Result;
use crate::embed::document_heading;

/// One chunk as stored in the catalog, with its text.
#[derive(Debug, Clone, Serialize)]
pub struct ChunkRecord {
    /// The chunk's id in the catalog (never reused).
    pub chunk_id: i64,
    /// The file.
    pub path: PathBuf,
    /// First line of the chunk, 1-based.
    pub line_start: u32,
    /// Last line of the chunk, 1-based, inclusive.
    pub line_end: u32,
    /// Byte range of the chunk in the extracted text (the file itself for UTF-8 text files).
    pub byte_start: u64,
    /// End of that range (exclusive).
    pub byte_end: u64,
    /// Page, for paged formats.
    pub page: Option<u32>,
    /// The headings above the chunk, joined with ` > `.
    pub heading: String,
    /// The chunk's text.
    pub text: String,
}

impl ChunkRecord {
    /// The heading the chunk is embedded under ([`Index::embed_pending`]): its document's name
    /// (the file's title, or the file's name when it has none) before its heading path,
    /// unless the path's first heading already says it: a passage under "Apache License > 3.
    /// Grant of Patent License" is about the Apache License even where it never names it.
    /// The title is the file's, from [`Index::file_title`] (or [`Index::context_headers`],
    /// which does both).
    pub fn context_header(&self, title: Option<&str>) -> String {
        document_heading(
            title.unwrap_or_default(),
            &self.path.to_string_lossy(),
            &self.heading,
        )
    }
}

impl Index {
    /// The chunks with these ids, in the order given; ids the index does not have (any more)
    /// are left out.
    pub fn chunks(&self, ids: &[i64]) -> Result<Vec<ChunkRecord>> {
        self.catalog.chunk_records(ids)
    }

    /// The title recorded for an indexed file (HTML's `<title>`; `None` for formats without
    /// one, or a file not in the index).
    pub fn file_title(&self, path: &Path) -> Result<Option<String>> {
        for key in path_keys(path) {
            if let Some(title) = self.catalog.file_title(&key)? {
                return Ok(Some(title));
            }
        }
        Ok(None)
    }

    /// The context header ([`ChunkRecord::context_header`]) of each of these chunks, as
    /// `(chunk id, header)` in the order given; ids the index does not have are left out.
    pub fn context_headers(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        let mut titles: std::collections::HashMap<PathBuf, Option<String>> =
            std::collections::HashMap::new();
        let mut headers = Vec::with_capacity(ids.len());
        for record in self.chunks(ids)? {
            if !titles.contains_key(&record.path) {
                let title = self.file_title(&record.path)?;
                titles.insert(record.path.clone(), title);
            }
            let title = titles.get(&record.path).cloned().flatten();
            headers.push((record.chunk_id, record.context_header(title.as_deref())));
        }
        Ok(headers)
    }

    /// Every chunk of one indexed file, in order (empty when the file is not indexed). The
    /// path may be given as recorded or in any form that canonicalizes to it.
    pub fn file_chunks(&self, path: &Path) -> Result<Vec<ChunkRecord>> {
        for key in path_keys(path) {
            let records = self.catalog.file_chunk_records(&key)?;
            if !records.is_empty() {
                return Ok(records);
            }
        }
        Ok(Vec::new())
    }

    /// Whether `path` is an indexed file (as recorded, or in any form that canonicalizes to
    /// it).
    pub fn is_indexed(&self, path: &Path) -> Result<bool> {
        Ok(!self.file_ids(&[path.to_path_buf()])?.is_empty())
    }

    /// [`search`](Self::search) restricted to chunks of `files` (paths as recorded or in any
    /// form that canonicalizes to them). Files not in the index contribute nothing; the
    /// restriction is a filter inside tantivy, so scores are those of the plain search.
    pub fn search_in(
        &self,
        query: &str,
        files: &[PathBuf],
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let file_ids = self.file_ids(files)?;
        if file_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.search_filtered(query, Some(&file_ids), limit)
    }

    /// The catalog ids of those of `files` that are recorded.
    pub(super) fn file_ids(&self, files: &[PathBuf]) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(files.len());
        for file in files {
            for key in path_keys(file) {
                if let Some(id) = self.catalog.file_id(&key)? {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                    break;
                }
            }
        }
        Ok(ids)
    }
}

/// The keys a path may be recorded under: as given, then canonicalized (files are recorded
/// under the canonical folder they were found in).
fn path_keys(path: &Path) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(key) = path.to_str() {
        keys.push(key.to_owned());
    }
    if let Ok(canonical) = fs::canonicalize(path)
        && let Some(key) = canonical.to_str()
        && !keys.iter().any(|k| k == key)
    {
        keys.push(key.to_owned());
    }
    keys
}
