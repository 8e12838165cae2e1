//! Retrieval quality of BM25 on the public question set over the Debian manuals
//! (`tests/questions/manuals.json`): for each question of one split, is a file that answers it
//! the first file `Index::search` returns, or among the first five?
//!
//! Files are ranked by their best chunk (hits in score order, each file counted once), as the
//! assistant's retrieval spreads passages over files. Each corpus is indexed cold into a fresh
//! temporary index, so the same run also gives the cold index time.
//!
//! ```text
//! cargo run --release -p ledge-index --example eval_questions -- \
//!     --questions tests/questions/manuals.json [--split dev] [--verbose] \
//!     python=/usr/share/doc/python3.11/html postgresql=/usr/share/doc/postgresql-doc-15/html
//! ```
//!
//! Prints one line per question with `--verbose` (its rank and the top three files), then per
//! corpus: questions, recall@1, recall@5, MRR (ranks past the first 50 hits count as misses),
//! files, chunks and seconds to index.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ledge_index::{CancelToken, Index, IndexOptions};
use serde::Deserialize;

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// Hits asked of the index per question.
const DEPTH: usize = 50;

#[derive(Debug, Deserialize)]
struct Question {
    id: String,
    split: String,
    corpus: String,
    question: String,
    answer_files: Vec<String>,
}

struct Args {
    questions: PathBuf,
    split: String,
    verbose: bool,
    corpora: Vec<(String, PathBuf)>,
}

fn args() -> BoxResult<Args> {
    let mut args = Args {
        questions: PathBuf::from("tests/questions/manuals.json"),
        split: "dev".into(),
        verbose: false,
        corpora: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--questions" => args.questions = it.next().ok_or("--questions needs a path")?.into(),
            "--split" => args.split = it.next().ok_or("--split needs a value")?,
            "--verbose" => args.verbose = true,
            corpus => {
                let (name, dir) = corpus
                    .split_once('=')
                    .ok_or(format!("expected NAME=DIR, got {corpus}"))?;
                args.corpora.push((name.to_owned(), PathBuf::from(dir)));
            }
        }
    }
    if args.corpora.is_empty() {
        return Err("name at least one corpus as NAME=DIR".into());
    }
    Ok(args)
}

/// The 1-based rank of the first answer file among the distinct files of `hits`.
fn answer_rank(hits: &[PathBuf], root: &Path, answers: &[String]) -> (Option<usize>, Vec<String>) {
    let mut files: Vec<String> = Vec::new();
    for path in hits {
        let relative = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
        if !files.contains(&relative) {
            files.push(relative);
        }
    }
    let rank = files
        .iter()
        .position(|f| answers.contains(f))
        .map(|i| i + 1);
    (rank, files)
}

fn main() -> BoxResult<()> {
    let args = args()?;
    let questions: Vec<Question> =
        serde_json::from_str(&std::fs::read_to_string(&args.questions)?)?;
    for (name, dir) in &args.corpora {
        let root = dir.canonicalize()?;
        let temp = tempfile::tempdir()?;
        let mut index = Index::open(temp.path())?;
        let started = Instant::now();
        let report = index.add_folder(
            &root,
            &IndexOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )?;
        let seconds = started.elapsed().as_secs_f64();
        let asked: Vec<&Question> = questions
            .iter()
            .filter(|q| q.corpus == *name && q.split == args.split)
            .collect();
        let (mut at1, mut at5, mut reciprocal) = (0usize, 0usize, 0.0f64);
        for question in &asked {
            let hits: Vec<PathBuf> = index
                .search(&question.question, DEPTH)?
                .into_iter()
                .map(|hit| hit.path)
                .collect();
            let (rank, files) = answer_rank(&hits, &root, &question.answer_files);
            if let Some(rank) = rank {
                at1 += usize::from(rank == 1);
                at5 += usize::from(rank <= 5);
                reciprocal += 1.0 / rank as f64;
            }
            if args.verbose {
                let rank = rank.map_or("-".to_owned(), |r| r.to_string());
                let top: Vec<&str> = files.iter().take(3).map(String::as_str).collect();
                println!(
                    "{:8} rank {:>2}  want {:30} got {}",
                    question.id,
                    rank,
                    question.answer_files.join(","),
                    top.join(", ")
                );
            }
        }
        let n = asked.len().max(1) as f64;
        println!(
            "{name}: {} {} questions, recall@1 {:.2}, recall@5 {:.2}, MRR {:.3}; \
             indexed {} files, {} chunks in {seconds:.1} s",
            asked.len(),
            args.split,
            at1 as f64 / n,
            at5 as f64 / n,
            reciprocal / n,
            report.indexed,
            report.chunks_added,
        );
    }
    Ok(())
}
