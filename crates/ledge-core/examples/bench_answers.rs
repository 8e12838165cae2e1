//! The answer benchmark over real manuals: the question set in `tests/questions/manuals.json`
//! (Python and PostgreSQL HTML manuals, TeX Live's PDF manuals; paraphrased questions, each
//! with the files that answer it and a pattern a correct answer matches).
//!
//! Run in release (`scripts/bench-answers.sh` does, after installing the corpora):
//!
//! ```text
//! cargo run --release -p ledge-core --example bench_answers -- \
//!     --models DIR [--model NAME]... [--split test|dev|all] [--home DIR] [--vectors]
//!     [--dense-weights W,W,...] [--fusions rrf60,rrf10,relative] [--windows N]
//!     [--answer-tokens N] [--first-token-ms MS] [--only ID,ID...] [--verbose]
//! ```
//!
//! It indexes the three manuals into `--home` (kept, so a rerun only checks for changes),
//! then reports retrieval by file for BM25 (and, with `--vectors`, vectors and hybrid once
//! every passage is embedded: hours on 2 cores): recall@1/5/10, MRR, nDCG@10. For each
//! `--model` (a name in `--models`, or `none` for the extractive answer alone) it asks every
//! question in a new conversation and reports answer accuracy (the pattern matches the
//! answer), extractive-answer accuracy (it matches the quotes' text; "as shown": the quotes
//! as `ledge ask` prints them, each with its file's name and line), whether source 1 comes from
//! an answer file, citation precision (cited or Ledge-matched passages that come from an
//! answer file), the share of claims supported,
//! sentences shown neither cited nor marked, time to the extractive answer and to the first
//! token (p50/p95) and decode speed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is a failure report

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ledge_core::grounding::Support;
use ledge_core::retrieve::{Fusion, Mode, QueryEmbedder, RetrievalSettings, retrieve};
use ledge_core::{
    AskRequest, Assistant, AssistantSettings, DataDir, DataDirSource, EmbedderChoice, OpenOptions,
};
use ledge_index::{CancelToken, Index, IndexOptions};
use ledge_llm::generate::CancelToken as GenerationCancel;
use regex::Regex;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Question {
    id: String,
    split: String,
    corpus: String,
    question: String,
    answer_files: Vec<String>,
    answer_pattern: String,
}

/// Where each corpus of the question set lives (Debian's documentation packages).
fn corpus_root(corpus: &str) -> &'static Path {
    Path::new(match corpus {
        "python" => "/usr/share/doc/python3.11/html",
        "postgresql" => "/usr/share/doc/postgresql-doc-15/html",
        "texlive" => "/usr/share/doc/texlive-doc/latex",
        other => panic!("unknown corpus {other}"),
    })
}

