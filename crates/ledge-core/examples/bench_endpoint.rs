//! The cost of answering over HTTP: the same questions, the same prompts and the same
//! SmolLM2 folder, answered by the built-in runtime and by `mlx_lm.server` (from
//! `.deps/venv-ref`, on a free loopback port) through Ledge's OpenAI-compatible client.
//!
//! Run: `cargo run -p ledge-core --example bench_endpoint [MODELS_DIR]` (MODELS_DIR holds an
//! imported chat model named `smollm2`; without it the repository's GGUF is imported into a
//! temporary folder). Both backends answer greedily with no repetition penalty, one question
//! at a time, alternating, after one warm-up answer each. Prints per-backend medians of the
//! question → first token time (retrieval included, the same for both) and the decode speed,
//! and the differences: the HTTP path's overhead, plus whatever separates mlx-lm's model code
//! from Ledge's on the same MLX. The server gets Debian's OpenBLAS preloaded, so both sides
//! multiply matrices with the same library.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is a failure report

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ledge_core::backend::{Endpoint, EndpointClient, EndpointUrl, LOCAL, Timeouts};
use ledge_core::{
    AskRequest, Assistant, AssistantSettings, DataDir, DataDirSource, EmbedderChoice, OpenOptions,
};
use ledge_index::{CancelToken, Index, IndexOptions};
use ledge_llm::generate::CancelToken as GenerationCancel;
use ledge_llm::import::{ImportOptions, import_gguf};

const QUESTIONS: &[&str] = &[
    "If I file a patent lawsuit claiming the Work infringes, what happens to my patent license?",
    "Can I charge a reasonable fee for copying the Package?",
    "May the name of the University be used to endorse products derived from the software?",
    "Does the Affirmer waive copyright and related rights in the work?",
    "What Installation Information must be provided with a User Product?",
    "Must object code be accompanied by a written offer valid for three years?",
];

/// Debian's OpenBLAS, which every Ledge executable links (see `ledge-build`).
const OPENBLAS: &str = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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
            dir
        }
    };

    // mlx_lm.server on the same folder, loopback only, hub switched off.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // An empty hub cache of its own: mlx_lm.server's /v1/models fails without one.
    let hub = temp.path().join("hf-home/hub");
    std::fs::create_dir_all(&hub).unwrap();
    let mut server = Command::new(repo().join(".deps/venv-ref/bin/python"))
        .args(["-m", "mlx_lm.server", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--model")
        .arg(models.join("smollm2"))
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_HOME", temp.path().join("hf-home"))
        .env("HF_HUB_CACHE", &hub)
        // The same BLAS as Ledge's: the wheel's bundled reference BLAS is ~30x slower on
        // matrix products (BENCHMARKS.md), which would swamp the HTTP path being measured.
        .env("LD_PRELOAD", OPENBLAS)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mlx_lm.server from .deps/venv-ref (scripts/setup.sh reference)");
    let endpoint = Endpoint {
        name: "mlx".into(),
        url: EndpointUrl::parse(&format!("127.0.0.1:{port}")).unwrap(),
        model: None,
        allow_public: false,
        fallback_local: false,
    };
    let client = EndpointClient::new(endpoint.clone(), Timeouts::default());
    let started = Instant::now();
    while client.models().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "server never answered"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let data_dir = DataDir::open(temp.path().join("home"), DataDirSource::LedgeHome).unwrap();
    let mut index = Index::open(&data_dir.index_dir()).unwrap();
    index
        .add_folder(
            Path::new("/usr/share/common-licenses"),
            &IndexOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )
        .unwrap();
    drop(index);
    ledge_core::open_store(&data_dir)
        .unwrap()
        .add_backend(&endpoint)
        .unwrap();

    // A short source budget: mlx_lm.server reads a prompt in one 2048-token step and says
    // nothing meanwhile, and on a 2-core CPU a 2,000-token prompt takes it minutes.
    let mut settings = AssistantSettings {
        answer_tokens: 64,
        source_tokens: 512,
        context_tokens: 2048,
        ..AssistantSettings::default()
    };
    settings.endpoint_timeouts.idle = Duration::from_secs(600);
    settings.sampling.repetition_penalty = 1.0;
    let assistant = Assistant::open(
        &data_dir,
        vec![models.clone()],
        OpenOptions {
            chat_model: Some("smollm2".into()),
            embedder: EmbedderChoice::Off,
            settings,
        },
        &mut |_| {},
    )
    .unwrap();

    let backends = [LOCAL, "mlx"];
    let ask = |backend: &str, question: &str| {
        assistant
            .ask(
                &AskRequest {
                    question: question.into(),
                    backend: Some(backend.into()),
                    ..AskRequest::default()
                },
                &GenerationCancel::new(),
                &mut |_| {},
            )
            .unwrap()
    };
    for backend in backends {
        ask(backend, "What is a Contribution?");
    }
    let mut ttft = [Vec::new(), Vec::new()];
    let mut speed = [Vec::new(), Vec::new()];
    let mut same_text = 0;
    for question in QUESTIONS {
        let mut texts = Vec::new();
        for (k, backend) in backends.iter().enumerate() {
            let answer = ask(backend, question);
            println!(
                "{backend:>5}: first token {:7.1} ms, {:3} prompt + {:2} answer tokens at {:6.1} tok/s ({})",
                answer.stats.time_to_first_token_ms,
                answer.stats.prompt_tokens,
                answer.stats.answer_tokens,
                answer.stats.tokens_per_second,
                answer.stats.computed_on
            );
            ttft[k].push(answer.stats.time_to_first_token_ms);
            speed[k].push(answer.stats.tokens_per_second);
            texts.push(answer.text);
        }
        same_text += usize::from(texts[0] == texts[1]);
    }
    let (local_ttft, http_ttft) = (median(&mut ttft[0]), median(&mut ttft[1]));
    let (local_speed, http_speed) = (median(&mut speed[0]), median(&mut speed[1]));
    println!(
        "\nmedians over {} questions (64 answer tokens at most, greedy):",
        QUESTIONS.len()
    );
    println!("  built-in runtime : first token {local_ttft:7.1} ms, {local_speed:6.1} tok/s");
    println!("  mlx_lm.server    : first token {http_ttft:7.1} ms, {http_speed:6.1} tok/s");
    println!(
        "  HTTP path        : first token {:+7.1} ms, decode x{:.2}; same answer text in {same_text} of {}",
        http_ttft - local_ttft,
        http_speed / local_speed,
        QUESTIONS.len()
    );

    // The HTTP round trip alone: a one-token answer to a one-line question, ten times.
    let messages = [ledge_llm::chat::Message::new(
        ledge_llm::chat::Role::User,
        "Say yes.",
    )];
    let params = ledge_core::backend::ChatParams {
        max_tokens: 1,
        temperature: 0.0,
        top_p: 1.0,
        seed: None,
        repetition_penalty: 1.0,
    };
    let mut round_trips: Vec<f64> = (0..10)
        .map(|_| {
            let outcome = client
                .chat(&messages, &params, &GenerationCancel::new(), &mut |_| {})
                .unwrap();
            outcome.total.as_secs_f64() * 1e3
        })
        .collect();
    println!(
        "  one-token answer over HTTP (models lookup + request + prefill of ~20 tokens + 1 token): median {:.1} ms",
        median(&mut round_trips)
    );
    let _ = server.kill();
    let _ = server.wait();
}
