//! Reading one file that need not be indexed ("Ask about this file"): the same extractors,
//! size cap, deny-list and chunking as a scan, without touching any index.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::chunk::{Chunk, ChunkConfig, chunk_pages};
use crate::discover::{DEFAULT_MAX_FILE_BYTES, is_denied};
use crate::extract::{Classified, Extracted, Kind, SkipReason, classify, extract, read_capped};
use crate::{Error, Result};

/// One file's extracted text and its chunks.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The file, as given.
    pub path: PathBuf,
    /// What kind of text it holds.
    pub kind: Kind,
    /// Bytes of extracted text.
    pub text_bytes: u64,
    /// The extracted text; the chunks' byte ranges point into it (see
    /// [`chunk_text`](Self::chunk_text)).
    pub text: String,
    /// The chunks, in order, cut as a scan would cut them.
    pub chunks: Vec<Chunk>,
}

impl Document {
    /// The text of one of this document's chunks.
    pub fn chunk_text(&self, chunk: &Chunk) -> &str {
        chunk.text(&self.text)
    }
}

/// Reads and chunks the file at `path`, whether or not it is indexed.
///
/// The safety rules of a scan apply: a file under the secrets deny-list is refused
/// ([`Error::Denied`]), files over [`DEFAULT_MAX_FILE_BYTES`] are not read, binary formats
/// are parsed on a bounded thread, and a file a scan would skip gives [`Error::Skipped`] with
/// the same [`SkipReason`]. The file is opened read-only.
pub fn read_document(path: &Path, chunking: &ChunkConfig) -> Result<Document> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let canonical = fs::canonicalize(path).map_err(io_error)?;
    if is_denied(&canonical) || is_denied(path) {
        return Err(Error::Denied {
            path: path.to_path_buf(),
        });
    }
    if !fs::metadata(&canonical).map_err(io_error)?.is_file() {
        return Err(io_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let skipped = |reason: SkipReason| Error::Skipped {
        path: path.to_path_buf(),
        reason,
    };
    let kind = match classify(&canonical) {
        Classified::Unsupported(extension) => {
            return Err(skipped(SkipReason::Unsupported { extension }));
        }
        Classified::Known(kind) => Some(kind),
        Classified::Sniff => None,
    };
    let bytes = read_capped(&canonical, DEFAULT_MAX_FILE_BYTES)
        .map_err(io_error)?
        .map_err(skipped)?;
    let Extracted {
        kind, text, pages, ..
    } = extract(kind, &bytes, DEFAULT_MAX_FILE_BYTES).map_err(skipped)?;
    let chunks = chunk_pages(&text, kind, &pages, *chunking);
    Ok(Document {
        path: path.to_path_buf(),
        kind,
        text_bytes: text.len() as u64,
        text,
        chunks,
    })
}
