//! `ledge serve`'s API against the official `openai` Python client, on real models: what
//! the client receives equals what Ledge's library computes for the same request.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use ledge_core::{
    Assistant, AssistantSettings, DataDir, DataDirSource, EmbedderChoice, OpenOptions,
};
use ledge_index::{CancelToken as IndexCancel, Index, IndexOptions};
use ledge_llm::chat::{Message, Role};
use ledge_llm::generate::{CancelToken, GenerationParams, StopReason};
use ledge_llm::import::{ImportOptions, import_folder, import_gguf};
use ledge_server::ServerState;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_official_openai_client_gets_what_the_library_computes() {
    ledge_llm::Runtime::init().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let data_dir = DataDir::open(temp.path().join("home"), DataDirSource::LedgeHome).unwrap();
    let models = data_dir.models_dir();
    let options = ImportOptions {
        name: Some("smollm2".into()),
        ..ImportOptions::default()
    };
    let gguf = repo().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
    import_gguf(&gguf, &models, &options, |_| {}).unwrap();
    import_folder(
        &repo().join("models/all-MiniLM-L6-v2"),
        &models,
        None,
        |_| {},
    )
    .unwrap();

    // A corpus of real documents for the search and ask endpoints.
    let docs = temp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    for name in ["Apache-2.0", "BSD"] {
        std::fs::copy(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/common-licenses"
            ))
            .join(name),
            docs.join(format!("{name}.txt")),
        )
        .unwrap();
    }
    let mut index = Index::open(&data_dir.index_dir()).unwrap();
    index
        .add_folder(
            &docs,
            &IndexOptions::default(),
            &mut |_| {},
            &IndexCancel::new(),
        )
        .unwrap();
    drop(index);

    let assistant = Assistant::open(
        &data_dir,
        Vec::new(),
        OpenOptions {
            chat_model: None,
            embedder: EmbedderChoice::Named("all-MiniLM-L6-v2".into()),
            settings: AssistantSettings {
                answer_tokens: 24,
                context_tokens: 2048,
                ..AssistantSettings::default()
            },
        },
        &mut |_| {},
    )
    .unwrap();
    let assistant = Arc::new(assistant);

    // What the library says, before the server exists.
    let expected = {
        let mut generator = assistant.generator().unwrap().lock().unwrap();
        let prompt = generator
            .tokenizer()
            .encode_chat(&[Message::new(Role::User, "What is the capital of France?")])
            .unwrap();
        let params = GenerationParams {
            max_tokens: 12,
            ..GenerationParams::default()
        };
        generator
            .generate(&prompt, &params, &CancelToken::new(), &mut |_| {})
            .unwrap()
    };
    let expected_finish = match expected.stats.stop {
        StopReason::MaxTokens => "length",
        _ => "stop",
    };
    let expected_tokens = expected.stats.generated_tokens;
    let expected_text = expected.text;
    let texts = [
        "Ledge runs on your own computer.",
        "Paris is the capital of France.",
    ];
    let expected_vectors = assistant
        .embedder()
        .unwrap()
        .lock()
        .unwrap()
        .embed(&texts)
        .unwrap();

    let token = ledge_server::token::load_or_create(data_dir.root()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(ledge_server::bind("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let state = ServerState::new(assistant.clone(), token.clone().into());
    runtime.spawn(ledge_server::serve(listener, state));

    let python = repo().join(".deps/venv-ref/bin/python");
    assert!(
        python.is_file(),
        "reference Python missing: run `scripts/setup.sh reference`"
    );
    let output = Command::new(python)
        .arg(repo().join("tests/reference/openai_client.py"))
        .args([
            &format!("http://{addr}/v1"),
            &token,
            "smollm2",
            "all-MiniLM-L6-v2",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(
        seen["models"],
        serde_json::json!(["all-MiniLM-L6-v2", "smollm2"])
    );
    assert_eq!(seen["chat"]["content"], expected_text.as_str());
    assert_eq!(seen["chat"]["finish_reason"], expected_finish);
    assert_eq!(seen["chat"]["usage"]["completion_tokens"], expected_tokens);
    assert_eq!(seen["stream"]["content"], expected_text.as_str());
    assert!(
        seen["stream"]["pieces"].as_u64().unwrap() > 1,
        "streamed in pieces"
    );
    assert_eq!(seen["stream"]["finish_reason"], expected_finish);
    assert_eq!(seen["stream"]["usage"], seen["chat"]["usage"]);

    for encoding in ["default", "float"] {
        let vectors = seen["embeddings"][encoding].as_array().unwrap();
        assert_eq!(vectors.len(), expected_vectors.len());
        for (got, want) in vectors.iter().zip(&expected_vectors) {
            let got: Vec<f32> = got
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            assert_eq!(got.len(), want.len());
            let diff = got
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(diff < 1e-6, "{encoding}: max difference {diff}");
        }
    }

    assert_eq!(seen["wrong_token"], 401);
    assert_eq!(seen["no_token"], 401);
    assert_eq!(seen["unknown_model"], 404);
    assert_eq!(seen["malformed"]["status"], 400);
    assert!(
        seen["malformed"]["body"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );
    assert_eq!(seen["huge"]["status"], 413);
    assert!(seen["huge"]["body"]["error"]["message"].is_string());

    // After a client hung up mid-stream, the next request gets the full, right answer.
    assert_eq!(seen["after_disconnect"]["content"], expected_text.as_str());
    eprintln!(
        "request after a hang-up answered in {} s",
        seen["after_disconnect"]["seconds"]
    );

    assert_eq!(seen["search"]["status"], 200);
    let passages = seen["search"]["body"]["passages"].as_array().unwrap();
    assert!(!passages.is_empty());
    assert!(
        passages[0]["chunk"]["path"]
            .as_str()
            .unwrap()
            .ends_with("Apache-2.0.txt")
    );
    assert_eq!(seen["ask"]["status"], 200);
    let answer = &seen["ask"]["body"];
    assert!(answer["grounded"].as_bool().unwrap());
    assert!(!answer["text"].as_str().unwrap().is_empty());
    assert!(
        answer["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("Apache-2.0.txt"))
    );
    // The extractive answer and each sentence's support come with it.
    assert!(answer["quotes"].is_array(), "{answer}");
    assert!(answer["sentences"].is_array(), "{answer}");
    assert!(
        answer["support"]["mostly_unsupported"].is_boolean(),
        "{answer}"
    );
}

#[test]
fn only_loopback_addresses_are_served() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for addr in ["0.0.0.0:0", "192.168.1.10:8765", "[::]:0"] {
        let error = runtime
            .block_on(ledge_server::bind(addr.parse().unwrap()))
            .unwrap_err();
        assert!(error.to_string().contains("loopback"), "{addr}: {error}");
    }
    assert!(
        runtime
            .block_on(ledge_server::bind("127.0.0.1:0".parse().unwrap()))
            .is_ok()
    );
    // ::1 may be missing where IPv6 is off; when it binds, it is loopback.
    let _ = runtime.block_on(ledge_server::bind("[::1]:0".parse().unwrap()));
}
