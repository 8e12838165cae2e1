//! Extraction on its own over folders of documents: files read, bytes in, bytes of text out,
//! and the time it took, through [`read_document`] one file after another (one core).
//!
//! ```text
//! cargo run --release -p ledge-index --example extract_texts -- [--ext html] [--dump FILE] DIR...
//! ```
//!
//! `--ext` keeps files with that extension only; `--dump FILE` prints one file's extracted
//! text instead (and its title, when it has one).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ledge_index::{ChunkConfig, read_document};

type BoxResult<T> = Result<T, Box<dyn Error>>;

fn walk(dir: &Path, extension: Option<&str>, files: &mut Vec<PathBuf>) -> BoxResult<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, extension, files)?;
        } else if extension.is_none_or(|e| path.extension().is_some_and(|x| x == e)) {
            files.push(path);
        }
    }
    Ok(())
}

fn main() -> BoxResult<()> {
    let mut extension = None;
    let mut dirs = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--ext" => extension = Some(it.next().ok_or("--ext needs a value")?),
            "--dump" => {
                let path = PathBuf::from(it.next().ok_or("--dump needs a file")?);
                let document = read_document(&path, &ChunkConfig::default())?;
                print!("{}", document.text);
                return Ok(());
            }
            dir => dirs.push(PathBuf::from(dir)),
        }
    }
    for dir in dirs {
        let mut files = Vec::new();
        walk(&dir, extension.as_deref(), &mut files)?;
        files.sort();
        let (mut read, mut bytes_in, mut bytes_out, mut skipped) = (0u64, 0u64, 0u64, 0u64);
        let mut spent = Duration::ZERO;
        for file in &files {
            let size = std::fs::metadata(file)?.len();
            let started = Instant::now();
            let document = read_document(file, &ChunkConfig::default());
            spent += started.elapsed();
            match document {
                Ok(document) => {
                    read += 1;
                    bytes_in += size;
                    bytes_out += document.text_bytes;
                }
                Err(_) => skipped += 1,
            }
        }
        println!(
            "{}: {read} files ({skipped} skipped), {:.1} MB in, {:.1} MB of text, {:.2} s",
            dir.display(),
            bytes_in as f64 / 1e6,
            bytes_out as f64 / 1e6,
            spent.as_secs_f64()
        );
    }
    Ok(())
}
