//! What grounding costs: quotes and the check of a 300-word answer over eight passages of a
//! real licence text (Debian's Apache-2.0), timed over many runs.
//!
//! `cargo run --release -p ledge-ground --example check_cost [FILE]`

#![allow(clippy::unwrap_used, clippy::expect_used)] // a measurement: a panic is a failure report

use std::time::Instant;

use ledge_ground::{Evidence, QuoteLimits, SentenceStream, SourcePassage};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/usr/share/common-licenses/Apache-2.0".to_owned());
    let text = std::fs::read_to_string(&path).unwrap();
    // Eight passages of about 1,200 bytes, as retrieval hands them over.
    let lines: Vec<&str> = text.lines().collect();
    let mut passages = Vec::new();
    let mut start = 0;
    while passages.len() < 8 && start < lines.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < lines.len() && bytes < 1200 {
            bytes += lines[end].len() + 1;
            end += 1;
        }
        passages.push(SourcePassage {
            n: passages.len() + 1,
            text: lines[start..end].join("\n"),
            heading: String::new(),
            first_line: start as u32 + 1,
            page: None,
        });
        start = end;
    }
    // A 300-word answer: sentences of the sources, paraphrased ones and invented ones.
    let mut answer = String::new();
    let seeds = [
        "Your patent licenses terminate on the date you file patent litigation over the Work [2]. ",
        "You must give recipients a copy of this License. ",
        "Dragons guard the repository and charge 30 coins a night. ",
        "Contributors grant a perpetual, worldwide, royalty-free copyright license [1]. ",
        "The License does not grant permission to use trade names or trademarks. ",
    ];
    while answer.split_whitespace().count() < 300 {
        for seed in seeds {
            answer.push_str(seed);
        }
    }
    let runs = 200;
    let started = Instant::now();
    for _ in 0..runs {
        let evidence = Evidence::new(passages.clone());
        std::hint::black_box(evidence.quotes(
            "When do the patent licenses granted to me terminate?",
            QuoteLimits::default(),
        ));
    }
    let quotes = started.elapsed() / runs;
    let evidence = Evidence::new(passages.clone());
    let started = Instant::now();
    let mut sentences = 0;
    for _ in 0..runs {
        let mut stream = SentenceStream::new();
        // Token-sized pieces, as a model streams them.
        for piece in answer.split_inclusive(' ') {
            for sentence in stream.push(piece) {
                std::hint::black_box(evidence.check_sentence(&sentence));
                sentences += 1;
            }
        }
        for sentence in stream.finish() {
            std::hint::black_box(evidence.check_sentence(&sentence));
            sentences += 1;
        }
    }
    let check = started.elapsed() / runs;
    println!(
        "{} passages, {} source sentences: sentences cut and quotes chosen in {:.2} ms; \
         a {}-word answer ({} sentences) streamed and checked in {:.2} ms",
        passages.len(),
        evidence.sentence_count(),
        quotes.as_secs_f64() * 1e3,
        answer.split_whitespace().count(),
        sentences / runs as usize,
        check.as_secs_f64() * 1e3
    );
}
