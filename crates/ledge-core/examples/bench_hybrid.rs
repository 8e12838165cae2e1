//! Query latency of search by words and of hybrid search (the question's embedding included)
//! over a large folder: the retrieval issue's "query p99 within 20 ms for BM25 and 60 ms for
//! hybrid on the 1.3 GB mixed corpus".
//!
//! ```text
//! cargo run --release -p ledge-core --example bench_hybrid -- \
//!     --models DIR --dir FOLDER --home DIR [--sample N] [--rounds N]
//! ```
//!
//! `scripts/bench-hybrid.sh` assembles the mixed corpus and runs it. The folder is indexed
//! into `--home` (kept: a rerun only checks for changes). Embedding all of its passages would
//! take the embedder about eleven hours on 2 cores, so the vectors are **stand-ins**: the first
//! `--sample` passages are embedded for real, and every other passage gets a copy of one of
//! those vectors (picked by a hash of its text) with Gaussian noise added (about cosine 0.8 to
//! the copied one), stored under the real model's id. A search scans the same number of
//! vectors of the same size, and the cosines it sees are spread like real ones, so the time is
//! what a fully embedded folder costs; what the results say about relevance means nothing.
//! The queries are the answer benchmark's 95 questions (`tests/questions/manuals.json`),
//! asked `--rounds` times in order, each through `ledge_core::retrieve` with the assistant's
//! settings (what a question in the app pays before the model): BM25 alone, then hybrid with
//! the real embedder turning each question into a vector.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is a failure report

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Instant;

use ledge_core::embedding::EmbeddingModel;
use ledge_core::retrieve::{Mode, QueryEmbedder, RetrievalSettings, retrieve};
use ledge_index::{CancelToken, ChunkEmbedder, Index, IndexOptions};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Question {
    question: String,
}

struct Args {
    models: PathBuf,
    dir: PathBuf,
    home: PathBuf,
    sample: usize,
    rounds: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        models: PathBuf::new(),
        dir: PathBuf::new(),
        home: PathBuf::new(),
        sample: 1024,
        rounds: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--models" => args.models = PathBuf::from(value()),
            "--dir" => args.dir = PathBuf::from(value()),
            "--home" => args.home = PathBuf::from(value()),
            "--sample" => args.sample = value().parse().unwrap(),
            "--rounds" => args.rounds = value().parse().unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(
        !args.models.as_os_str().is_empty()
            && !args.dir.as_os_str().is_empty()
            && !args.home.as_os_str().is_empty(),
        "usage: bench_hybrid --models DIR --dir FOLDER --home DIR [--sample N] [--rounds N]"
    );
    args
}

/// Real vectors for the first passages, noisy copies of them for the rest (module docs).
struct StandIn<'a> {
    real: &'a mut EmbeddingModel,
    sample: usize,
    vectors: Vec<Vec<f32>>,
    /// State of a small xorshift generator for the noise (no dependency for a benchmark).
    noise: u64,
}

impl StandIn<'_> {
    fn gaussian(&mut self) -> f32 {
        // Sum of four uniforms, centred and scaled to unit variance: close enough to a
        // Gaussian for noise.
        let mut sum = 0.0f32;
        for _ in 0..4 {
            self.noise ^= self.noise << 13;
            self.noise ^= self.noise >> 7;
            self.noise ^= self.noise << 17;
            sum += (self.noise >> 40) as f32 / (1u64 << 24) as f32;
        }
        (sum - 2.0) * 3f32.sqrt()
    }
}

