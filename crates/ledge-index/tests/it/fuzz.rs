//! The extractors and the chunker under mutated input, on the stable toolchain: the committed
//! seeds of `fuzz/corpus/<target>/` go through the public entry point (`read_document` on a
//! temporary file), then a seeded mutation loop (bit flips, interesting bytes, truncations,
//! splices, insertions, deletions; for zip packages also mutations of the XML inside a
//! re-packed archive) runs each target for a bounded time through `ledge_index::fuzz`, the
//! function a scan runs on a file's bytes.
//!
//! Every call must return text or a typed reason to skip within the time limit (no panic may
//! escape), and the chunks of every text must keep the chunker's invariants
//! (`ledge_index::fuzz::check_chunks`). An input that breaks this is written to a temporary
//! folder whose path the failure names; commit it under `fuzz/crashers/` with a regression
//! test below. The cargo-fuzz project in `fuzz/` runs the same checks for much longer on a
//! nightly toolchain.

use std::io::{Read, Write};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ledge_index::fuzz::{check_chunks, chunk, extract};
use ledge_index::{ChunkConfig, Error, Kind, SkipReason, read_document};

/// The PDF time limit inside the loop (a scan allows 60 s).
const PDF_LIMIT: Duration = Duration::from_secs(2);
/// The most one call may take: the PDF limit, its outer guard and slack for a busy machine.
const CALL_LIMIT: Duration = Duration::from_secs(15);
/// Per target: at most this many mutated inputs, and at most this long. `LEDGE_FUZZ_SECONDS`
/// lifts both for a longer hunt (`LEDGE_FUZZ_SECONDS=600 cargo test --release -p ledge-index
/// --test it fuzz::mutated`).
const ITERATIONS: usize = 3000;
const BUDGET: Duration = Duration::from_secs(4);

fn limits() -> (usize, Duration) {
    match std::env::var("LEDGE_FUZZ_SECONDS").map(|s| s.parse::<u64>()) {
        Ok(Ok(seconds)) => (usize::MAX, Duration::from_secs(seconds)),
        _ => (ITERATIONS, BUDGET),
    }
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The seeds of one target, sorted by name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> =
        std::fs::read_dir(fuzz_dir().join("corpus").join(target))
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds for {target}");
    seeds
}

/// splitmix64, seeded: the same inputs on every run.
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

const INTERESTING: &[&[u8]] = &[
    b"\0",
    b"\xff",
    b"<",
    b">",
    b"{",
    b"}",
    b"\\",
    b"(",
    b")",
    b"\n",
    b"\r",
    b"#",
    b"&#",
    b"]",
    b"<w:p>",
    b"</w:p>",
    b"<h1>",
    b"\\u-1",
    b"\\'",
    b"\\bin",
    b"obj",
    b"endobj",
    b"stream",
    b"R",
    b"0 0 R",
    b"\xc3",
    b"\xe2\x82",
    b"\n# ",
    b"\n```",
    b"\x0c",
];

/// One to four mutations of `input`, with `other` (another seed) for splices.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        match rng.below(7) {
            0 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                data[at] = rng.next() as u8;
            }
            2 => {
                let at = rng.below(len + 1);
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                data.splice(at..at, piece.iter().copied());
            }
            3 if len > 0 => data.truncate(rng.below(len)),
            4 if !other.is_empty() => {
                let from = rng.below(other.len());
                let to = from + rng.below(other.len() - from + 1);
                let at = rng.below(len + 1);
                data.splice(at..at, other[from..to].iter().copied());
            }
            5 if len > 0 => {
                let from = rng.below(len);
                let to = (from + 1 + rng.below(64)).min(len);
                data.drain(from..to);
            }
            _ if len > 0 => {
                // Repeat a piece of the input many times (nesting, long runs).
                let from = rng.below(len);
                let to = (from + 1 + rng.below(16)).min(len);
                let piece = data[from..to].to_vec();
                let at = rng.below(len + 1);
                for _ in 0..1 + rng.below(200) {
                    data.splice(at..at, piece.iter().copied());
                }
            }
            _ => data.extend_from_slice(b"x"),
        }
    }
    data
}

/// The entries of a zip package, or `None` when it does not open.
fn unzip(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).ok()?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).ok()?;
        entries.push((file.name().to_owned(), data));
    }
    Some(entries)
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A mutation of one part inside a zip package, re-packed: reaches the XML parsers, which
/// byte mutations of the compressed archive rarely do.
fn mutate_inside(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let Some(mut entries) = unzip(input) else {
        return mutate(rng, input, other);
    };
    if entries.is_empty() {
        return mutate(rng, input, other);
    }
    let which = rng.below(entries.len());
    let donor = unzip(other)
        .and_then(|e| e.into_iter().next())
        .map(|(_, data)| data)
        .unwrap_or_default();
    entries[which].1 = mutate(rng, &entries[which].1, &donor);
    if rng.below(8) == 0 {
        let name = &mut entries[which].0;
        *name = String::from_utf8_lossy(&mutate(rng, name.as_bytes(), b"../")).into_owned();
    }
    rezip(&entries)
}

