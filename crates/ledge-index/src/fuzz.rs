//! Entry points for fuzzing the extractors and the chunker: the `fuzz/` cargo-fuzz targets
//! and the mutation tests of the integration-test binary call these. Not part of the API
//! (hidden from the docs); they may change with the internals they expose.
//!
//! [`extract`] is the function a scan and [`read_document`](crate::read_document) run on a
//! file's bytes, with a PDF time limit of the caller's choosing so a fuzzer can afford slow
//! inputs; [`check_chunks`] states the chunker's invariants.

use std::ops::Range;
use std::time::Duration;

use crate::chunk::{Chunk, ChunkConfig, chunk_pages};
use crate::extract::{Extracted, Kind, SkipReason, extract_within};

/// The extracted text of some bytes and its chunks.
#[derive(Debug, Clone)]
pub struct Output {
    /// The kind the text was extracted as.
    pub kind: Kind,
    /// The text.
    pub text: String,
    /// Byte ranges of the pages in `text` (PDF), empty otherwise.
    pub pages: Vec<Range<usize>>,
    /// The chunks, as a scan would cut them.
    pub chunks: Vec<Chunk>,
}

/// Extracts `bytes` as `kind` (`None`: sniffed, as for a file without a known extension) and
/// chunks the text, as a scan would with a size cap of `bytes.len()`.
pub fn extract(
    kind: Option<Kind>,
    bytes: &[u8],
    pdf_time_limit: Duration,
    config: ChunkConfig,
) -> Result<Output, SkipReason> {
    let max_file_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX).max(1);
    let Extracted {
        kind, text, pages, ..
    } = extract_within(kind, bytes, max_file_bytes, pdf_time_limit)?;
    let chunks = chunk_pages(&text, kind, &pages, config);
    Ok(Output {
        kind,
        text,
        pages,
        chunks,
    })
}

/// Chunks `text` of `kind` on the given pages ([`chunk_pages`]).
pub fn chunk(text: &str, kind: Kind, pages: &[Range<usize>], config: ChunkConfig) -> Vec<Chunk> {
    chunk_pages(text, kind, pages, config)
}

/// Checks the chunker's promises for `chunks` of `text`: every byte range lies in the text,
/// on character boundaries, is not empty and (after the first) starts where or after the
/// previous one ended; lines are 1-based, `line_start` is the line of `byte_start` and
/// `line_end` is at least that and at most the line of `byte_end`; a chunk is no larger than
/// `max_bytes` (plus one character, for a split inside a character); with pages, every chunk
/// lies inside the page it names. Returns the first broken promise.
pub fn check_chunks(
    text: &str,
    pages: &[Range<usize>],
    chunks: &[Chunk],
    config: ChunkConfig,
) -> Result<(), String> {
    let newlines = |range: Range<usize>| {
        text.as_bytes()[range]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    // Chunks are checked to be in order, so lines are counted in one pass over the text.
    let (mut counted_to, mut line) = (0, 1);
    let mut previous_end = 0;
    for (i, c) in chunks.iter().enumerate() {
        let fail = |what: &str| Err(format!("chunk {i} {c:?}: {what}"));
        if c.byte_start >= c.byte_end {
            return fail("empty or reversed byte range");
        }
        if c.byte_end > text.len() {
            return fail(&format!("ends past the text ({} bytes)", text.len()));
        }
        if !text.is_char_boundary(c.byte_start) || !text.is_char_boundary(c.byte_end) {
            return fail("not on character boundaries");
        }
        if c.byte_start < previous_end {
            return fail(&format!(
                "overlaps the previous chunk (ended at {previous_end})"
            ));
        }
        previous_end = c.byte_end;
        if c.byte_end - c.byte_start > config.max_bytes + 4 {
            return fail(&format!("larger than max_bytes {}", config.max_bytes));
        }
        line += newlines(counted_to..c.byte_start);
        counted_to = c.byte_start;
        if c.line_start as usize != line {
            return fail(&format!("line_start is not {line}, the line of byte_start"));
        }
        let last = line + newlines(c.byte_start..c.byte_end);
        if c.line_end < c.line_start || c.line_end as usize > last {
            return fail("line_end before line_start or past the line of byte_end");
        }
        match (c.page, pages.is_empty()) {
            (None, true) => {}
            (Some(page), false) => {
                let Some(range) = (page as usize).checked_sub(1).and_then(|p| pages.get(p)) else {
                    return fail("names a page the text does not have");
                };
                if c.byte_start < range.start || c.byte_end > range.end {
                    return fail(&format!("spills out of its page {range:?}"));
                }
            }
            _ => return fail("page set without pages, or missing with them"),
        }
    }
    Ok(())
}
