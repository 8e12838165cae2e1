//! The index benchmark: one real corpus (a copy the benchmark may edit), Ledge against
//! anchors measured on the same machine in the same run.
//!
//! * cold index: files, MB, files/s, MB/s, chunks, bytes on disk (catalog and tantivy apart);
//!   anchor: the same texts, extracted once more with [`read_document`] (the extraction cost
//!   on its own), indexed by plain tantivy with a minimal schema (one `text` field, the default
//!   tokenizer, one document per file, Ledge's writer threads and memory). The ratio is the
//!   cost of everything Ledge adds: extraction, chunking, hashing, the catalog, stemming;
//! * one edited file reaching search, through `refresh_paths` directly and through the
//!   watcher (debounce included);
//! * queries built from words and adjacent word pairs sampled from the corpus with a fixed
//!   seed: p50/p99 latency of `Index::search` (top 10, snippets and catalog rows included)
//!   against plain tantivy (top 10 ids) and, on a subset of single words, `rg -l -i -F`.
//!
//! ```text
//! cargo run --release -p ledge-index --example bench_index -- --name python --dir COPY \
//!     [--queries 1000] [--rg-queries 50] [--seed 42] [--rg rg]
//! ```
//!
//! * peak resident memory of the cold index and of the anchor's extraction + indexing, each
//!   as the growth of the process's peak over its size when the phase began (Linux: `VmHWM`
//!   reset through `/proc/self/clear_refs`).
//!
//! `scripts/bench-index.sh` installs the corpora, copies them and runs this on each.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ledge_index::{
    CancelToken, ChunkConfig, DEFAULT_DEBOUNCE, Index, IndexOptions, Watcher, read_document,
};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Schema, TEXT};
use tantivy::{TantivyDocument, doc};

type BoxResult<T> = Result<T, Box<dyn Error>>;

struct Args {
    name: String,
    dir: PathBuf,
    queries: usize,
    rg_queries: usize,
    seed: u64,
    rg: String,
}

fn args() -> BoxResult<Args> {
    let mut args = Args {
        name: String::new(),
        dir: PathBuf::new(),
        queries: 1000,
        rg_queries: 50,
        seed: 42,
        rg: "rg".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--name" => args.name = value,
            "--dir" => args.dir = PathBuf::from(value),
            "--queries" => args.queries = value.parse()?,
            "--rg-queries" => args.rg_queries = value.parse()?,
            "--seed" => args.seed = value.parse()?,
            "--rg" => args.rg = value,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if args.dir.as_os_str().is_empty() {
        return Err("--dir is required".into());
    }
    args.dir = args.dir.canonicalize()?;
    if args.name.is_empty() {
        args.name = args.dir.display().to_string();
    }
    Ok(args)
}

/// splitmix64: a small, seeded, reproducible generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn files_under(dir: &Path) -> BoxResult<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn dir_bytes(path: &Path) -> u64 {
    let Ok(meta) = fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| dir_bytes(&e.path())).sum())
        .unwrap_or(0)
}

/// A field of `/proc/self/status` in kB, as bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix(field))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// The memory a phase of the benchmark takes: how far the process's peak resident size rises
/// above what it was when the phase began.
struct MemoryPhase {
    start: Option<u64>,
}

impl MemoryPhase {
    fn start() -> Self {
        // Writing 5 resets the peak (VmHWM) to the current resident size (Linux 4.0+).
        let reset = fs::write("/proc/self/clear_refs", "5").is_ok();
        Self {
            start: status_bytes("VmRSS:").filter(|_| reset),
        }
    }