struct Args {
    models: PathBuf,
    names: Vec<String>,
    split: String,
    /// Only these questions (by id; all when empty), for looking at a few closely.
    only: Vec<String>,
    home: PathBuf,
    vectors: bool,
    /// Hybrid is measured once per vector weight (the default one when empty).
    dense_weights: Vec<f32>,
    /// Hybrid is measured once per fusion and weight (the default fusion when empty).
    fusions: Vec<Fusion>,
    /// Vectors per chunk at most (the embedder's default when absent).
    windows: Option<usize>,
    answer_tokens: usize,
    /// The first-token target the prompt is sized for (the assistant's default when absent).
    first_token_ms: Option<u64>,
    /// Print each question's quotes and sources.
    verbose: bool,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parse_args() -> Args {
    let mut args = Args {
        models: repo().join(".deps/bench-answers-models"),
        names: Vec::new(),
        split: "test".into(),
        only: Vec::new(),
        home: repo().join(".deps/bench-answers-home"),
        vectors: false,
        dense_weights: Vec::new(),
        fusions: Vec::new(),
        windows: None,
        answer_tokens: 128,
        first_token_ms: None,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--models" => args.models = PathBuf::from(it.next().unwrap()),
            "--model" => args.names.push(it.next().unwrap()),
            "--split" => args.split = it.next().unwrap(),
            "--only" => args.only = it.next().unwrap().split(',').map(str::to_owned).collect(),
            "--home" => args.home = PathBuf::from(it.next().unwrap()),
            "--vectors" => args.vectors = true,
            "--dense-weights" => {
                args.dense_weights = it
                    .next()
                    .unwrap()
                    .split(',')
                    .map(|w| w.parse().unwrap())
                    .collect()
            }
            "--fusions" => {
                args.fusions = it
                    .next()
                    .unwrap()
                    .split(',')
                    .map(|f| match f.strip_prefix("rrf") {
                        Some(k) => Fusion::ReciprocalRank {
                            k: k.parse().unwrap(),
                        },
                        None if f == "relative" => Fusion::RelativeScore,
                        None => panic!("unknown fusion {f} (rrfK or relative)"),
                    })
                    .collect()
            }
            "--windows" => args.windows = Some(it.next().unwrap().parse().unwrap()),
            "--verbose" => args.verbose = true,
            "--answer-tokens" => args.answer_tokens = it.next().unwrap().parse().unwrap(),
            "--first-token-ms" => args.first_token_ms = Some(it.next().unwrap().parse().unwrap()),
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn answers_it(question: &Question, path: &Path) -> bool {
    let root = corpus_root(&question.corpus);
    question
        .answer_files
        .iter()
        .any(|file| path == root.join(file))
}

/// The rank (from 1) of the first passage from an answer file, over distinct files.
fn file_rank(question: &Question, paths: &[PathBuf]) -> Option<usize> {
    let mut seen: Vec<&PathBuf> = Vec::new();
    for path in paths {
        if !seen.contains(&path) {
            seen.push(path);
        }
        if answers_it(question, path) {
            return Some(seen.len());
        }
    }
    None
}

fn main() {
    let args = parse_args();
    let questions: Vec<Question> = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/questions/manuals.json")).unwrap(),
    )
    .unwrap();
    let questions: Vec<Question> = questions
        .into_iter()
        .filter(|q| args.split == "all" || q.split == args.split)
        .filter(|q| args.only.is_empty() || args.only.contains(&q.id))
        .collect();
    ledge_llm::Runtime::init().unwrap();
    std::fs::create_dir_all(&args.home).unwrap();
    let data_dir = DataDir::open(args.home.clone(), DataDirSource::LedgeHome).unwrap();

    // The three manuals, indexed (only what changed is read again on a rerun).
    let started = Instant::now();
    let mut index = Index::open(&data_dir.index_dir()).unwrap();
    let mut files = 0;
    for corpus in ["python", "postgresql", "texlive"] {
        let report = index
            .add_folder(
                corpus_root(corpus),
                &IndexOptions::default(),
                &mut |_| {},
                &CancelToken::new(),
            )
            .unwrap();
        files += report.indexed;
    }
    println!(
        "# Answer benchmark, {} questions ({} split); index of the three manuals ready in {:.1} s ({files} files read)",
        questions.len(),
        args.split,
        started.elapsed().as_secs_f64()
    );

    // Retrieval by file.
    let mut embedder = if args.vectors {
        let mut model =
            ledge_core::embedding::EmbeddingModel::load(&args.models.join("all-MiniLM-L6-v2"))
                .unwrap();
        if let Some(windows) = args.windows {
            model.set_max_windows(windows);
        }
        Some(model)
    } else {
        None
    };
    if let Some(embedder) = &mut embedder {
        let started = Instant::now();
        let mut shown = 0;
        let done = index
            .embed_pending(
                embedder,
                32,
                &mut |progress| {
                    if progress.done >= shown + 2_000 || progress.done == progress.total {
                        shown = progress.done;
                        eprintln!(
                            "embedding: {} of {} passages, {:.0} s",
                            progress.done,
                            progress.total,
                            started.elapsed().as_secs_f64()
                        );
                    }
                },
                &CancelToken::new(),
            )
            .unwrap();
        println!(
            "embedded {} passages in {:.0} s",
            done.embedded,
            started.elapsed().as_secs_f64()
        );
    }
    println!("\n| retrieval | recall@1 | recall@5 | recall@10 | MRR | nDCG@10 | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|---|---|");
    let base = RetrievalSettings {
        passages: 30,
        per_file: 1,
        ..RetrievalSettings::default()
    };
    let mut runs: Vec<(String, RetrievalSettings)> = vec![(
        "bm25".into(),
        RetrievalSettings {
            mode: Mode::Lexical,
            ..base.clone()
        },
    )];
    if embedder.is_some() {
        runs.push((
            "vectors".into(),
            RetrievalSettings {
                mode: Mode::Dense,
                ..base.clone()
            },
        ));
        let weights = if args.dense_weights.is_empty() {
            vec![base.dense_weight]
        } else {
            args.dense_weights.clone()
        };
        let fusions = if args.fusions.is_empty() {
            vec![base.fusion]
        } else {
            args.fusions.clone()
        };
        for fusion in fusions {
            for &dense_weight in &weights {
                let name = match fusion {
                    Fusion::ReciprocalRank { k } => format!("reciprocal rank k={k}"),
                    Fusion::RelativeScore => "relative score".to_owned(),
                };
                runs.push((
                    format!("hybrid, {name}, vector weight {dense_weight}"),
                    RetrievalSettings {
                        mode: Mode::Hybrid,
                        fusion,
                        dense_weight,
                        ..base.clone()
                    },
                ));
            }
        }
    }
    for (label, settings) in &runs {
        let mode = settings.mode;
        let (mut at1, mut at5, mut at10, mut mrr, mut ndcg) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut times = Vec::new();
        for question in &questions {
            let started = Instant::now();
            let query_embedder = embedder.as_mut().map(|e| e as &mut dyn QueryEmbedder);
            let retrieval = retrieve(&index, query_embedder, &question.question, settings).unwrap();
            times.push(started.elapsed().as_secs_f64() * 1e3);
            let paths: Vec<PathBuf> = retrieval
                .passages
                .iter()
                .map(|p| p.chunk.path.clone())
                .collect();
            let rank = file_rank(question, &paths);
            if args.verbose {
                let mut files: Vec<&Path> = Vec::new();
                for path in &paths {
                    if !files.contains(&path.as_path()) {
                        files.push(path);
                    }
                }
                let top: Vec<String> = files
                    .iter()
                    .take(3)
                    .map(|f| {
                        let root = corpus_root(&question.corpus);
                        f.strip_prefix(root).unwrap_or(f).display().to_string()
                    })
                    .collect();
                println!(
                    "{:?} {:8} rank {:>2}  want {:28} got {}",
                    mode,
                    question.id,
                    rank.map_or("-".to_owned(), |r| r.to_string()),
                    question.answer_files.join(","),
                    top.join(", ")
                );
            }
            if let Some(rank) = rank {
                at1 += f64::from(u8::from(rank <= 1));
                at5 += f64::from(u8::from(rank <= 5));
                at10 += f64::from(u8::from(rank <= 10));
                mrr += 1.0 / rank as f64;
                if rank <= 10 {
                    // One relevant file per question at most counts: ideal DCG is 1.
                    ndcg += 1.0 / (rank as f64 + 1.0).log2();
                }
            }
        }
        let n = questions.len() as f64;
        println!(
            "| {label} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {:.1} | {:.1} |",
            at1 / n,
            at5 / n,
            at10 / n,
            mrr / n,
            ndcg / n,
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    drop(index);
    drop(embedder);

    println!(
        "\n| model | answer acc. | extractive acc. | as shown | source 1 right | citation precision | claims supported | shown unmarked | quotes p50/p95 ms | first token p50/p95 ms | tok/s | prompt tokens |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let names = if args.names.is_empty() {
        vec!["none".to_owned()]
    } else {
        args.names.clone()
    };
    for name in names {
        let quotes_only = name == "none";
        let assistant = Assistant::open(
            &data_dir,
            if quotes_only {
                Vec::new()
            } else {
                vec![args.models.clone()]
            },
            OpenOptions {
                chat_model: (!quotes_only).then(|| name.clone()),
                // Quotes only sees no model folder (so no chat model is chosen): its embedder
                // is named by folder.
                embedder: match (args.vectors, quotes_only) {
                    (false, _) => EmbedderChoice::Off,
                    (true, false) => EmbedderChoice::Auto,
                    (true, true) => EmbedderChoice::Named(
                        args.models
                            .join("all-MiniLM-L6-v2")
                            .to_string_lossy()
                            .into_owned(),
                    ),
                },
                settings: {
                    let defaults = AssistantSettings::default();
                    AssistantSettings {
                        answer_tokens: args.answer_tokens,
                        first_token_target: args
                            .first_token_ms
                            .map_or(defaults.first_token_target, Duration::from_millis),
                        ..defaults
                    }
                },
            },
            &mut |_| {},
        )
        .unwrap();
        let (mut answer_ok, mut extractive_ok, mut first_right) = (0, 0, 0);
        let mut shown_ok = 0;
        let (mut cited, mut cited_right) = (0, 0);
        let (mut supported, mut claims, mut unmarked) = (0, 0, 0);
        let (mut quotes_ms, mut first_ms, mut rates, mut prompt_tokens) =
            (Vec::new(), Vec::new(), Vec::new(), 0);
        for question in &questions {
            let pattern = Regex::new(&question.answer_pattern).unwrap();
            let request = AskRequest {
                question: question.question.clone(),
                ..AskRequest::default()
            };
            let answer = assistant
                .ask(&request, &GenerationCancel::new(), &mut |_| {})
                .unwrap();
            let quotes: Vec<&str> = answer
                .grounding
                .quotes
                .iter()
                .map(|q| q.text.as_str())
                .collect();
            let quoted = pattern.is_match(&quotes.join(" "));
            // As a person sees the quotes: each with its file's name and line or page.
            let shown: Vec<String> = answer
                .grounding
                .quotes
                .iter()
                .map(|q| ledge_core::render::quote_line(q, &answer.sources))
                .collect();
            shown_ok += usize::from(pattern.is_match(&shown.join("\n")));
            let said = !quotes_only && pattern.is_match(&answer.text);
            extractive_ok += usize::from(quoted);
            first_right += usize::from(
                answer
                    .sources
                    .first()
                    .is_some_and(|s| answers_it(question, &s.path)),
            );
            answer_ok += usize::from(said);
            for source in answer.sources.iter().filter(|s| s.cited || s.matched) {
                cited += 1;
                cited_right += usize::from(answers_it(question, &source.path));
            }
            for sentence in &answer.grounding.sentences {
                match sentence.support {
                    Support::Supported => {
                        supported += 1;
                        claims += 1;
                        unmarked += usize::from(!sentence.is_cited());
                    }
                    Support::Unsupported => claims += 1,
                    Support::NoClaim => {}
                }
            }
            if args.verbose {
                eprintln!(
                    "{} [{}] {}",
                    question.id, question.answer_pattern, question.question
                );
                for source in &answer.sources {
                    let mark = if answers_it(question, &source.path) {
                        "*"
                    } else {
                        " "
                    };
                    eprintln!(
                        "  {mark}[{}] {}:{}",
                        source.n,
                        source.path.display(),
                        source.line_start
                    );
                }
                for quote in &answer.grounding.quotes {
                    eprintln!("  > [{}] {:.2} {}", quote.n, quote.score, quote.text);
                }
            }
            quotes_ms.push(answer.stats.time_to_quotes_ms);
            if !quotes_only {
                first_ms.push(answer.stats.time_to_first_token_ms);
                rates.push(answer.stats.tokens_per_second);
                prompt_tokens += answer.stats.prompt_tokens;
            }
            eprintln!(
                "{} {} quote:{} answer:{} retrieval {:.0} ms, quotes {:.0} ms, first token {:.0} ms | {}",
                question.id,
                if said { "OK " } else { "-- " },
                u8::from(quoted),
                u8::from(said),
                answer.stats.retrieval_ms,
                answer.stats.time_to_quotes_ms,
                answer.stats.time_to_first_token_ms,
                answer
                    .text
                    .replace('\n', " ")
                    .chars()
                    .take(160)
                    .collect::<String>()
            );
        }
        let n = questions.len() as f64;
        let share = |a: usize, b: usize| {
            if b == 0 {
                "–".to_owned()
            } else {
                format!("{:.2}", a as f64 / b as f64)
            }
        };
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {unmarked} | {:.0} / {:.0} | {} | {} | {} |",
            if quotes_only {
                "none (quotes only)"
            } else {
                &name
            },
            if quotes_only {
                "–".to_owned()
            } else {
                format!("{:.2}", answer_ok as f64 / n)
            },
            extractive_ok as f64 / n,
            shown_ok as f64 / n,
            first_right as f64 / n,
            share(cited_right, cited),
            share(supported, claims),
            percentile(&quotes_ms, 0.5),
            percentile(&quotes_ms, 0.95),
            if quotes_only {
                "–".to_owned()
            } else {
                format!(
                    "{:.0} / {:.0}",
                    percentile(&first_ms, 0.5),
                    percentile(&first_ms, 0.95)
                )
            },
            if quotes_only {
                "–".to_owned()
            } else {
                format!("{:.1}", percentile(&rates, 0.5))
            },
            if quotes_only {
                "–".to_owned()
            } else {
                format!("{}", prompt_tokens / questions.len().max(1))
            },
        );
    }
}