fn kind_of(target: &str, seed_name: &str) -> Option<Kind> {
    match target {
        "pdf" => Some(Kind::Pdf),
        "rtf" => Some(Kind::Rtf),
        "html" => Some(Kind::Html),
        "zip" if seed_name.ends_with(".epub") => Some(Kind::Epub),
        "zip" => Some(Kind::Docx),
        _ => None,
    }
}

/// Pages of a text for the chunker target: the stretches between form feeds.
fn pages_of(text: &str) -> Vec<Range<usize>> {
    if !text.contains('\u{c}') {
        return Vec::new();
    }
    let mut pages = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices('\u{c}') {
        pages.push(start..at);
        start = at + 1;
    }
    pages.push(start..text.len());
    pages
}

/// Where a failing input is written, so the failure can be replayed and committed.
fn keep(target: &str, input: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join("ledge-fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{target}-{}",
        fnv_hex(input).get(..16).unwrap_or_default()
    ));
    std::fs::write(&path, input).unwrap();
    path
}

fn fnv_hex(input: &[u8]) -> String {
    // A tiny FNV-1a hash is enough to name a file; no extra dependency.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in input {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Runs one input through the target; `Err` describes a broken promise.
fn run_one(
    target: &str,
    kind: Option<Kind>,
    input: &[u8],
    config: ChunkConfig,
) -> Result<(), String> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        if target == "chunk" {
            let text = String::from_utf8_lossy(input);
            let pages = pages_of(&text);
            for kind in [Kind::Markdown, Kind::Plain, Kind::Html, Kind::Pdf] {
                let pages = if kind == Kind::Pdf {
                    pages.as_slice()
                } else {
                    &[]
                };
                let chunks = chunk(&text, kind, pages, config);
                check_chunks(&text, pages, &chunks, config)
                    .map_err(|broken| format!("as {kind:?}: {broken}"))?;
            }
            return Ok(());
        }
        match extract(kind, input, PDF_LIMIT, config) {
            Ok(output) => check_chunks(&output.text, &output.pages, &output.chunks, config),
            Err(_reason) => Ok(()),
        }
    }));
    let elapsed = started.elapsed();
    match outcome {
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("panicked: {message}"))
        }
        Ok(Err(broken)) => Err(broken),
        Ok(Ok(())) if elapsed > CALL_LIMIT => Err(format!("took {elapsed:?}")),
        Ok(Ok(())) => Ok(()),
    }
}

/// The mutation loop of one target; returns (inputs run, slowest call).
fn mutation_loop(target: &str, seed: u64) -> (usize, Duration) {
    let seeds = seeds(target);
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut runs = 0;
    let (iterations, budget) = limits();
    while runs < iterations && started.elapsed() < budget {
        let (name, base) = &seeds[rng.below(seeds.len())];
        let (_, other) = &seeds[rng.below(seeds.len())];
        let input = if target == "zip" && rng.below(2) == 0 {
            mutate_inside(&mut rng, base, other)
        } else {
            mutate(&mut rng, base, other)
        };
        // Sometimes no kind: sniffed from the bytes, as for a file without an extension.
        let kind = if rng.below(4) == 0 {
            None
        } else {
            kind_of(target, name)
        };
        let config = ChunkConfig {
            target_bytes: 16 + rng.below(1200),
            max_bytes: 0,
        };
        let config = ChunkConfig {
            max_bytes: config.target_bytes + 1 + rng.below(1200),
            ..config
        };
        let call = Instant::now();
        if let Err(broken) = run_one(target, kind, &input, config) {
            let path = keep(target, &input);
            panic!(
                "{target}: mutation {runs} of seed {name} (kind {kind:?}, {config:?}) {broken}; \
                 input kept at {}",
                path.display()
            );
        }
        slowest = slowest.max(call.elapsed());
        runs += 1;
    }
    (runs, slowest)
}

#[test]
fn seeds_go_through_read_document_without_escaping_panics() {
    let temp = tempfile::tempdir().unwrap();
    for target in ["pdf", "zip", "rtf", "html", "chunk"] {
        for (name, bytes) in seeds(target) {
            let path = temp.path().join(&name);
            std::fs::write(&path, &bytes).unwrap();
            let outcome = catch_unwind(|| read_document(&path, &ChunkConfig::default()));
            match outcome {
                Err(_) => panic!("{target}/{name}: read_document panicked"),
                Ok(Ok(document)) => {
                    let pages: Vec<Range<usize>> = Vec::new();
                    // read_document keeps no page ranges; check the rest.
                    let unpaged: Vec<_> = document
                        .chunks
                        .iter()
                        .cloned()
                        .map(|mut c| {
                            c.page = None;
                            c
                        })
                        .collect();
                    check_chunks(&document.text, &pages, &unpaged, ChunkConfig::default())
                        .unwrap_or_else(|e| panic!("{target}/{name}: {e}"));
                }
                Ok(Err(Error::Skipped { .. })) => {}
                Ok(Err(other)) => panic!("{target}/{name}: not a reason to skip: {other}"),
            }
        }
    }
}

