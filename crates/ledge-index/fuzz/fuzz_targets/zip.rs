//! zip: DOCX and EPUB packages (the first byte picks which) through
//! `ledge_index::fuzz::extract`, then the chunker's invariants.
#![no_main]

use std::time::Duration;

use ledge_index::{ChunkConfig, Kind, fuzz};
use libfuzzer_sys::fuzz_target;

// A parser's panic that the indexer catches is logged, as in the product; libFuzzer's hook
// (abort, a crash) still takes every other panic, this target's own included.
fuzz_target!(init: ledge_index::log_parser_panics(), |data: &[u8]| {
    let Some((&pick, package)) = data.split_first() else {
        return;
    };
    let kind = if pick & 1 == 0 {
        Kind::Docx
    } else {
        Kind::Epub
    };
    let config = ChunkConfig::default();
    if let Ok(output) = fuzz::extract(Some(kind), package, Duration::from_secs(5), config) {
        if let Err(broken) = fuzz::check_chunks(&output.text, &output.pages, &output.chunks, config)
        {
            panic!("{broken}");
        }
    }
});
