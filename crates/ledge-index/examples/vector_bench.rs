//! Measures vector search over many chunks: builds an index of generated documents (one chunk
//! per paragraph), embeds every chunk with a hashed bag of words (384 dimensions, the size of
//! small sentence embedders), and times searches.
//!
//! `cargo run --release -p ledge-index --example vector_bench -- [chunks] [dims]`

use std::error::Error;
use std::fmt::Write as _;
use std::time::Instant;

use ledge_index::{CancelToken, ChunkConfig, ChunkEmbedder, Index, IndexOptions};

struct Hashed(usize);

fn embed_one(text: &str, dims: usize) -> Vec<f32> {
    let mut vector = vec![0.0f32; dims];
    for word in text.split_whitespace() {
        let hash = word.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        vector[(hash % dims as u64) as usize] += 1.0;
    }
    vector
}

impl ChunkEmbedder for Hashed {
    fn model_id(&self) -> &str {
        "hashed-bench"
    }
    fn dimensions(&self) -> usize {
        self.0
    }
    fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Box<dyn Error + Send + Sync>> {
        Ok(texts.iter().map(|t| embed_one(t, self.0)).collect())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let chunks: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let dims: usize = args.next().map_or(Ok(384), |a| a.parse())?;
    let temp = tempfile::tempdir()?;
    let docs = temp.path().join("docs");
    std::fs::create_dir_all(&docs)?;

    // Deterministic pseudo-random paragraphs of words from a 5,000-word vocabulary.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let per_file = 50;
    for file in 0..chunks.div_ceil(per_file) {
        let mut text = String::new();
        for _ in 0..per_file {
            for _ in 0..20 {
                write!(text, "w{} ", next() % 5000)?;
            }
            text.push_str("\n\n");
        }
        std::fs::write(docs.join(format!("doc{file:05}.txt")), text)?;
    }

    let mut index = Index::open(&temp.path().join("index"))?;
    index.set_chunking(ChunkConfig {
        target_bytes: 64,
        max_bytes: 512,
    });
    let started = Instant::now();
    index.add_folder(
        &docs,
        &IndexOptions::default(),
        &mut |_| {},
        &CancelToken::new(),
    )?;
    println!(
        "indexed {} chunks in {:.1} s",
        index.status()?.chunks,
        started.elapsed().as_secs_f64()
    );

    let mut embedder = Hashed(dims);
    let started = Instant::now();
    let report = index.embed_pending(&mut embedder, 256, &mut |_| {}, &CancelToken::new())?;
    println!(
        "embedded {} chunks ({dims} dims) in {:.1} s",
        report.embedded,
        started.elapsed().as_secs_f64()
    );

    let query = embed_one("w1 w2 w3 w4 w5 w6 w7 w8", dims);
    let started = Instant::now();
    let hits = index.vector_search("hashed-bench", &query, 10)?;
    println!(
        "first search (loads the vectors): {:.1} ms, {} hits",
        started.elapsed().as_secs_f64() * 1e3,
        hits.len()
    );
    let rounds = 20;
    let started = Instant::now();
    for _ in 0..rounds {
        index.vector_search("hashed-bench", &query, 10)?;
    }
    println!(
        "warm search over {} vectors: {:.2} ms",
        report.done,
        started.elapsed().as_secs_f64() * 1e3 / f64::from(rounds)
    );
    let files: Vec<_> = (0..10)
        .map(|i| {
            docs.canonicalize()
                .map(|d| d.join(format!("doc{i:05}.txt")))
        })
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    for _ in 0..rounds {
        index.vector_search_in("hashed-bench", &query, &files, 10)?;
    }
    println!(
        "search restricted to 10 files: {:.2} ms",
        started.elapsed().as_secs_f64() * 1e3 / f64::from(rounds)
    );
    Ok(())
}
