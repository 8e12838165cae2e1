//! Answers over an OpenAI-compatible endpoint: the real `mlx_lm.server` (from the reference
//! environment, on the mlx-cpu wheel) serving the same SmolLM2 folder the built-in runtime
//! loads, on a free loopback port. Nothing is sent anywhere but 127.0.0.1 (the server runs
//! with the Hugging Face hub switched off, so a missing model cannot send it to the internet).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ledge_core::backend::{
    AddressError, BackendError, Endpoint, EndpointClient, EndpointUrl, LOCAL, Timeouts,
};
use ledge_core::citation::cited_numbers;
use ledge_core::{
    AnswerEvent, AskRequest, Assistant, AssistantSettings, EmbedderChoice, Error, OpenOptions,
};
use ledge_llm::generate::CancelToken;

use crate::support::{Fixture, chat_model, models, repo};

/// A running `mlx_lm.server`, killed when dropped.
pub struct MlxServer {
    child: Child,
    pub port: u16,
}

impl Drop for MlxServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MlxServer {
    /// Sends the server a signal (`STOP`, `CONT`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Kills the server at once (SIGKILL), as a crash or a pulled cable would end it.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn python() -> Option<PathBuf> {
    let python = repo().join(".deps/venv-ref/bin/python");
    python.is_file().then_some(python)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts `mlx_lm.server` on the test chat model and waits until it answers; `None` (with a
/// message saying why the test is skipped) when the reference environment is missing.
pub fn start_server() -> Option<MlxServer> {
    let Some(python) = python() else {
        eprintln!(
            "SKIPPED: .deps/venv-ref is missing (`scripts/setup.sh reference` installs mlx-lm); \
             the endpoint tests need the real mlx_lm.server"
        );
        return None;
    };
    let port = free_port();
    // An empty hub cache of its own: mlx_lm.server's /v1/models fails without one.
    let hub = models().join(format!("hf-home-{port}/hub"));
    std::fs::create_dir_all(&hub).unwrap();
    let child = Command::new(python)
        .args(["-m", "mlx_lm.server", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--model")
        .arg(chat_model())
        .env("HF_HUB_OFFLINE", "1")
        .env("TRANSFORMERS_OFFLINE", "1")
        .env("HF_HOME", hub.parent().unwrap())
        .env("HF_HUB_CACHE", &hub)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = MlxServer { child, port };
    let client = EndpointClient::new(endpoint("probe", port, None, false), Timeouts::default());
    let started = Instant::now();
    loop {
        if client.models().is_ok() {
            return Some(server);
        }
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("mlx_lm.server exited at start: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "mlx_lm.server did not answer within 180 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn endpoint(name: &str, port: u16, model: Option<&str>, fallback: bool) -> Endpoint {
    Endpoint {
        name: name.into(),
        url: EndpointUrl::parse(&format!("127.0.0.1:{port}")).unwrap(),
        model: model.map(str::to_owned),
        allow_public: false,
        fallback_local: fallback,
    }
}

fn open(fixture: &Fixture, answer_tokens: usize, timeouts: Timeouts) -> Assistant {
    let mut settings = AssistantSettings {
        answer_tokens,
        context_tokens: 2048,
        source_tokens: 700,
        endpoint_timeouts: timeouts,
        // The sources as retrieval ranks them, however loaded the machine is (the time
        // budget has its own test in grounding.rs).
        first_token_target: Duration::from_secs(3600),
        ..AssistantSettings::default()
    };
    // Plain greedy on both sides, so the two backends must write the same answer.
    settings.sampling.repetition_penalty = 1.0;
    let options = OpenOptions {
        chat_model: None,
        embedder: EmbedderChoice::Off,
        settings,
    };
    Assistant::open(
        &fixture.data_dir,
        vec![models().to_path_buf()],
        options,
        &mut |_| {},
    )
    .unwrap()
}

fn add(fixture: &Fixture, endpoint: &Endpoint) {
    let store = ledge_core::open_store(&fixture.data_dir).unwrap();
    store.add_backend(endpoint).unwrap();
}

fn text_of(events: &[AnswerEvent]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            AnswerEvent::Text(piece) => Some(piece.as_str()),
            _ => None,
        })
        .collect()
}

/// The licence texts indexed, the server added as endpoint `mlx` (with `fallback` as given)
/// and warmed with one long question (its first request loads the model again under its own
/// id); returns that question, to ask again. Keep the fixture alive as long as the assistant.
fn warmed_on_server(port: u16, fallback: bool) -> (Fixture, Assistant, AskRequest) {
    let fixture = Fixture::new();
    fixture.index(false);
    add(&fixture, &endpoint("mlx", port, None, fallback));
    let assistant = open(&fixture, 400, Timeouts::default());
    let request = AskRequest {
        question:
            "Summarise the conditions of the MPL for distributing Covered Software, in detail."
                .into(),
        backend: Some("mlx".into()),
        ..AskRequest::default()
    };
    assistant
        .ask(&request, &CancelToken::new(), &mut |_| {})
        .unwrap();
    (fixture, assistant, request)
}

/// Where the `Fallback` event is among `events`, and its reason.
fn fallback_event(events: &[AnswerEvent]) -> (usize, &str) {
    events
        .iter()
        .enumerate()
        .find_map(|(at, event)| match event {
            AnswerEvent::Fallback { reason } => Some((at, reason.as_str())),
            _ => None,
        })
        .expect("a Fallback event")
}

const QUESTION: &str =
    "Under the Apache License, when do the patent licenses granted to me terminate?";

#[test]
fn an_answer_with_sources_arrives_over_mlx_lm_server_from_the_same_prompt() {
    let Some(server) = start_server() else { return };
    let fixture = Fixture::new();
    fixture.index(false);
    add(&fixture, &endpoint("mlx", server.port, None, false));
    let assistant = open(&fixture, 48, Timeouts::default());

    let mut events = Vec::new();
    let request = AskRequest {
        question: QUESTION.into(),
        backend: Some("mlx".into()),
        ..AskRequest::default()
    };
    let remote = assistant
        .ask(&request, &CancelToken::new(), &mut |e| events.push(e))
        .unwrap();
    eprintln!("over mlx_lm.server: {:?}\n{:?}", remote.text, remote.stats);

    // The conversation, the sources, then the text streamed over HTTP.
    assert!(
        matches!(events[0], AnswerEvent::Started { conversation } if conversation == remote.conversation),
        "{:?}",
        events[0]
    );
    let AnswerEvent::Sources(sources) = &events[1] else {
        panic!("second event: {:?}", events[1]);
    };
    assert!(sources.iter().any(|s| s.path.ends_with("apache-2.0.txt")));
    assert!(events.len() > 3, "the answer came in one piece: {events:?}");
    assert_eq!(text_of(&events).trim(), remote.text);
    assert!(remote.grounded && !remote.text.is_empty());
    assert_eq!(remote.stats.backend, "mlx");
    assert!(
        remote
            .stats
            .computed_on
            .contains(&format!("127.0.0.1:{}", server.port))
            && remote.stats.computed_on.contains("this machine"),
        "{}",
        remote.stats.computed_on
    );
    assert_eq!(remote.stats.fallback, None);
    // The server's own model id (the folder it loaded), and its token counts.
    assert!(remote.model.ends_with("smollm2"), "{}", remote.model);
    assert!(remote.stats.answer_tokens > 0 && remote.stats.answer_tokens <= 48);
    assert!(remote.stats.prompt_tokens > 200);
    let cited = cited_numbers(&remote.text, remote.sources.len());
    for source in &remote.sources {
        assert_eq!(source.cited, cited.contains(&source.n));
    }

    // The conversation keeps its backend, and the turn is stored with the server's model.
    let store = ledge_core::open_store(&fixture.data_dir).unwrap();
    assert_eq!(
        store
            .conversation_backend(remote.conversation)
            .unwrap()
            .as_deref(),
        Some("mlx")
    );
    let messages = store.messages(remote.conversation).unwrap();
    assert_eq!(messages[1].content, remote.text);
    assert_eq!(messages[1].model.as_deref(), Some(remote.model.as_str()));
    assert_eq!(messages[1].stats.as_ref().unwrap()["backend"], "mlx");
    drop(store);

    // The same prompt, greedy, on the same weights: the built-in runtime writes the same
    // answer (mlx-lm applies the chat template to the messages; Ledge renders the tokens).
    let local = assistant
        .ask(
            &AskRequest {
                backend: Some(LOCAL.into()),
                ..request.clone()
            },
            &CancelToken::new(),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(local.stats.backend, LOCAL);
    assert_eq!(local.model, "smollm2");
    assert_eq!(local.sources, remote.sources);
    // mlx-lm rendered the messages with the model's chat template to exactly as many tokens
    // as Ledge did. (The texts are both greedy on the same bf16 weights but need not agree
    // word for word: two implementations round differently over an 800-token prompt.)
    assert_eq!(local.stats.prompt_tokens, remote.stats.prompt_tokens);
    eprintln!("built-in: {:?}", local.text);

    // A follow-up with no backend named stays on the conversation's.
    let follow_up = assistant
        .ask(
            &AskRequest {
                question: "And what about the trademark?".into(),
                conversation: Some(remote.conversation),
                ..AskRequest::default()
            },
            &CancelToken::new(),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(follow_up.stats.backend, "mlx");
}

#[test]
fn a_server_killed_mid_answer_is_an_error_or_with_fallback_a_local_answer() {
    let Some(mut server) = start_server() else {
        return;
    };
    let (_fixture, assistant, request) = warmed_on_server(server.port, false);

    // Without fallback: the text stops, and the error says so.
    let mut pieces = 0;
    let mut killed = false;
    let outcome = assistant.ask(&request, &CancelToken::new(), &mut |event| {
        if let AnswerEvent::Text(_) = event {
            pieces += 1;
            if pieces == 3 && !killed {
                server.kill();
                killed = true;
            }
        }
    });
    assert!(killed, "the answer ended before the third piece");
    match outcome {
        Err(Error::Backend(BackendError::StreamBroken { endpoint, .. })) => {
            assert!(endpoint.contains("mlx"), "{endpoint}")
        }
        other => panic!("expected a broken stream, got {other:?}"),
    }

    // With fallback: a Fallback event, then the built-in model answers from the start. The
    // server is gone now, so the failure is at connection time.
    let mut events = Vec::new();
    let answer = assistant
        .ask(
            &AskRequest {
                fallback: Some(true),
                ..request.clone()
            },
            &CancelToken::new(),
            &mut |e| events.push(e),
        )
        .unwrap();
    let (fallback_at, reason) = fallback_event(&events);
    assert!(reason.contains("cannot reach"), "{reason}");
    assert_eq!(text_of(&events[fallback_at..]).trim(), answer.text);
    assert_eq!(answer.stats.backend, LOCAL);
    assert_eq!(answer.stats.fallback.as_deref(), Some(reason));
    assert!(answer.grounded && !answer.text.is_empty());
}

#[test]
fn a_server_dying_mid_answer_falls_back_when_the_endpoint_allows_it() {
    let Some(mut server) = start_server() else {
        return;
    };
    // Fallback allowed when it was added.
    let (_fixture, assistant, request) = warmed_on_server(server.port, true);

    let mut events: Vec<AnswerEvent> = Vec::new();
    let mut pieces = 0;
    let answer = assistant
        .ask(&request, &CancelToken::new(), &mut |event| {
            if let AnswerEvent::Text(_) = &event {
                pieces += 1;
                if pieces == 3 {
                    server.kill();
                }
            }
            events.push(event);
        })
        .unwrap();
    let (fallback_at, reason) = fallback_event(&events);
    // Some text had streamed from the server before it died; it is void.
    assert!(!text_of(&events[..fallback_at]).is_empty());
    assert!(reason.contains("stopped part way"), "{reason}");
    assert_eq!(text_of(&events[fallback_at + 1..]).trim(), answer.text);
    // The void text's sentences are forgotten: the checked ones are the new answer's.
    let checked: String = answer
        .grounding
        .sentences
        .iter()
        .map(|sentence| sentence.text.as_str())
        .collect();
    assert_eq!(checked, text_of(&events[fallback_at + 1..]));
    assert_eq!(answer.stats.backend, LOCAL);
    assert!(answer.stats.fallback.is_some());
    // What is stored is the built-in model's answer.
    let store = assistant.store().unwrap();
    let messages = store.messages(answer.conversation).unwrap();
    assert_eq!(messages[1].content, answer.text);
    assert_eq!(messages[1].model.as_deref(), Some("smollm2"));
}

#[test]
fn a_stalled_server_times_out_and_a_missing_model_is_named() {
    let Some(server) = start_server() else { return };
    let fixture = Fixture::new();
    fixture.index(false);
    add(&fixture, &endpoint("mlx", server.port, None, false));
    add(
        &fixture,
        &endpoint("wrong-model", server.port, Some("no-such-model"), false),
    );
    let assistant = open(&fixture, 300, Timeouts::default());

    // A model the server does not have: the message lists what it has.
    let outcome = assistant.ask(
        &AskRequest {
            question: QUESTION.into(),
            backend: Some("wrong-model".into()),
            ..AskRequest::default()
        },
        &CancelToken::new(),
        &mut |_| {},
    );
    match outcome {
        Err(Error::Backend(BackendError::ModelMissing {
            model, available, ..
        })) => {
            assert_eq!(model, "no-such-model");
            assert!(
                available.iter().any(|m| m.ends_with("smollm2")),
                "{available:?}"
            );
        }
        other => panic!("expected a missing model, got {other:?}"),
    }
    // The failed first question leaves no empty conversation behind.
    assert!(
        assistant
            .store()
            .unwrap()
            .conversations()
            .unwrap()
            .is_empty()
    );

    // A server that stops sending (SIGSTOP) is given up on after the idle timeout.
    let request = AskRequest {
        question: "Summarise the conditions of the MPL for distributing Covered Software.".into(),
        backend: Some("mlx".into()),
        ..AskRequest::default()
    };
    // Warmed with the default timeouts (a CPU server reads the prompt slowly the first time;
    // the second time it comes from its prompt cache), then asked with an 8 s idle limit.
    assistant
        .ask(&request, &CancelToken::new(), &mut |_| {})
        .unwrap();
    drop(assistant);
    let timeouts = Timeouts {
        idle: Duration::from_secs(8),
        ..Timeouts::default()
    };
    let assistant = open(&fixture, 300, timeouts);
    let mut stopped_at = None;
    let outcome = assistant.ask(&request, &CancelToken::new(), &mut |event| {
        if let AnswerEvent::Text(_) = event
            && stopped_at.is_none()
        {
            server.signal("STOP");
            stopped_at = Some(Instant::now());
        }
    });
    server.signal("CONT");
    let waited = stopped_at.expect("no text arrived").elapsed();
    match outcome {
        Err(Error::Backend(BackendError::Timeout { seconds, .. })) => assert_eq!(seconds, 8),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        waited >= Duration::from_secs(7) && waited < Duration::from_secs(60),
        "{waited:?}"
    );
}

#[test]
fn an_endpoint_stored_with_a_public_address_is_refused_before_any_connection() {
    // No server needed: the address policy runs before a socket is opened.
    let fixture = Fixture::new();
    fixture.index(false);
    let public = Endpoint {
        name: "cloud".into(),
        url: EndpointUrl::parse("http://8.8.8.8:80").unwrap(),
        model: Some("m".into()),
        allow_public: false,
        fallback_local: false,
    };
    add(&fixture, &public);
    let assistant = open(&fixture, 16, Timeouts::default());
    let started = Instant::now();
    let outcome = assistant.ask(
        &AskRequest {
            question: QUESTION.into(),
            backend: Some("cloud".into()),
            ..AskRequest::default()
        },
        &CancelToken::new(),
        &mut |_| {},
    );
    assert!(
        matches!(
            outcome,
            Err(Error::Backend(BackendError::Address(
                AddressError::Public { .. }
            )))
        ),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    // And an unknown backend name is an error, not a silent local answer.
    let outcome = assistant.ask(
        &AskRequest {
            question: QUESTION.into(),
            backend: Some("nowhere".into()),
            ..AskRequest::default()
        },
        &CancelToken::new(),
        &mut |_| {},
    );
    assert!(matches!(
        outcome,
        Err(Error::Backend(BackendError::NoSuchBackend { .. }))
    ));
}
