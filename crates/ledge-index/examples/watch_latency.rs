//! Measures how long an edited file takes to reach search: the watcher's batch (debounce
//! included), then `refresh_paths` on it, in a folder of 5,000 files.
//!
//! `cargo run --release -p ledge-index --example watch_latency`

use std::error::Error;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use ledge_index::{CancelToken, DEFAULT_DEBOUNCE, Index, IndexOptions, Watcher};

fn main() -> Result<(), Box<dyn Error>> {
    let temp = tempfile::tempdir()?;
    let docs = temp.path().join("docs");
    for folder in 0..50 {
        std::fs::create_dir_all(docs.join(format!("f{folder:02}")))?;
        for file in 0..100 {
            let mut text = String::new();
            for line in 0..40 {
                writeln!(
                    text,
                    "folder {folder} file {file} line {line} lorem ipsum dolor"
                )?;
            }
            std::fs::write(docs.join(format!("f{folder:02}/n{file:03}.txt")), text)?;
        }
    }
    let docs = docs.canonicalize()?;
    let mut index = Index::open(&temp.path().join("index"))?;
    let started = Instant::now();
    index.add_folder(
        &docs,
        &IndexOptions::default(),
        &mut |_| {},
        &CancelToken::new(),
    )?;
    println!(
        "indexed 5000 files in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (_watcher, batches) = Watcher::for_index(&index, DEFAULT_DEBOUNCE)?;
    std::thread::sleep(Duration::from_millis(200));

    for round in 0..5 {
        let edited = docs.join(format!("f{round:02}/n050.txt"));
        let word = format!("quetzalcoatl{round}");
        let written = Instant::now();
        std::fs::write(&edited, format!("an edit with {word}\n"))?;
        let batch = batches.recv_timeout(Duration::from_secs(10))?;
        let seen = written.elapsed();
        let started = Instant::now();
        let report = index.refresh_paths(&batch.paths, &mut |_| {}, &CancelToken::new())?;
        let refreshed = started.elapsed();
        let found = index.search(&word, 1)?;
        println!(
            "edit seen after {:.0} ms (debounce {} ms), refresh_paths {:.1} ms ({} indexed), \
             in search: {}",
            seen.as_secs_f64() * 1e3,
            DEFAULT_DEBOUNCE.as_millis(),
            refreshed.as_secs_f64() * 1e3,
            report.indexed,
            found.first().is_some_and(|h| h.path == edited)
        );
    }
    // The fixed cost without a commit: an unchanged file (opening the full-text writer, the
    // walk's rules, one stat).
    let unchanged = [docs.join("f40/n000.txt")];
    let started = Instant::now();
    for _ in 0..10 {
        index.refresh_paths(&unchanged, &mut |_| {}, &CancelToken::new())?;
    }
    println!(
        "refresh_paths of an unchanged file: {:.1} ms",
        started.elapsed().as_secs_f64() * 1e2
    );
    Ok(())
}
