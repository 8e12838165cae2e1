//! Does background embedding get in the way of a question? (The runtime issue's "first token
//! during a cold embed within 1.2x of idle".) The real session, as the app runs it: the same
//! questions asked about the licence texts once with the index idle and once while a large
//! folder is being embedded in the background, each answer pinned to the same licence files so
//! that both get the same prompt; the time from the question to the first written word is
//! compared.
//!
//! ```text
//! cargo run --release -p ledge-desktop --example bench_background -- \
//!     --models DIR --model NAME --folder BIG_FOLDER [--rounds N]
//! ```
//! `DIR` holds imported model folders: the chat model `NAME` and `all-MiniLM-L6-v2`
//! (`scripts/bench-answers.sh` leaves both in `.deps/bench-answers-models-home/models`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ledge_core::{AskRequest, AssistantSettings, DataDir, DataDirSource};
use ledge_desktop::view::IndexingPhase;
use ledge_desktop::{AskEvent, Events, IndexingState, ModelState, Session, SessionConfig};

const QUESTIONS: &[(&str, &str)] = &[
    (
        "Apache-2.0",
        "When do the patent licenses granted under this license terminate?",
    ),
    (
        "MPL-2.0",
        "What happens if I fail to comply with this license?",
    ),
    (
        "BSD",
        "Which conditions must a redistribution in binary form meet?",
    ),
    (
        "GPL-3",
        "What does the license say about installation information?",
    ),
    (
        "Artistic",
        "May I charge a fee for distributing the package?",
    ),
];

struct Quiet;

impl Events for Quiet {
    fn indexing(&self, _: &IndexingState) {}
    fn model(&self, _: &ModelState) {}
}

struct Args {
    models: PathBuf,
    model: String,
    folder: PathBuf,
    rounds: usize,
}

fn args() -> Args {
    let mut args = Args {
        models: PathBuf::new(),
        model: String::new(),
        folder: PathBuf::new(),
        rounds: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().expect("every flag takes a value");
        match flag.as_str() {
            "--models" => args.models = value.into(),
            "--model" => args.model = value,
            "--folder" => args.folder = value.into(),
            "--rounds" => args.rounds = value.parse().expect("--rounds N"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        args.models.is_dir() && !args.model.is_empty() && args.folder.is_dir(),
        "usage: bench_background --models DIR --model NAME --folder BIG_FOLDER [--rounds N]"
    );
    args
}

/// Seconds from asking to the first piece of written answer (or to the end, when none
/// comes); returns once the answer is over, so that indexing has resumed.
fn first_token(session: &Session, file: &Path, question: &str) -> f64 {
    let (sender, receiver) = mpsc::channel::<(bool, f64)>();
    let sender = Mutex::new(sender);
    let asked = Instant::now();
    session
        .ask(
            AskRequest {
                question: question.to_owned(),
                files: vec![file.to_path_buf()],
                ..AskRequest::default()
            },
            Box::new(move |event| {
                let end = matches!(event, AskEvent::Done { .. } | AskEvent::Error { .. });
                if let AskEvent::Error { message } = &event {
                    eprintln!("error: {message}");
                }
                if end || matches!(event, AskEvent::Text { .. }) {
                    let _ = sender
                        .lock()
                        .unwrap()
                        .send((end, asked.elapsed().as_secs_f64()));
                }
            }),
        )
        .unwrap();
    let (mut end, first) = receiver.recv().unwrap();
    while !end {
        end = receiver.recv().unwrap().0;
    }
    first
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args = args();
    ledge_llm::Runtime::init().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let licences = temp.path().join("licences");
    std::fs::create_dir(&licences).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/common-licenses");
    for (name, _) in QUESTIONS {
        std::fs::copy(source.join(name), licences.join(format!("{name}.txt"))).unwrap();
    }
    let data_dir = DataDir::open(temp.path().join("home"), DataDirSource::LedgeHome).unwrap();
    let session = Session::open(
        SessionConfig {
            data_dir,
            extra_model_dirs: vec![args.models.clone()],
            settings: AssistantSettings {
                answer_tokens: 8,
                ..AssistantSettings::default()
            },
        },
        Arc::new(Quiet),
    )
    .unwrap();
    session.set_default_model(&args.model).unwrap();
    session.load_model();
    while !matches!(session.model_state(), ModelState::Ready { .. }) {
        if let ModelState::Failed { message } = session.model_state() {
            panic!("the model did not load: {message}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    session.add_folder(&licences).unwrap();
    assert!(session.wait_indexed(Duration::from_secs(600)));

    let ask_all = |label: &str| -> Vec<f64> {
        let mut times = Vec::new();
        for _ in 0..args.rounds {
            for (name, question) in QUESTIONS {
                // Time for the indexer to take up its job again after the last answer.
                std::thread::sleep(Duration::from_millis(1500));
                let file = licences.join(format!("{name}.txt"));
                let seconds = first_token(&session, &file, question);
                println!("{label:>9} {name:<10} first token {:6.0} ms", seconds * 1e3);
                times.push(seconds);
            }
        }
        times
    };
    // One question first, so that both rows start from a warm model and measured prefill.
    first_token(&session, &licences.join("BSD.txt"), "What is this license?");
    let idle = ask_all("idle");

    session.add_folder(&args.folder).unwrap();
    let started = Instant::now();
    while session.indexing().phase != IndexingPhase::Embedding {
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "no embedding started"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Passages embedded while the questions are asked: the indexer's count starts again each
    // time a question interrupts it, so its rises are summed.
    let asking = std::sync::atomic::AtomicBool::new(true);
    let embedding_started = Instant::now();
    let (busy, embedded) = std::thread::scope(|scope| {
        let counter = scope.spawn(|| {
            let (mut total, mut last) = (0u64, session.indexing().done);
            while asking.load(std::sync::atomic::Ordering::SeqCst) {
                let now = session.indexing().done;
                total += now.saturating_sub(last);
                last = now;
                std::thread::sleep(Duration::from_millis(20));
            }
            total
        });
        let busy = ask_all("embedding");
        asking.store(false, std::sync::atomic::Ordering::SeqCst);
        (busy, counter.join().unwrap())
    });
    let still_embedding = session.indexing().phase == IndexingPhase::Embedding;

    println!();
    println!("| first token, s | p50 | p95 |");
    println!("|---|---|---|");
    println!(
        "| idle | {:.2} | {:.2} |",
        percentile(&idle, 0.5),
        percentile(&idle, 0.95)
    );
    println!(
        "| while {} embeds | {:.2} | {:.2} |",
        args.folder.display(),
        percentile(&busy, 0.5),
        percentile(&busy, 0.95)
    );
    println!(
        "ratio (p50): {:.2}x; passages embedded meanwhile: {embedded} in {:.0} s; still embedding at the end: {still_embedding}",
        percentile(&busy, 0.5) / percentile(&idle, 0.5),
        embedding_started.elapsed().as_secs_f64()
    );
}
