//! How to store chunk texts compressed: the alternatives measured on a real catalog's texts.
//!
//! ```text
//! cargo run --release -p ledge-index --example text_store_bench -- build DIR INDEX_DIR
//! cargo run --release -p ledge-index --example text_store_bench -- measure INDEX_DIR
//! cargo run --release -p ledge-index --example text_store_bench -- migrate INDEX_DIR OLD_CATALOG
//! cargo run --release -p ledge-index --example text_store_bench -- reads INDEX_DIR OLD_CATALOG
//! ```
//!
//! `migrate` opens INDEX_DIR (a copy of an index of schema 0004, whose catalog is converted on
//! open), times that, and checks every chunk's text against OLD_CATALOG (the untouched
//! original). `reads` times reading one chunk by id (2,000 ids at random, seed 42) through
//! `Index::chunks` on INDEX_DIR and with the old schema's query on OLD_CATALOG.
//!
//! `build` indexes DIR into INDEX_DIR with the current code (time and sizes). `measure` reads
//! every chunk's text back through the index (in file and chunk order), then stores them in
//! each way and reports the bytes, the time to compress, and the time to read one chunk back
//! (2,000 chunks picked at random, seed 42): zstd per chunk without and with a dictionary
//! trained on a sample of the chunks, per group of consecutive chunks of one file up to a
//! size, and per file.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;
use std::time::{Duration, Instant};

use ledge_index::{CancelToken, Index, IndexOptions};

type BoxResult<T> = Result<T, Box<dyn Error>>;

fn dir_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| dir_bytes(&e.path())).sum())
        .unwrap_or(0)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1].as_secs_f64() * 1e6
}

/// One way of storing: units of compressed bytes, and for each chunk (unit, start, end) in the
/// unit's decompressed bytes.
struct Stored {
    name: String,
    units: Vec<Vec<u8>>,
    unit_raw: Vec<usize>,
    chunks: Vec<(usize, usize, usize)>,
    compress: Duration,
}

fn report(stored: &Stored, raw: u64, picks: &[usize], dict: Option<&[u8]>) -> BoxResult<()> {
    let bytes: u64 = stored.units.iter().map(|u| u.len() as u64).sum();
    let mut decompressor = match dict {
        Some(dict) => zstd::bulk::Decompressor::with_dictionary(dict)?,
        None => zstd::bulk::Decompressor::new()?,
    };
    let mut samples = Vec::with_capacity(picks.len());
    let mut check = 0usize;
    for &pick in picks {
        let (unit, start, end) = stored.chunks[pick];
        let started = Instant::now();
        let data = decompressor.decompress(&stored.units[unit], stored.unit_raw[unit])?;
        let text = std::str::from_utf8(&data[start..end])?;
        check += text.len();
        samples.push(started.elapsed());
    }
    let p50 = percentile(&mut samples, 50.0);
    let p99 = percentile(&mut samples, 99.0);
    println!(
        "| {} | {:.1} | {:.2}x | {} | {:.2} | {:.1} / {:.1} |",
        stored.name,
        mb(bytes),
        raw as f64 / bytes.max(1) as f64,
        stored.units.len(),
        stored.compress.as_secs_f64(),
        p50,
        p99,
    );
    std::hint::black_box(check);
    Ok(())
}

fn per_chunk(
    texts: &[Vec<String>],
    level: i32,
    dict: Option<&[u8]>,
    name: &str,
) -> BoxResult<Stored> {
    let mut compressor = match dict {
        Some(dict) => zstd::bulk::Compressor::with_dictionary(level, dict)?,
        None => zstd::bulk::Compressor::new(level)?,
    };
    let started = Instant::now();
    let mut stored = Stored {
        name: name.to_owned(),
        units: Vec::new(),
        unit_raw: Vec::new(),
        chunks: Vec::new(),
        compress: Duration::ZERO,
    };
    for file in texts {
        for text in file {
            let unit = stored.units.len();
            stored.units.push(compressor.compress(text.as_bytes())?);
            stored.unit_raw.push(text.len());
            stored.chunks.push((unit, 0, text.len()));
        }
    }
    stored.compress = started.elapsed();
    Ok(stored)
}