#[test]
fn valid_seeds_give_their_text() {
    let config = ChunkConfig::default();
    let text = |target: &str, name: &str| {
        let bytes = std::fs::read(fuzz_dir().join("corpus").join(target).join(name)).unwrap();
        extract(kind_of(target, name), &bytes, PDF_LIMIT, config).map(|o| o.text)
    };
    assert!(
        text("pdf", "two-pages.pdf")
            .unwrap()
            .contains("Hello from page one")
    );
    assert!(
        text("zip", "small.docx")
            .unwrap()
            .contains("# Fuzzing notes")
    );
    assert!(text("zip", "small.epub").unwrap().contains("dark night"));
    assert!(text("rtf", "hello.rtf").unwrap().contains("Café"));
}

macro_rules! mutation_test {
    ($name:ident, $target:literal, $seed:literal) => {
        #[test]
        fn $name() {
            let (runs, slowest) = mutation_loop($target, $seed);
            eprintln!(
                "{}: {runs} mutated inputs, slowest call {slowest:?}",
                $target
            );
            assert!(
                runs >= 50,
                "{}: only {runs} inputs in the time budget",
                $target
            );
        }
    };
}

mutation_test!(mutated_pdfs, "pdf", 1);
mutation_test!(mutated_zip_packages, "zip", 2);
mutation_test!(mutated_rtf, "rtf", 3);
mutation_test!(mutated_html, "html", 4);
mutation_test!(mutated_text_through_the_chunker, "chunk", 5);

/// Inputs the mutation loop found, kept in `fuzz/crashers/` (see its README).
fn crasher(name: &str) -> Vec<u8> {
    std::fs::read(fuzz_dir().join("crashers").join(name)).unwrap()
}

#[test]
fn regression_consecutive_and_long_headings_stay_within_max_bytes() {
    // Many short headings in a row shared one ever-growing chunk; a heading line longer than
    // max_bytes made one chunk of its own past the limit.
    let config = ChunkConfig {
        target_bytes: 277,
        max_bytes: 403,
    };
    let text = String::from_utf8_lossy(&crasher("chunk-consecutive-headings-past-max-bytes.md"))
        .into_owned();
    for kind in [Kind::Markdown, Kind::Html] {
        check_chunks(&text, &[], &chunk(&text, kind, &[], config), config).unwrap();
    }
    let config = ChunkConfig {
        target_bytes: 21,
        max_bytes: 461,
    };
    let epub = crasher("zip-long-heading-past-max-bytes.epub");
    let output = extract(Some(Kind::Epub), &epub, PDF_LIMIT, config).unwrap();
    check_chunks(&output.text, &output.pages, &output.chunks, config).unwrap();
    // The heading path keeps a bounded prefix of an overlong heading.
    assert!(output.chunks.iter().all(|c| c.heading.len() < 600));
}

#[test]
fn regression_deeply_nested_html_is_extracted_quickly() {
    // 16,000 unclosed `<ul><li>` (128 kB) took 17 s in html2text (release build); now it is
    // stripped of its tags instead. Generous bound: the debug build on a busy machine.
    let html = crasher("html-deep-unclosed-lists.html");
    let started = Instant::now();
    let output = extract(Some(Kind::Html), &html, PDF_LIMIT, ChunkConfig::default()).unwrap();
    assert!(output.text.contains("deep"));
    assert!(
        started.elapsed() < CALL_LIMIT,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn regression_a_page_tree_that_loops_is_refused_before_the_parser_walks_it() {
    // Found by cargo-fuzz: page 1's /Parent is page 1 itself, and it has no MediaBox, so
    // pdf-extract looked for an inherited one up the chain forever (a core spinning until the
    // app quits; a stack overflow in a debug build). The page tree is now checked first.
    let pdf = crasher("pdf-page-is-its-own-parent.pdf");
    let started = Instant::now();
    match extract(Some(Kind::Pdf), &pdf, PDF_LIMIT, ChunkConfig::default()) {
        Err(SkipReason::Malformed { detail, .. }) => {
            assert!(detail.contains("page tree"), "{detail}");
        }
        other => panic!("{:?}", other.map(|output| output.text)),
    }
    // Refused, not timed out: well inside the PDF time limit.
    assert!(
        started.elapsed() < PDF_LIMIT,
        "took {:?}",
        started.elapsed()
    );

    // With the loop cut (page 1's parent is the page tree again) the check lets it through
    // (its mutated pages then give no text, which is another matter).
    let at = pdf.windows(13).position(|w| w == b"/Parent 3 0 R").unwrap();
    let mut fixed = pdf.clone();
    fixed[at + 8] = b'2'; // same length: the offsets in the file stay right
    let output = extract(Some(Kind::Pdf), &fixed, PDF_LIMIT, ChunkConfig::default());
    assert!(
        !matches!(&output, Err(SkipReason::Malformed { detail, .. }) if detail.contains("page tree")),
        "{:?}",
        output.map(|o| o.text)
    );
}
