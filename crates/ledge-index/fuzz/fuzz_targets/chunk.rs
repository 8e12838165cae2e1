//! chunk: text (lossy UTF-8) cut by the chunker as several kinds, with sizes from the first two
//! bytes and pages between form feeds for PDF; the chunks must keep their invariants.
#![no_main]

use std::ops::Range;

use ledge_index::{ChunkConfig, Kind, fuzz};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((sizes, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let target_bytes = 16 + usize::from(sizes[0]) * 8;
    let config = ChunkConfig {
        target_bytes,
        max_bytes: target_bytes + 1 + usize::from(sizes[1]) * 8,
    };
    let text = String::from_utf8_lossy(rest);
    let mut pages: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices('\u{c}') {
        pages.push(start..at);
        start = at + 1;
    }
    pages.push(start..text.len());
    for kind in [
        Kind::Markdown,
        Kind::Plain,
        Kind::Code,
        Kind::Html,
        Kind::Docx,
        Kind::Pdf,
    ] {
        let pages = if kind == Kind::Pdf {
            pages.as_slice()
        } else {
            &[]
        };
        let chunks = fuzz::chunk(&text, kind, pages, config);
        if let Err(broken) = fuzz::check_chunks(&text, pages, &chunks, config) {
            panic!("{kind:?}: {broken}");
        }
    }
});
