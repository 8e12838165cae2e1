//! rtf: `ledge_index::fuzz::extract` as `Kind::Rtf` (what a scan runs on a file's bytes),
//! then the chunker's invariants.
#![no_main]

use std::time::Duration;

use ledge_index::{ChunkConfig, Kind, fuzz};
use libfuzzer_sys::fuzz_target;

// A parser's panic that the indexer catches is logged, as in the product; libFuzzer's hook
// (abort, a crash) still takes every other panic, this target's own included.
fuzz_target!(init: ledge_index::log_parser_panics(), |data: &[u8]| {
    let config = ChunkConfig::default();
    if let Ok(output) = fuzz::extract(Some(Kind::Rtf), data, Duration::from_secs(5), config) {
        if let Err(broken) = fuzz::check_chunks(&output.text, &output.pages, &output.chunks, config)
        {
            panic!("{broken}");
        }
    }
});