    /// The rise in MB, where the platform can tell.
    fn rise(&self) -> Option<f64> {
        let peak = status_bytes("VmHWM:")?;
        Some(mb(peak.saturating_sub(self.start?)))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Words of 4 to 20 ASCII letters, lower-cased, in text order.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| (4..=20).contains(&w.len()))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Queries sampled from the texts: 60% one word, 25% two words, 15% a quoted pair of adjacent
/// words. Sampling by occurrence, so common words come up as often as people type them.
fn make_queries(texts: &[String], count: usize, seed: u64) -> Vec<(String, bool)> {
    let per_text: Vec<Vec<String>> = texts.iter().map(|t| words(t)).collect();
    let usable: Vec<&Vec<String>> = per_text.iter().filter(|w| w.len() >= 2).collect();
    let mut rng = Rng(seed);
    let mut queries = Vec::with_capacity(count);
    if usable.is_empty() {
        return queries;
    }
    while queries.len() < count {
        let text = usable[rng.below(usable.len())];
        let at = rng.below(text.len() - 1);
        let roll = rng.below(100);
        let query = if roll < 60 {
            (text[at].clone(), true)
        } else if roll < 85 {
            let other = usable[rng.below(usable.len())];
            (
                format!("{} {}", text[at], other[rng.below(other.len())]),
                false,
            )
        } else {
            (format!("\"{} {}\"", text[at], text[at + 1]), false)
        };
        queries.push(query);
    }
    queries
}

struct Latency {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn latency(mut samples: Vec<Duration>) -> Latency {
    samples.sort();
    let total: Duration = samples.iter().sum();
    Latency {
        p50: percentile(&samples, 50.0),
        p99: percentile(&samples, 99.0),
        mean: total / samples.len().max(1) as u32,
    }
}

/// A file to edit: a text-like file near the middle of the sorted list.
fn pick_editable(files: &[PathBuf]) -> Option<PathBuf> {
    let editable: Vec<&PathBuf> = files
        .iter()
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("html" | "htm" | "txt" | "tex" | "md")
            )
        })
        .collect();
    editable.get(editable.len() / 2).map(|p| (*p).clone())
}

/// Writes `word` into the file, inside `<body>` for HTML so the extractor keeps it.
fn edit(path: &Path, original: &str, word: &str) -> BoxResult<()> {
    let addition = format!("\n<p>An edit that mentions {word}.</p>\n");
    let text = match original.rfind("</body>") {
        Some(at) => format!("{}{addition}{}", &original[..at], &original[at..]),
        None => format!("{original}{addition}"),
    };
    fs::write(path, text)?;
    Ok(())
}

