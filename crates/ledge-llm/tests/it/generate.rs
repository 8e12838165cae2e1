//! Generation on a real model (SmolLM2-135M-Instruct, imported from its GGUF): the loop's
//! greedy tokens equal mlx-lm's own generation loop on the same folder, the chat template
//! renders as `transformers` renders it, the KV cache reused for a shared prefix changes
//! nothing but the time, and stop strings, limits, cancellation, seeds and the tokio stream
//! behave as documented.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use ledge_llm::Error;
use ledge_llm::chat::{Message, Role};
use ledge_llm::generate::{
    CancelToken, GenerationParams, Generator, StopReason, StreamEvent, stream,
};
use ledge_llm::import::{ImportOptions, WeightDtype, import_gguf};
use ledge_llm::sampling::SamplingParams;
use serde_json::{Value, json};

use crate::support::repo;

static FOLDER: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();

/// Statics are never dropped: the imported model is removed when the test binary exits.
extern "C" fn remove_smollm() {
    if let Some((dir, _)) = FOLDER.get() {
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

/// SmolLM2-135M-Instruct imported once for all tests of this module (f32: the reference
/// and Ledge then compute in the same type).
fn smollm() -> &'static Path {
    let (_, path) = FOLDER.get_or_init(|| {
        // SAFETY: registers a function that takes and captures nothing.
        unsafe { libc::atexit(remove_smollm) };
        let gguf = repo().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
        assert!(
            gguf.is_file(),
            "{} missing: run `scripts/setup.sh models`",
            gguf.display()
        );
        let temp = tempfile::tempdir().unwrap();
        let options = ImportOptions {
            dtype: WeightDtype::F32,
            name: Some("smollm".into()),
        };
        let path = import_gguf(&gguf, temp.path(), &options, |_| {}).unwrap();
        (temp, path)
    });
    path
}

fn reference(script: &str, args: &[&str], stdin: &Value) -> Value {
    let python = repo().join(".deps/venv-ref/bin/python");
    assert!(
        python.is_file(),
        "reference Python missing: run `scripts/setup.sh reference`"
    );
    let mut child = Command::new(python)
        .arg(repo().join("tests/reference").join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn greedy(max_tokens: usize) -> GenerationParams {
    GenerationParams {
        max_tokens,
        ..GenerationParams::default()
    }
}

fn conversation() -> Vec<Message> {
    vec![
        Message::new(Role::System, "You are a concise assistant."),
        Message::new(Role::User, "What is the capital of France?"),
    ]
}

#[test]
fn greedy_generation_equals_mlx_lm_generation_token_for_token() {
    let mut generator = Generator::load(smollm()).unwrap();
    let tokenizer = generator.tokenizer();
    let prompts = vec![
        tokenizer
            .encode("The three primary colors are", true)
            .unwrap(),
        tokenizer.encode_chat(&conversation()).unwrap(),
        tokenizer
            .encode_chat(&[Message::new(Role::User, "Write a haiku about the sea.")])
            .unwrap(),
    ];
    let expected = reference(
        "mlx_lm_generate.py",
        &[smollm().to_str().unwrap(), "24"],
        &json!(prompts),
    );
    for (prompt, expected) in prompts.iter().zip(expected.as_array().unwrap()) {
        let expected: Vec<u32> = serde_json::from_value(expected.clone()).unwrap();
        let generation = generator
            .generate(prompt, &greedy(24), &CancelToken::new(), &mut |_| {})
            .unwrap();
        assert_eq!(
            generation.tokens,
            expected,
            "prompt {prompt:?}: ours {:?} vs mlx-lm {:?}",
            generator.tokenizer().decode(&generation.tokens),
            generator.tokenizer().decode(&expected)
        );
    }
}

#[test]
fn the_chat_template_renders_as_transformers_renders_it() {
    let generator = Generator::load(smollm()).unwrap();
    let tokenizer = generator.tokenizer();
    assert!(tokenizer.has_chat_template());
    let cases = [
        (vec![Message::new(Role::User, "Hi")], true),
        (conversation(), true),
        (
            vec![
                Message::new(Role::User, "Name a colour."),
                Message::new(Role::Assistant, "Blue."),
                Message::new(Role::User, "  Another one, with spaces around  \n"),
            ],
            false,
        ),
        (
            vec![Message::new(
                Role::User,
                "Ünïcödé ✓ 日本語 <b>tags</b> {{ braces }}",
            )],
            true,
        ),
    ];
    let input = json!(
        cases
            .iter()
            .map(|(messages, add)| json!({"messages": messages, "add_generation_prompt": add}))
            .collect::<Vec<_>>()
    );
    let expected = reference("chat_template.py", &[smollm().to_str().unwrap()], &input);
    for ((messages, add), expected) in cases.iter().zip(expected.as_array().unwrap()) {
        let ours = tokenizer.render_chat(messages, *add).unwrap();
        assert_eq!(ours, expected.as_str().unwrap(), "{messages:?}");
    }
}

#[test]
fn a_follow_up_reuses_the_cached_prefix_and_changes_nothing_but_the_work() {
    let first_turn = conversation();
    let mut generator = Generator::load(smollm()).unwrap();
    let prompt = generator.tokenizer().encode_chat(&first_turn).unwrap();
    let answer = generator
        .generate(&prompt, &greedy(16), &CancelToken::new(), &mut |_| {})
        .unwrap();
    assert_eq!(answer.stats.reused_tokens, 0);

    let mut follow_up = first_turn.clone();
    follow_up.push(Message::new(Role::Assistant, answer.text.trim()));
    follow_up.push(Message::new(Role::User, "And of Italy?"));
    let prompt = generator.tokenizer().encode_chat(&follow_up).unwrap();
    let reused = generator
        .generate(&prompt, &greedy(16), &CancelToken::new(), &mut |_| {})
        .unwrap();
    assert!(
        reused.stats.reused_tokens >= 20,
        "the system prompt and first question must come from the cache: {:?}",
        reused.stats
    );

    let mut fresh_generator = Generator::load(smollm()).unwrap();
    let fresh = fresh_generator
        .generate(&prompt, &greedy(16), &CancelToken::new(), &mut |_| {})
        .unwrap();
    assert_eq!(fresh.stats.reused_tokens, 0);
    assert_eq!(reused.tokens, fresh.tokens);

    // The very same prompt again: everything but its last token comes from the cache.
    let again = generator
        .generate(&prompt, &greedy(16), &CancelToken::new(), &mut |_| {})
        .unwrap();
    assert_eq!(again.stats.reused_tokens, prompt.len() - 1);
    assert_eq!(again.tokens, fresh.tokens);
}

#[test]
fn stop_strings_token_limits_and_cancellation_end_generation_cleanly() {
    let mut generator = Generator::load(smollm()).unwrap();
    let prompt = generator
        .tokenizer()
        .encode("Count: one, two, three,", true)
        .unwrap();
    let full = generator
        .generate(&prompt, &greedy(24), &CancelToken::new(), &mut |_| {})
        .unwrap();
    assert!(full.text.len() > 8, "{:?}", full.text);

    // Stop at a piece of the text the model is known to produce.
    let stop: String = full.text.chars().skip(4).take(4).collect();
    let params = GenerationParams {
        stop: vec![stop.clone()],
        ..greedy(24)
    };
    let mut streamed = String::new();
    let stopped = generator
        .generate(&prompt, &params, &CancelToken::new(), &mut |piece| {
            streamed.push_str(piece)
        })
        .unwrap();
    assert_eq!(stopped.stats.stop, StopReason::StopString(stop.clone()));
    assert_eq!(streamed, stopped.text);
    let at = full.text.find(&stop).unwrap();
    assert_eq!(stopped.text, full.text[..at]);

    let limited = generator
        .generate(&prompt, &greedy(5), &CancelToken::new(), &mut |_| {})
        .unwrap();
    assert_eq!(limited.stats.stop, StopReason::MaxTokens);
    assert_eq!(limited.tokens, full.tokens[..5]);

    let cancel = CancelToken::new();
    let mut pieces = 0;
    let cancelled = generator
        .generate(&prompt, &greedy(24), &cancel.clone(), &mut |_| {
            pieces += 1;
            if pieces == 3 {
                cancel.cancel();
            }
        })
        .unwrap();
    assert_eq!(cancelled.stats.stop, StopReason::Cancelled);
    assert!(cancelled.tokens.len() < full.tokens.len());
}

#[test]
fn a_seed_repeats_a_sampled_run_and_bad_settings_are_refused() {
    let mut generator = Generator::load(smollm()).unwrap();
    let prompt = generator
        .tokenizer()
        .encode("Once upon a time", true)
        .unwrap();
    let sampled = |seed| GenerationParams {
        max_tokens: 32,
        sampling: SamplingParams {
            temperature: 1.0,
            top_p: 0.95,
            seed: Some(seed),
            ..SamplingParams::default()
        },
        stop: Vec::new(),
    };
    // Each run computes the prompt afresh. With the prompt's prefix reused from the cache,
    // its last token is computed alone, through the one-row product route (sgemv), whose
    // rounding differs from the batched one in the last bits; a sampled continuation may
    // then part from the first one at a near tie (greedy continuations are checked equal
    // in a_follow_up_reuses_the_cached_prefix_and_changes_nothing_but_the_work).
    let mut run = |params: &GenerationParams| {
        generator.reset();
        generator
            .generate(&prompt, params, &CancelToken::new(), &mut |_| {})
            .unwrap()
            .tokens
    };
    let first = run(&sampled(11));
    assert_eq!(first, run(&sampled(11)));
    assert_ne!(first, run(&sampled(12)));

    let bad = GenerationParams {
        sampling: SamplingParams {
            top_p: 1.5,
            ..SamplingParams::default()
        },
        ..greedy(4)
    };
    let error = generator
        .generate(&prompt, &bad, &CancelToken::new(), &mut |_| {})
        .unwrap_err();
    assert!(matches!(error, Error::InvalidSetting(_)), "{error}");

    let context = generator.context_length();
    let too_long = vec![1; context];
    let error = generator
        .generate(&too_long, &greedy(4), &CancelToken::new(), &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(error, Error::PromptTooLong { tokens, .. } if tokens == context),
        "{error}"
    );
}

#[test]
fn the_tokio_stream_delivers_the_same_text_and_stops_when_dropped() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let generator = Arc::new(Mutex::new(Generator::load(smollm()).unwrap()));
    let prompt = {
        let generator = generator.lock().unwrap();
        generator.tokenizer().encode_chat(&conversation()).unwrap()
    };
    let expected = {
        let mut fresh = Generator::load(smollm()).unwrap();
        fresh
            .generate(&prompt, &greedy(20), &CancelToken::new(), &mut |_| {})
            .unwrap()
    };

    let (text, stats) = runtime.block_on(async {
        let mut events = stream(
            generator.clone(),
            prompt.clone(),
            greedy(20),
            CancelToken::new(),
        );
        let mut text = String::new();
        loop {
            match events.recv().await.unwrap() {
                StreamEvent::Text(piece) => text.push_str(&piece),
                StreamEvent::Done(outcome) => break (text, outcome.unwrap()),
            }
        }
    });
    assert_eq!(text, expected.text);
    assert_eq!(stats.generated_tokens, expected.tokens.len());

    // A listener that goes away after the first piece stops the generation early.
    runtime.block_on(async {
        let mut events = stream(
            generator.clone(),
            prompt.clone(),
            greedy(200),
            CancelToken::new(),
        );
        assert!(matches!(events.recv().await, Some(StreamEvent::Text(_))));
        drop(events);
    });
    // Wait for the blocking task to let go of the generator, then check how far it got.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let used = loop {
        if let Ok(generator) = generator.try_lock() {
            break generator.context_used();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the generation did not stop"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(
        used < prompt.len() + 100,
        "{used} tokens in the cache: the run went on after its listener left"
    );
}

/// The app answers on one thread while the indexer embeds on another: their MLX work takes
/// turns (`ledge_llm::exclusive`: a generation step, an embedding batch), never overlapping,
/// and both go on interleaved, neither waiting for the other to finish.
#[test]
fn generation_and_embedding_on_two_threads_take_turns_with_mlx() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    ledge_llm::Runtime::init().unwrap();
    let mut generator = Generator::load(smollm()).unwrap();
    let embedder =
        ledge_llm::embed::Embedder::load(&repo().join("models/all-MiniLM-L6-v2")).unwrap();
    let prompt = generator
        .tokenizer()
        .encode_chat(&[Message::new(
            Role::User,
            "Tell the long story of the printing press, century by century.",
        )])
        .unwrap();
    let params = GenerationParams {
        max_tokens: 64,
        sampling: SamplingParams::greedy(),
        ..GenerationParams::default()
    };
    let generating = AtomicBool::new(true);
    let batches_while_generating = AtomicUsize::new(0);
    let (generating, batches) = (&generating, &batches_while_generating);
    let text = "A passage of a manual that the indexer embeds while a question is answered.";
    let generation = std::thread::scope(|scope| {
        scope.spawn(move || {
            while generating.load(Ordering::SeqCst) {
                assert_eq!(embedder.embed(&[text; 4]).unwrap().len(), 4);
                if generating.load(Ordering::SeqCst) {
                    batches.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        let generation = generator
            .generate(&prompt, &params, &CancelToken::new(), &mut |_| {})
            .unwrap();
        generating.store(false, Ordering::SeqCst);
        generation
    });
    assert!(generation.tokens.len() >= 16, "{:?}", generation.text);
    assert!(
        batches.load(Ordering::SeqCst) >= 2,
        "the embedder waited for the whole answer: {} batches beside it",
        batches.load(Ordering::SeqCst)
    );
    assert_eq!(ledge_llm::peak_concurrent_evaluations(), 1);
}