/// Consecutive chunks of a file packed into units of up to `limit` bytes (a file's last unit
/// may be smaller; `usize::MAX`: one unit per file).
fn grouped(texts: &[Vec<String>], level: i32, limit: usize, name: &str) -> BoxResult<Stored> {
    let mut compressor = zstd::bulk::Compressor::new(level)?;
    let started = Instant::now();
    let mut stored = Stored {
        name: name.to_owned(),
        units: Vec::new(),
        unit_raw: Vec::new(),
        chunks: Vec::new(),
        compress: Duration::ZERO,
    };
    let mut flush = |buffer: &mut Vec<u8>, stored: &mut Stored| -> BoxResult<()> {
        if !buffer.is_empty() {
            stored.units.push(compressor.compress(buffer)?);
            stored.unit_raw.push(buffer.len());
            buffer.clear();
        }
        Ok(())
    };
    for file in texts {
        let mut buffer = Vec::new();
        for text in file {
            if !buffer.is_empty() && buffer.len() + text.len() > limit {
                flush(&mut buffer, &mut stored)?;
            }
            let unit = stored.units.len();
            stored
                .chunks
                .push((unit, buffer.len(), buffer.len() + text.len()));
            buffer.extend_from_slice(text.as_bytes());
        }
        flush(&mut buffer, &mut stored)?;
    }
    stored.compress = started.elapsed();
    Ok(stored)
}

fn measure(index_dir: &Path) -> BoxResult<()> {
    let index = Index::open(index_dir)?;
    let status = index.status()?;
    // Every chunk id, read back in id order (= file and chunk order for a cold index).
    let mut by_file: BTreeMap<(String, i64), String> = BTreeMap::new();
    let max_id = status.chunks as i64 * 2 + 1000;
    let ids: Vec<i64> = (1..=max_id).collect();
    for batch in ids.chunks(4096) {
        for record in index.chunks(batch)? {
            by_file.insert(
                (record.path.to_string_lossy().into_owned(), record.chunk_id),
                record.text,
            );
        }
    }
    let mut texts: Vec<Vec<String>> = Vec::new();
    let mut last = String::new();
    for ((path, _), text) in by_file {
        if path != last || texts.is_empty() {
            texts.push(Vec::new());
            last = path;
        }
        if let Some(file) = texts.last_mut() {
            file.push(text);
        }
    }
    let raw: u64 = texts.iter().flatten().map(|t| t.len() as u64).sum();
    let chunks: usize = texts.iter().map(Vec::len).sum();
    println!(
        "{} files, {} chunks, {:.1} MB of chunk text (mean {:.0} bytes); catalog on disk {:.1} MB",
        texts.len(),
        chunks,
        mb(raw),
        raw as f64 / chunks.max(1) as f64,
        mb(dir_bytes(&index_dir.join("catalog.sqlite3"))),
    );
    let mut rng = Rng(42);
    let picks: Vec<usize> = (0..2000).map(|_| rng.below(chunks)).collect();

    println!();
    println!(
        "| storage | MB | ratio | units | compress, s (1 core) | read one chunk p50 / p99, µs |"
    );
    println!("|---|---|---|---|---|---|");
    for level in [1, 3, 9] {
        let stored = per_chunk(&texts, level, None, &format!("per chunk, level {level}"))?;
        report(&stored, raw, &picks, None)?;
    }
    // A dictionary trained on every 8th chunk (samples capped as zstd's trainer wants).
    for dict_size in [64 * 1024, 112 * 1024, 256 * 1024] {
        let started = Instant::now();
        let samples: Vec<&[u8]> = texts
            .iter()
            .flatten()
            .step_by(8)
            .take(100_000)
            .map(|t| t.as_bytes())
            .collect();
        let dict = zstd::dict::from_samples(&samples, dict_size)?;
        let trained = started.elapsed();
        for level in [3, 9] {
            let name = format!(
                "per chunk, dictionary {} KB (trained {:.1} s), level {level}",
                dict_size / 1024,
                trained.as_secs_f64()
            );
            let stored = per_chunk(&texts, level, Some(&dict), &name)?;
            report(&stored, raw, &picks, Some(&dict))?;
        }
    }
    for (limit, level) in [
        (8 * 1024, 3),
        (16 * 1024, 3),
        (32 * 1024, 3),
        (32 * 1024, 9),
        (64 * 1024, 3),
        (128 * 1024, 3),
        (usize::MAX, 3),
        (usize::MAX, 9),
    ] {
        let name = if limit == usize::MAX {
            format!("per file, level {level}")
        } else {
            format!("per {} KB of a file's chunks, level {level}", limit / 1024)
        };
        let stored = grouped(&texts, level, limit, &name)?;
        report(&stored, raw, &picks, None)?;
    }
    Ok(())
}