/// The shells' allocator, so the memory and time measured are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> BoxResult<()> {
    // As the shells do: a page pdf-extract panics on costs that page, not a message.
    ledge_index::log_parser_panics();
    let args = args()?;
    let scratch = tempfile::tempdir()?;
    let files = files_under(&args.dir)?;
    let none = CancelToken::new();

    // (a) Ledge, cold.
    let index_dir = scratch.path().join("ledge");
    let ledge_memory = MemoryPhase::start();
    let mut index = Index::open(&index_dir)?;
    let started = Instant::now();
    let report = index.add_folder(&args.dir, &IndexOptions::default(), &mut |_| {}, &none)?;
    let ledge_cold = started.elapsed();
    let ledge_rise = ledge_memory.rise();
    let status = index.status()?;
    let folder = status
        .folders
        .first()
        .ok_or("the folder is not in the index")?;
    let fulltext_bytes = dir_bytes(&index_dir.join("fulltext"));
    let catalog_bytes = dir_bytes(&index_dir).saturating_sub(fulltext_bytes);

    // (b) The anchor: the same texts extracted again, then plain tantivy.
    let anchor_memory = MemoryPhase::start();
    let started = Instant::now();
    let mut texts = Vec::new();
    let mut extracted_source_bytes = 0u64;
    for file in &files {
        if let Ok(document) = read_document(file, &ChunkConfig::default()) {
            extracted_source_bytes += fs::metadata(file)?.len();
            texts.push(document.text);
        }
    }
    let extract_only = started.elapsed();
    let text_bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();

    let plain_dir = scratch.path().join("tantivy");
    fs::create_dir_all(&plain_dir)?;
    let mut schema = Schema::builder();
    let body = schema.add_text_field("text", TEXT);
    let plain = tantivy::Index::create_in_dir(&plain_dir, schema.build())?;
    let started = Instant::now();
    let mut writer: tantivy::IndexWriter<TantivyDocument> =
        plain.writer_with_num_threads(2, 64 * 1024 * 1024)?;
    for text in &texts {
        writer.add_document(doc!(body => text.as_str()))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let tantivy_cold = started.elapsed();
    let anchor_rise = anchor_memory.rise();
    let plain_bytes = dir_bytes(&plain_dir);

    // (d) Queries.
    let queries = make_queries(&texts, args.queries, args.seed);
    let reader = plain.reader()?;
    let searcher = reader.searcher();
    let parser = QueryParser::for_index(&plain, vec![body]);
    // Warm both (page cache, lazily opened segments) with the first 50 queries.
    for (query, _) in queries.iter().take(50) {
        index.search(query, 10)?;
        let (parsed, _) = parser.parse_query_lenient(query);
        searcher.search(&parsed, &TopDocs::with_limit(10))?;
    }
    let mut ledge_times = Vec::with_capacity(queries.len());
    let mut ledge_empty = 0;
    for (query, _) in &queries {
        let started = Instant::now();
        let hits = index.search(query, 10)?;
        ledge_times.push(started.elapsed());
        ledge_empty += usize::from(hits.is_empty());
    }
    let mut plain_times = Vec::with_capacity(queries.len());
    for (query, _) in &queries {
        let started = Instant::now();
        let (parsed, _) = parser.parse_query_lenient(query);
        let top = searcher.search(&parsed, &TopDocs::with_limit(10))?;
        plain_times.push(started.elapsed());
        std::hint::black_box(top);
    }
    let mut rg_times = Vec::new();
    for (query, _) in queries
        .iter()
        .filter(|(_, single)| *single)
        .take(args.rg_queries)
    {
        let started = Instant::now();
        let output = Command::new(&args.rg)
            .args(["-l", "-i", "-F", "--", query])
            .arg(&args.dir)
            .output()?;
        rg_times.push(started.elapsed());
        if !output.status.success() && output.status.code() != Some(1) {
            return Err(format!("{} failed: {:?}", args.rg, output.status).into());
        }
    }
    let rg_count = rg_times.len();
    let ledge_q = latency(ledge_times);
    let plain_q = latency(plain_times);
    let rg_q = latency(rg_times);

    // (c) One edited file reaching search: refresh_paths alone, then through the watcher.
    let mut refresh_times = Vec::new();
    let mut watcher_times = Vec::new();
    let mut edited_found = true;
    let edited = pick_editable(&files);
    if let Some(path) = &edited {
        let original = fs::read_to_string(path)?;
        for round in 0..3 {
            let word = format!("zyzzyvaquux{round}");
            edit(path, &original, &word)?;
            let started = Instant::now();
            index.refresh_paths(std::slice::from_ref(path), &mut |_| {}, &none)?;
            let found = index.search(&word, 1)?;
            refresh_times.push(started.elapsed());
            edited_found &= found.first().is_some_and(|h| &h.path == path);
        }
        let (_watcher, batches) = Watcher::for_index(&index, DEFAULT_DEBOUNCE)?;
        std::thread::sleep(Duration::from_millis(300));
        for round in 0..3 {
            let word = format!("quetzalwatch{round}");
            let started = Instant::now();
            edit(path, &original, &word)?;
            let batch = batches.recv_timeout(Duration::from_secs(20))?;
            index.refresh_paths(&batch.paths, &mut |_| {}, &none)?;
            let found = index.search(&word, 1)?;
            watcher_times.push(started.elapsed());
            edited_found &= found.first().is_some_and(|h| &h.path == path);
            // Let any trailing events of this edit drain before the next one.
            std::thread::sleep(Duration::from_millis(100));
            while batches.try_recv().is_ok() {}
        }
    }
    refresh_times.sort();
    watcher_times.sort();

    let secs = |d: Duration| d.as_secs_f64().max(1e-9);
    println!("## {} ({})", args.name, args.dir.display());
    println!();
    println!(
        "{} files on disk, {:.1} MB; Ledge indexed {} ({} skipped, {} failed), {} chunks; \
         read_document gave text for {} files ({:.1} MB of source, {:.1} MB of text)",
        files.len(),
        mb(files
            .iter()
            .filter_map(|f| fs::metadata(f).ok())
            .map(|m| m.len())
            .sum()),
        report.indexed,
        report.skipped.len(),
        report.failed.len(),
        folder.chunks,
        texts.len(),
        mb(extracted_source_bytes),
        mb(text_bytes),
    );
    println!();
    println!("| measure | Ledge | anchor | ratio (Ledge / anchor) |");
    println!("|---|---|---|---|");
    println!(
        "| cold index, s | {:.2} | plain tantivy {:.2} (+ extraction alone {:.2}) | {:.1}x ({:.2}x of extraction + tantivy) |",
        secs(ledge_cold),
        secs(tantivy_cold),
        secs(extract_only),
        secs(ledge_cold) / secs(tantivy_cold),
        secs(ledge_cold) / (secs(extract_only) + secs(tantivy_cold)),
    );
    println!(
        "| files/s | {:.0} | plain tantivy {:.0} | |",
        report.indexed as f64 / secs(ledge_cold),
        texts.len() as f64 / secs(tantivy_cold),
    );
    println!(
        "| MB/s (source bytes) | {:.2} | extraction alone {:.2} | |",
        mb(folder.bytes) / secs(ledge_cold),
        mb(extracted_source_bytes) / secs(extract_only),
    );
    println!(
        "| MB/s (extracted text) | {:.2} | plain tantivy {:.2} | |",
        mb(text_bytes) / secs(ledge_cold),
        mb(text_bytes) / secs(tantivy_cold),
    );
    println!(
        "| on disk, MB | {:.1} (catalog {:.1} + tantivy {:.1}) | plain tantivy {:.1} | {:.1}x |",
        mb(catalog_bytes + fulltext_bytes),
        mb(catalog_bytes),
        mb(fulltext_bytes),
        mb(plain_bytes),
        (catalog_bytes + fulltext_bytes) as f64 / plain_bytes.max(1) as f64,
    );
    let shown = |rise: Option<f64>| rise.map_or("-".to_owned(), |r| format!("{r:.0}"));
    println!(
        "| peak memory rise during the cold index, MB | {} | extraction + plain tantivy {} | {} |",
        shown(ledge_rise),
        shown(anchor_rise),
        match (ledge_rise, anchor_rise) {
            (Some(ours), Some(theirs)) if theirs > 0.0 => format!("{:.2}x", ours / theirs),
            _ => "-".to_owned(),
        },
    );
    println!(
        "| query p50 / p99 / mean, ms ({} queries) | {:.2} / {:.2} / {:.2} | plain tantivy {:.3} / {:.3} / {:.3} | {:.1}x / {:.1}x |",
        queries.len(),
        ms(ledge_q.p50),
        ms(ledge_q.p99),
        ms(ledge_q.mean),
        ms(plain_q.p50),
        ms(plain_q.p99),
        ms(plain_q.mean),
        secs(ledge_q.p50) / secs(plain_q.p50),
        secs(ledge_q.p99) / secs(plain_q.p99),
    );
    println!(
        "| query p50 / p99, ms (rg: {} one-word queries) | {:.2} / {:.2} | `rg -l -i -F` {:.1} / {:.1} | {:.4}x / {:.4}x |",
        rg_count,
        ms(ledge_q.p50),
        ms(ledge_q.p99),
        ms(rg_q.p50),
        ms(rg_q.p99),
        secs(ledge_q.p50) / secs(rg_q.p50),
        secs(ledge_q.p99) / secs(rg_q.p99),
    );
    match &edited {
        Some(path) => {
            println!(
                "| edit to search, `refresh_paths`, ms (median of 3) | {:.1} | | |",
                ms(refresh_times[1]),
            );
            println!(
                "| edit to search, watcher + `refresh_paths`, ms (median of 3; debounce {} ms) | {:.0} | | |",
                DEFAULT_DEBOUNCE.as_millis(),
                ms(watcher_times[1]),
            );
            println!();
            println!(
                "edited file: {} ({:.1} kB); found in search after every edit: {edited_found}",
                path.strip_prefix(&args.dir).unwrap_or(path).display(),
                fs::metadata(path)?.len() as f64 / 1e3,
            );
        }
        None => println!("| edit to search | no text file to edit in this corpus | | |"),
    }
    println!(
        "queries: {} (seed {}), {} with no Ledge hit",
        queries.len(),
        args.seed,
        ledge_empty
    );
    println!();
    Ok(())
}