impl ChunkEmbedder for StandIn<'_> {
    fn model_id(&self) -> &str {
        ChunkEmbedder::model_id(self.real)
    }

    fn dimensions(&self) -> usize {
        self.real.dimensions()
    }

    fn embed(
        &mut self,
        texts: &[&str],
    ) -> Result<Vec<Vec<f32>>, Box<dyn std::error::Error + Send + Sync>> {
        if self.vectors.len() < self.sample {
            let vectors = ChunkEmbedder::embed(self.real, texts)?;
            self.vectors.extend(vectors.iter().cloned());
            return Ok(vectors);
        }
        // Noise of norm about 0.75 against a unit vector: cosine about 0.8 to the copy.
        let sd = 0.75 / (self.dimensions() as f32).sqrt();
        let mut out = Vec::with_capacity(texts.len());
        for text in texts {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut hasher);
            let pick = (hasher.finish() % self.vectors.len() as u64) as usize;
            let mut vector = self.vectors[pick].clone();
            for x in &mut vector {
                *x += sd * self.gaussian();
            }
            let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
            vector.iter_mut().for_each(|x| *x /= norm);
            out.push(vector);
        }
        Ok(out)
    }

    fn chunk_texts(
        &mut self,
        heading: &str,
        text: &str,
    ) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
        self.real.chunk_texts(heading, text)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let args = parse_args();
    ledge_core::log_parser_panics();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let questions: Vec<Question> = serde_json::from_str(
        &std::fs::read_to_string(repo.join("tests/questions/manuals.json")).unwrap(),
    )
    .unwrap();
    ledge_llm::Runtime::init().unwrap();
    std::fs::create_dir_all(&args.home).unwrap();

    let started = Instant::now();
    let mut index = Index::open(&args.home.join("index")).unwrap();
    let report = index
        .add_folder(
            &args.dir,
            &IndexOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )
        .unwrap();
    println!(
        "# Hybrid query latency over {} ({} files read now, index ready in {:.1} s)",
        args.dir.display(),
        report.indexed,
        started.elapsed().as_secs_f64()
    );

    let mut embedder = EmbeddingModel::load(&args.models.join("all-MiniLM-L6-v2")).unwrap();
    let started = Instant::now();
    let mut shown = 0;
    let embedded = {
        let mut stand_in = StandIn {
            real: &mut embedder,
            sample: args.sample,
            vectors: Vec::new(),
            noise: 0x9E37_79B9_7F4A_7C15,
        };
        index
            .embed_pending(
                &mut stand_in,
                64,
                &mut |progress| {
                    if progress.done >= shown + 50_000 || progress.done == progress.total {
                        shown = progress.done;
                        eprintln!(
                            "vectors: {} of {} passages, {:.0} s",
                            progress.done,
                            progress.total,
                            started.elapsed().as_secs_f64()
                        );
                    }
                },
                &CancelToken::new(),
            )
            .unwrap()
    };
    println!(
        "# {} passages, every one with a vector ({} stored now in {:.0} s; the first {} of a fresh index embedded for real, the rest stand-ins)",
        embedded.total,
        embedded.embedded,
        started.elapsed().as_secs_f64(),
        args.sample
    );

    println!(
        "\n| search ({} questions x {} rounds) | first query ms | p50 ms | p95 ms | p99 ms | max ms |",
        questions.len(),
        args.rounds
    );
    println!("|---|---|---|---|---|---|");
    for (label, mode) in [
        ("BM25 (retrieve, words only)", Mode::Lexical),
        ("hybrid (question embedded + BM25 + vectors)", Mode::Hybrid),
    ] {
        let settings = RetrievalSettings {
            mode,
            ..RetrievalSettings::default()
        };
        let mut times = Vec::new();
        let mut first = None;
        let mut used_vectors = 0;
        for _ in 0..args.rounds {
            for question in &questions {
                let started = Instant::now();
                let query_embedder =
                    (mode == Mode::Hybrid).then_some(&mut embedder as &mut dyn QueryEmbedder);
                let retrieval =
                    retrieve(&index, query_embedder, &question.question, &settings).unwrap();
                let ms = started.elapsed().as_secs_f64() * 1e3;
                used_vectors += usize::from(retrieval.used_vectors);
                if first.is_none() {
                    // Loads the vector matrix (hybrid) or warms the reader; reported apart.
                    first = Some(ms);
                } else {
                    times.push(ms);
                }
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {label} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            first.unwrap_or_default(),
            percentile(&times, 50.0),
            percentile(&times, 95.0),
            percentile(&times, 99.0),
            times.last().copied().unwrap_or_default()
        );
        if mode == Mode::Hybrid {
            assert_eq!(
                used_vectors,
                questions.len() * args.rounds,
                "hybrid search did not use the vectors"
            );
        }
    }

    // The parts of a hybrid query, measured apart over one round.
    let mut embed_ms = Vec::new();
    let mut scan_ms = Vec::new();
    for question in &questions {
        let started = Instant::now();
        let vector = embedder.embed_query(&question.question).unwrap();
        embed_ms.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let hits = index
            .vector_search(QueryEmbedder::model_id(&embedder), &vector, 30)
            .unwrap();
        scan_ms.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(!hits.is_empty());
    }
    embed_ms.sort_by(f64::total_cmp);
    scan_ms.sort_by(f64::total_cmp);
    println!(
        "\nparts of a hybrid query, p50 / p99 ms: the question's embedding {:.1} / {:.1}, the vector search (top 30) {:.1} / {:.1}",
        percentile(&embed_ms, 50.0),
        percentile(&embed_ms, 99.0),
        percentile(&scan_ms, 50.0),
        percentile(&scan_ms, 99.0)
    );
}
