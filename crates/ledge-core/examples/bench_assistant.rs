//! Retrieval quality and end-to-end latency of the assistant over a real corpus: Debian's
//! licence texts (/usr/share/common-licenses, on every Debian system).
//!
//! Run in release: `cargo run --release -p ledge-core --example bench_assistant [MODELS_DIR]`
//! (MODELS_DIR holds an imported chat model and all-MiniLM-L6-v2; without it, the repository's
//! test models are imported into a temporary folder). Prints recall@5 and MRR (by file) for
//! BM25 alone, vectors alone and hybrid, then question → first token and total times with a
//! warm model, and how often the answer cites a passage of the right file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is a failure report

use std::path::{Path, PathBuf};
use std::time::Instant;

use ledge_core::embedding::EmbeddingModel;
use ledge_core::retrieve::{Mode, QueryEmbedder, RetrievalSettings, retrieve};
use ledge_core::{
    AskRequest, Assistant, AssistantSettings, DataDir, DataDirSource, EmbedderChoice, OpenOptions,
};
use ledge_index::{CancelToken, Index, IndexOptions};
use ledge_llm::generate::CancelToken as GenerationCancel;
use ledge_llm::import::{ImportOptions, import_folder, import_gguf};

/// Questions in the reader's words, and the files whose text answers them.
const QUESTIONS: &[(&str, &[&str])] = &[
    (
        "If I file a patent lawsuit claiming the Work infringes, what happens to my patent license?",
        &["Apache-2.0"],
    ),
    (
        "Can I charge a reasonable fee for copying the Package?",
        &["Artistic"],
    ),
    (
        "May the name of the University be used to endorse products derived from the software?",
        &["BSD"],
    ),
    (
        "Does the Affirmer waive copyright and related rights in the work?",
        &["CC0-1.0"],
    ),
    (
        "What are Invariant Sections and Cover Texts?",
        &["GFDL-1.2", "GFDL-1.3"],
    ),
    (
        "What Installation Information must be provided with a User Product?",
        &["GPL-3"],
    ),
    (
        "How does the license treat laws against circumventing technological measures?",
        &["GPL-3"],
    ),
    (
        "Must object code be accompanied by a written offer valid for three years?",
        &["GPL-2", "GPL-1"],
    ),
    (
        "Can I distribute a work that uses the Library under terms of my choice?",
        &["LGPL-2", "LGPL-2.1"],
    ),
    (
        "What is a Combined Work and the Minimal Corresponding Source?",
        &["LGPL-3"],
    ),
    (
        "Can I distribute a Larger Work under terms of my own choice?",
        &["MPL-2.0"],
    ),
    (
        "What notice does Exhibit A ask to put in each source code file?",
        &["MPL-1.1", "MPL-2.0"],
    ),
    (
        "Do I have to include the NOTICE text file when I redistribute?",
        &["Apache-2.0"],
    ),
    (
        "How long do I have to cure a violation after being notified before my license ends?",
        &["GPL-3"],
    ),
    (
        "Can this Package be included in a commercial distribution or aggregated with other software?",
        &["Artistic"],
    ),
    (
        "Is there a fallback public license if the waiver is not effective?",
        &["CC0-1.0"],
    ),
    (
        "What makes a copy of the document Transparent rather than Opaque?",
        &["GFDL-1.2", "GFDL-1.3"],
    ),
    (
        "Does the license grant permission to use the Licensor's trademarks?",
        &["Apache-2.0"],
    ),
    (
        "What if a court judgment imposes conditions that contradict this license?",
        &["GPL-2", "LGPL-2", "LGPL-2.1"],
    ),
    (
        "If I fix my non-compliance, are my rights reinstated?",
        &["MPL-2.0", "GPL-3"],
    ),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rank_of(paths: &[PathBuf], expected: &[&str]) -> Option<usize> {
    paths
        .iter()
        .position(|p| {
            p.file_name()
                .is_some_and(|n| expected.iter().any(|e| n == *e))
        })
        .map(|r| r + 1)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    ledge_llm::Runtime::init().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let models = match std::env::args().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = temp.path().join("models");
            let gguf = repo().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
            let options = ImportOptions {
                name: Some("smollm2".into()),
                ..ImportOptions::default()
            };
            import_gguf(&gguf, &dir, &options, |_| {}).unwrap();
            import_folder(&repo().join("models/all-MiniLM-L6-v2"), &dir, None, |_| {}).unwrap();
            dir
        }
    };
    let data_dir = DataDir::open(temp.path().join("home"), DataDirSource::LedgeHome).unwrap();
    let corpus = Path::new("/usr/share/common-licenses");

    let started = Instant::now();
    let mut index = Index::open(&data_dir.index_dir()).unwrap();
    let report = index
        .add_folder(
            corpus,
            &IndexOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )
        .unwrap();
    let indexed = started.elapsed();
    let mut embedder = EmbeddingModel::load(&models.join("all-MiniLM-L6-v2")).unwrap();
    let started = Instant::now();
    let embedded = index
        .embed_pending(&mut embedder, 32, &mut |_| {}, &CancelToken::new())
        .unwrap();
    let embedding = started.elapsed();
    println!(
        "corpus: {} files, {} chunks; indexed in {:.2} s, {} passages embedded in {:.1} s ({:.1}/s)",
        report.indexed,
        report.chunks_added,
        indexed.as_secs_f64(),
        embedded.embedded,
        embedding.as_secs_f64(),
        embedded.embedded as f64 / embedding.as_secs_f64()
    );

    println!("\nretrieval over {} questions (by file)", QUESTIONS.len());
    println!(
        "{:<8} {:>9} {:>7} {:>10}",
        "mode", "recall@5", "MRR", "p50 ms"
    );
    for mode in [Mode::Lexical, Mode::Dense, Mode::Hybrid] {
        let settings = RetrievalSettings {
            mode,
            ..RetrievalSettings::default()
        };
        let (mut hits, mut reciprocal, mut times) = (0, 0.0, Vec::new());
        for (question, expected) in QUESTIONS {
            let started = Instant::now();
            let embedder: Option<&mut dyn QueryEmbedder> = Some(&mut embedder);
            let retrieval = retrieve(&index, embedder, question, &settings).unwrap();
            times.push(started.elapsed().as_secs_f64() * 1e3);
            let paths: Vec<PathBuf> = retrieval
                .passages
                .iter()
                .map(|p| p.chunk.path.clone())
                .collect();
            if let Some(rank) = rank_of(&paths, expected) {
                reciprocal += 1.0 / rank as f64;
                if rank <= 5 {
                    hits += 1;
                }
            }
        }
        times.sort_by(f64::total_cmp);
        let n = QUESTIONS.len() as f64;
        println!(
            "{:<8} {:>9.2} {:>7.3} {:>10.1}",
            format!("{mode:?}").to_lowercase(),
            hits as f64 / n,
            reciprocal / n,
            percentile(&times, 0.5)
        );
    }
    drop(index);
    drop(embedder);

    let assistant = Assistant::open(
        &data_dir,
        vec![models.clone()],
        OpenOptions {
            chat_model: None,
            embedder: EmbedderChoice::Auto,
            settings: AssistantSettings {
                answer_tokens: 64,
                ..AssistantSettings::default()
            },
        },
        &mut |_| {},
    )
    .unwrap();
    println!(
        "\nanswers with {} (64 tokens at most, warm model, new conversation each)",
        assistant.model_name()
    );
    // Warm-up: the first question pays for lazy initialisation.
    let warm = AskRequest {
        question: QUESTIONS[0].0.into(),
        ..AskRequest::default()
    };
    assistant
        .ask(&warm, &GenerationCancel::new(), &mut |_| {})
        .unwrap();
    let (mut first, mut total, mut cited_right, mut cited_any) = (Vec::new(), Vec::new(), 0, 0);
    let mut prompt_tokens = 0;
    for (question, expected) in QUESTIONS {
        let request = AskRequest {
            question: (*question).into(),
            ..AskRequest::default()
        };
        let answer = assistant
            .ask(&request, &GenerationCancel::new(), &mut |_| {})
            .unwrap();
        first.push(answer.stats.time_to_first_token_ms);
        total.push(answer.stats.total_ms);
        prompt_tokens += answer.stats.prompt_tokens;
        let cited: Vec<PathBuf> = answer
            .sources
            .iter()
            .filter(|s| s.cited)
            .map(|s| s.path.clone())
            .collect();
        if !cited.is_empty() {
            cited_any += 1;
        }
        if rank_of(&cited, expected).is_some() {
            cited_right += 1;
        }
    }
    first.sort_by(f64::total_cmp);
    total.sort_by(f64::total_cmp);
    let n = QUESTIONS.len();
    println!(
        "question → first token: p50 {:.0} ms, p95 {:.0} ms; whole answer: p50 {:.0} ms, p95 {:.0} ms; mean prompt {} tokens",
        percentile(&first, 0.5),
        percentile(&first, 0.95),
        percentile(&total, 0.5),
        percentile(&total, 0.95),
        prompt_tokens / n
    );
    println!(
        "answers citing anything: {cited_any}/{n}; citing a passage of the right file: {cited_right}/{n}"
    );
}