fn old_texts(old: &Path) -> BoxResult<Vec<(i64, String)>> {
    let conn = rusqlite::Connection::open(old)?;
    let mut statement = conn.prepare("SELECT id, text FROM chunks ORDER BY id")?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn migrate(index_dir: &Path, old: &Path) -> BoxResult<()> {
    let before = dir_bytes(&index_dir.join("catalog.sqlite3"))
        + dir_bytes(&index_dir.join("catalog.sqlite3-wal"));
    let started = Instant::now();
    let index = Index::open(index_dir)?;
    let elapsed = started.elapsed();
    let status = index.status()?;
    println!(
        "opened (schema {}) in {:.1} s; catalog {:.1} MB -> {:.1} MB (with WAL {:.1} MB)",
        status.schema_version,
        elapsed.as_secs_f64(),
        mb(before),
        mb(dir_bytes(&index_dir.join("catalog.sqlite3"))),
        mb(dir_bytes(&index_dir.join("catalog.sqlite3-wal"))),
    );
    let texts = old_texts(old)?;
    let started = Instant::now();
    let mut same = 0usize;
    for batch in texts.chunks(1024) {
        let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        let records = index.chunks(&ids)?;
        if records.len() != batch.len() {
            return Err(format!("{} records for {} ids", records.len(), batch.len()).into());
        }
        for (record, (id, text)) in records.iter().zip(batch) {
            if record.chunk_id != *id || record.text != *text {
                return Err(format!("chunk {id} differs after the migration").into());
            }
            same += 1;
        }
    }
    println!(
        "all {same} chunk texts identical to the old catalog's (read back in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn reads(index_dir: &Path, old: &Path) -> BoxResult<()> {
    let ids: Vec<i64> = old_texts(old)?.into_iter().map(|(id, _)| id).collect();
    let mut rng = Rng(42);
    let picks: Vec<i64> = (0..2000).map(|_| ids[rng.below(ids.len())]).collect();
    let conn = rusqlite::Connection::open(old)?;
    // The old schema's `chunk_records` query, as it ran before compression.
    let mut statement = conn.prepare(
        "SELECT c.id, f.path, c.line_start, c.line_end, c.byte_start, c.byte_end, c.page,
                c.heading, c.text FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.id = ?1",
    )?;
    let mut old_samples = Vec::new();
    for &id in &picks {
        let started = Instant::now();
        let text: String = statement.query_row([id], |row| row.get(8))?;
        std::hint::black_box(text);
        old_samples.push(started.elapsed());
    }
    let index = Index::open(index_dir)?;
    let mut new_samples = Vec::new();
    for &id in &picks {
        let started = Instant::now();
        std::hint::black_box(index.chunks(&[id])?);
        new_samples.push(started.elapsed());
    }
    println!(
        "read one chunk by id, p50 / p99 µs: old schema {:.1} / {:.1}, compressed {:.1} / {:.1}",
        percentile(&mut old_samples, 50.0),
        percentile(&mut old_samples, 99.0),
        percentile(&mut new_samples, 50.0),
        percentile(&mut new_samples, 99.0),
    );
    Ok(())
}

fn main() -> BoxResult<()> {
    ledge_index::log_parser_panics();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["build", dir, index_dir] => {
            let mut index = Index::open(Path::new(index_dir))?;
            let started = Instant::now();
            let report = index.add_folder(
                Path::new(dir),
                &IndexOptions::default(),
                &mut |_| {},
                &CancelToken::new(),
            )?;
            let elapsed = started.elapsed();
            let fulltext = dir_bytes(&Path::new(index_dir).join("fulltext"));
            let total = dir_bytes(Path::new(index_dir));
            println!(
                "{} files indexed, {} chunks in {:.1} s; catalog {:.1} MB + tantivy {:.1} MB",
                report.indexed,
                report.chunks_added,
                elapsed.as_secs_f64(),
                mb(total - fulltext),
                mb(fulltext)
            );
            Ok(())
        }
        ["measure", index_dir] => measure(Path::new(index_dir)),
        ["migrate", index_dir, old] => migrate(Path::new(index_dir), Path::new(old)),
        ["reads", index_dir, old] => reads(Path::new(index_dir), Path::new(old)),
        _ => Err("usage: text_store_bench build DIR INDEX_DIR | measure INDEX_DIR".into()),
    }
}
