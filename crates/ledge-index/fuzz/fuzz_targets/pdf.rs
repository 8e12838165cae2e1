//! pdf: `ledge_index::fuzz::extract` as `Kind::Pdf` (what a scan runs on a file's bytes),
//! then the chunker's invariants.
#![no_main]

use std::time::Duration;

use ledge_index::{ChunkConfig, Kind, fuzz};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = ChunkConfig::default();
    if let Ok(output) = fuzz::extract(Some(Kind::Pdf), data, Duration::from_secs(5), config) {
        if let Err(broken) = fuzz::check_chunks(&output.text, &output.pages, &output.chunks, config)
        {
            panic!("{broken}");
        }
    }
});
