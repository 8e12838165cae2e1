//! Fixtures shared by the crate's unit tests.

use std::path::PathBuf;

use ledge_index::ChunkRecord;

/// A passage of `file` that is not in any index (chunk id -1), on line 1.
pub(crate) fn record(file: &str, text: &str) -> ChunkRecord {
    ChunkRecord {
        chunk_id: -1,
        path: PathBuf::from(file),
        line_start: 1,
        line_end: 1,
        byte_start: 0,
        byte_end: text.len() as u64,
        page: None,
        heading: String::new(),
        text: text.to_owned(),
    }
}
