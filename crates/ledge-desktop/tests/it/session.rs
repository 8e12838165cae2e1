//! The session over a real index, real licence texts and the real SmolLM2 model: background
//! indexing with progress, pause and resume, answers streamed while indexing steps aside,
//! conversations, "forget everything".

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ledge_core::backend::AddressClass;
use ledge_core::backend::manage::NewBackend;
use ledge_core::{AskRequest, AssistantSettings, DataDir, DataDirSource};
use ledge_desktop::view::IndexingPhase;
use ledge_desktop::{AskEvent, Events, IndexingState, ModelState, Session, SessionConfig};
use ledge_llm::import::{ImportOptions, import_gguf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

static MODELS: OnceLock<tempfile::TempDir> = OnceLock::new();

/// Statics are never dropped: the shared model is removed when the test binary exits.
extern "C" fn remove_models() {
    if let Some(dir) = MODELS.get() {
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

/// SmolLM2 imported once for all tests (the folder `ledge models import` would make).
fn models() -> &'static Path {
    MODELS
        .get_or_init(|| {
            ledge_llm::Runtime::init().unwrap();
            let dir = tempfile::tempdir().unwrap();
            // SAFETY: registers a function that takes and captures nothing.
            unsafe { libc::atexit(remove_models) };
            let gguf = repo().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
            assert!(
                gguf.is_file(),
                "test model missing: run `scripts/setup.sh models`"
            );
            let options = ImportOptions {
                name: Some("smollm2".into()),
                ..ImportOptions::default()
            };
            import_gguf(&gguf, dir.path(), &options, |_| {}).unwrap();
            dir
        })
        .path()
}

/// Everything the session reported.
#[derive(Default)]
struct Recorder {
    indexing: Mutex<Vec<IndexingState>>,
    model: Mutex<Vec<ModelState>>,
    /// Called with each model state as it is reported (on the reporting thread).
    on_model: Mutex<Option<ModelHook>>,
}

type ModelHook = Box<dyn Fn(&ModelState) + Send>;

impl Events for Recorder {
    fn indexing(&self, state: &IndexingState) {
        self.indexing.lock().unwrap().push(state.clone());
    }
    fn model(&self, state: &ModelState) {
        self.model.lock().unwrap().push(state.clone());
        if let Some(hook) = self.on_model.lock().unwrap().as_ref() {
            hook(state);
        }
    }
}

struct Fixture {
    _temp: tempfile::TempDir,
    docs: PathBuf,
    session: Session,
    events: Arc<Recorder>,
}

const LICENCES: &[&str] = &[
    "Apache-2.0",
    "MPL-2.0",
    "BSD",
    "CC0-1.0",
    "Artistic",
    "GPL-3",
];

fn fixture(with_model: bool) -> Fixture {
    let temp = tempfile::tempdir().unwrap();
    let docs = temp.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    for name in LICENCES {
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
    let data_dir = DataDir::open(temp.path().join("home"), DataDirSource::LedgeHome).unwrap();
    let events = Arc::new(Recorder::default());
    let session = Session::open(
        SessionConfig {
            data_dir,
            extra_model_dirs: if with_model {
                vec![models().to_path_buf()]
            } else {
                Vec::new()
            },
            settings: AssistantSettings {
                answer_tokens: 24,
                ..AssistantSettings::default()
            },
        },
        events.clone(),
    )
    .unwrap();
    Fixture {
        _temp: temp,
        docs,
        session,
        events,
    }
}

fn digest(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_folder_indexes_in_the_background_with_progress_and_is_searchable() {
    let f = fixture(false);
    assert_eq!(f.session.model_state(), ModelState::None);
    f.session.add_folder(&f.docs).unwrap();
    assert!(f.session.wait_indexed(Duration::from_secs(300)));

    let folders = f.session.folders().unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].files, LICENCES.len() as u64);
    assert!(folders[0].chunks > LICENCES.len() as u64);
    assert!(folders[0].indexed_at.is_some());

    let states = f.events.indexing.lock().unwrap().clone();
    assert!(
        states.iter().any(|s| s.running
            && s.phase == IndexingPhase::Scanning
            && s.total == Some(LICENCES.len() as u64)),
        "no scanning progress among {states:?}"
    );
    let last = states.last().unwrap();
    assert!(
        !last.running && last.phase == IndexingPhase::Idle,
        "{last:?}"
    );
    assert_eq!(last.summary(), "Index up to date");

    let hits = f.session.search("Mozilla Public License", 5).unwrap();
    assert!(!hits.is_empty());
    assert_eq!(hits[0].title, "MPL-2.0.txt");
    assert!(hits[0].lines.is_some() && !hits[0].snippet.is_empty());

    // A file edited while the app runs is picked up by the watcher.
    std::fs::write(
        f.docs.join("notes.md"),
        "# Notes\n\nThe zebrafish quota is seven.\n",
    )
    .unwrap();
    let found = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        f.session.wait_indexed(Duration::from_secs(30));
        !f.session.search("zebrafish quota", 3).unwrap().is_empty()
    });
    assert!(found, "the watcher did not index a new file within 20 s");
}

#[test]
fn pausing_stops_indexing_until_resumed_and_nothing_is_lost() {
    let f = fixture(false);
    f.session.pause_indexing();
    f.session.add_folder(&f.docs).unwrap();
    assert!(
        !f.session.wait_indexed(Duration::from_millis(800)),
        "indexed while paused"
    );
    let state = f.session.indexing();
    assert!(state.paused && state.running, "{state:?}");
    assert_eq!(state.summary(), "Indexing paused");
    assert!(f.session.folders().unwrap().iter().all(|f| f.files == 0));

    f.session.resume_indexing();
    assert!(f.session.wait_indexed(Duration::from_secs(300)));
    let folders = f.session.folders().unwrap();
    assert_eq!(folders[0].files, LICENCES.len() as u64);
    assert!(!f.session.indexing().paused);
}

#[test]
fn a_folders_own_exclusions_take_files_out_of_the_index_and_back() {
    let f = fixture(false);
    f.session.add_folder(&f.docs).unwrap();
    assert!(f.session.wait_indexed(Duration::from_secs(300)));
    let folder = f.session.folders().unwrap().remove(0);
    assert_eq!(folder.files, LICENCES.len() as u64);
    assert!(folder.exclude.is_empty());
    let gpl_hits = |session: &Session| {
        session
            .search("GNU General Public License", 20)
            .unwrap()
            .iter()
            .filter(|hit| hit.title == "GPL-3.txt")
            .count()
    };
    assert!(gpl_hits(&f.session) > 0);

    // A broken glob is refused and changes nothing.
    let path = PathBuf::from(&folder.path);
    assert!(
        f.session
            .set_folder_exclusions(&path, vec!["[".into()])
            .is_err()
    );
    f.session
        .set_folder_exclusions(&path, vec![" GPL-* ".into(), String::new()])
        .unwrap();
    assert!(f.session.wait_indexed(Duration::from_secs(300)));
    let folder = f.session.folders().unwrap().remove(0);
    assert_eq!(folder.exclude, ["GPL-*"]);
    assert_eq!(folder.files, LICENCES.len() as u64 - 1);
    assert_eq!(gpl_hits(&f.session), 0, "the excluded file left the index");

    // Without the exclusion the file comes back.
    f.session.set_folder_exclusions(&path, Vec::new()).unwrap();
    assert!(f.session.wait_indexed(Duration::from_secs(300)));
    assert_eq!(f.session.folders().unwrap()[0].files, LICENCES.len() as u64);
    assert!(gpl_hits(&f.session) > 0);
    assert!(
        f.session
            .set_folder_exclusions(&f.docs.join("nowhere"), Vec::new())
            .is_err()
    );
}

fn collect_answer(session: &Session, question: &str, conversation: Option<i64>) -> Vec<AskEvent> {
    collect_answer_with(session, question, conversation, None)
}

fn collect_answer_with(
    session: &Session,
    question: &str,
    conversation: Option<i64>,
    backend: Option<&str>,
) -> Vec<AskEvent> {
    collect_request(
        session,
        AskRequest {
            question: question.to_owned(),
            conversation,
            backend: backend.map(str::to_owned),
            ..AskRequest::default()
        },
    )
}

/// The events of one answer, through `done` or `error`. When the conversation is announced,
/// it must already be in the list (the chat shows it while the answer is written).
fn collect_request(session: &Session, request: AskRequest) -> Vec<AskEvent> {
    let (send, receive) = mpsc::channel();
    session
        .ask(
            request,
            Box::new(move |event| {
                let _ = send.send(event);
            }),
        )
        .unwrap();
    let mut events = Vec::new();
    while let Ok(event) = receive.recv_timeout(Duration::from_secs(600)) {
        let last = matches!(event, AskEvent::Done { .. } | AskEvent::Error { .. });
        if let AskEvent::Started { conversation_id } = event {
            assert!(
                session
                    .conversations()
                    .unwrap()
                    .iter()
                    .any(|c| c.id == conversation_id),
                "conversation {conversation_id} announced but not listed"
            );
        }
        events.push(event);
        if last {
            break;
        }
    }
    events
}

#[test]
fn answers_stream_with_sources_while_indexing_steps_aside_and_conversations_persist() {
    let f = fixture(true);
    assert_eq!(f.session.model_state(), ModelState::NotLoaded);
    f.session.add_folder(&f.docs).unwrap();
    assert!(f.session.wait_indexed(Duration::from_secs(300)));
    // More to index, queued before the question: the question must not wait for it.
    let more = f.docs.parent().unwrap().join("more");
    std::fs::create_dir(&more).unwrap();
    for name in ["GPL-2", "LGPL-2.1", "LGPL-3", "GFDL-1.3"] {
        std::fs::copy(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/common-licenses"
            ))
            .join(name),
            more.join(format!("{name}.txt")),
        )
        .unwrap();
    }
    f.session.add_folder(&more).unwrap();

    let events = collect_answer(
        &f.session,
        "Under the Mozilla Public License, what is a Contributor?",
        None,
    );
    let AskEvent::Started { conversation_id } = events[0] else {
        panic!("the conversation must come first: {events:?}");
    };
    let AskEvent::Sources { sources } = &events[1] else {
        panic!("sources must come before any text: {events:?}");
    };
    assert!(!sources.is_empty());
    assert!(
        sources.iter().any(|s| s.title == "MPL-2.0.txt"),
        "{sources:?}"
    );
    assert!(sources.iter().all(|s| s.number >= 1 && s.lines.is_some()));
    assert!(sources.iter().any(|s| !s.snippet.is_empty()));
    let streamed: String = events
        .iter()
        .filter_map(|e| match e {
            AskEvent::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let Some(AskEvent::Done { answer }) = events.last() else {
        panic!("no done event: {:?}", events.last());
    };
    assert_eq!(answer.text, streamed, "the streamed pieces are the answer");
    assert_eq!(answer.conversation_id, conversation_id);
    assert!(!answer.nothing_found);
    assert!(answer.answer_tokens > 0 && answer.first_token_ms.is_some());
    let states = f.events.model.lock().unwrap().clone();
    assert!(
        matches!(states.last(), Some(ModelState::Ready { model }) if model == "smollm2"),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .any(|s| matches!(s, ModelState::Loading { .. }))
    );

    // The queued folder is indexed after the answer, completely.
    assert!(f.session.wait_indexed(Duration::from_secs(300)));
    let folders = f.session.folders().unwrap();
    assert_eq!(
        folders.iter().map(|f| f.files).sum::<u64>(),
        LICENCES.len() as u64 + 4
    );

    // A follow-up continues the conversation; both turns are stored.
    let follow = collect_answer(
        &f.session,
        "And who may modify it?",
        Some(answer.conversation_id),
    );
    assert!(
        matches!(follow.last(), Some(AskEvent::Done { .. })),
        "{:?}",
        follow.last()
    );
    let conversations = f.session.conversations().unwrap();
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0].messages, 4);
    let messages = f.session.conversation(answer.conversation_id).unwrap();
    assert_eq!(messages[0].role, "user");
    assert_eq!(messages[1].text, answer.text);
    assert_eq!(messages[1].sources.len(), sources.len());

    // Regenerate: the last answer is answered again and replaced, the first one kept.
    let again = collect_request(
        &f.session,
        AskRequest {
            question: "And who may modify it?".to_owned(),
            conversation: Some(answer.conversation_id),
            replace_last: true,
            ..AskRequest::default()
        },
    );
    let Some(AskEvent::Done { answer: again }) = again.last() else {
        panic!("{again:?}");
    };
    let after = f.session.conversation(answer.conversation_id).unwrap();
    assert_eq!(after.len(), 4, "regenerate must not add a turn");
    assert_eq!(after[1].id, messages[1].id, "the first answer is kept");
    assert_eq!(after[2].text, "And who may modify it?");
    assert_eq!(
        after[3].id, again.message_id,
        "the last answer is the new one"
    );
    assert_eq!(after[3].text, again.text);

    // Stop: the answer ends early, with what was written kept.
    let (send, receive) = mpsc::channel();
    let session = f.session.clone();
    let id = f
        .session
        .ask(
            AskRequest {
                question: "Summarise the GNU General Public License in detail.".to_owned(),
                ..AskRequest::default()
            },
            Box::new(move |event| {
                let _ = send.send(event);
            }),
        )
        .unwrap();
    let mut stopped = None;
    while let Ok(event) = receive.recv_timeout(Duration::from_secs(600)) {
        if matches!(event, AskEvent::Text { .. }) {
            session.stop_answer(id);
        }
        if let AskEvent::Done { answer } = event {
            stopped = Some(answer);
            break;
        }
    }
    let stopped = stopped.expect("a stopped answer still ends with done");
    assert!(
        stopped.answer_tokens < 24,
        "stop did not stop: {} tokens",
        stopped.answer_tokens
    );

    // Forget everything: Ledge's data goes, the person's files and the models stay.
    let before = digest(&f.docs);
    f.session.forget_everything().unwrap();
    assert!(f.session.conversations().unwrap().is_empty());
    assert!(f.session.folders().unwrap().is_empty());
    assert_eq!(digest(&f.docs), before);
    assert!(
        f.session
            .models()
            .unwrap()
            .iter()
            .any(|m| m.name == "smollm2")
    );
    assert!(f.session.search("Mozilla", 5).unwrap().is_empty());
    assert_eq!(f.session.model_state(), ModelState::NotLoaded);
}

#[test]
fn a_model_downloads_from_the_hub_with_progress_and_installs() {
    use std::io::BufRead as _;
    let f = fixture(false);
    let served = models().join("smollm2");
    let mut hub = std::process::Command::new("python3")
        .arg(repo().join("tests/reference/mock_hub.py"))
        .args([
            "--repo",
            &format!("HuggingFaceTB/SmolLM2={}", served.display()),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(hub.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().strip_prefix("PORT ").unwrap().to_owned();
    let endpoint = ledge_core::download::Hub {
        endpoint: format!("http://127.0.0.1:{port}"),
        token: None,
    };

    let error = f
        .session
        .download_model(&endpoint, "nobody/nothing", None)
        .unwrap_err();
    assert!(error.to_string().contains("nobody/nothing"), "{error}");

    // Cancelled once the weights have started to arrive: nothing is installed, and the
    // next attempt resumes (below).
    let session = f.session.clone();
    *f.events.on_model.lock().unwrap() = Some(Box::new(move |state| {
        if let ModelState::Loading { step } = state
            && step.contains(" %")
            && !step.contains(": 0 %")
        {
            session.cancel_download();
        }
    }));
    let error = f
        .session
        .download_model(
            &endpoint,
            "HuggingFaceTB/SmolLM2",
            Some("downloaded".into()),
        )
        .unwrap_err();
    *f.events.on_model.lock().unwrap() = None;
    assert!(error.to_string().contains("cancelled"), "{error}");
    assert!(
        !f.session
            .models()
            .unwrap()
            .iter()
            .any(|m| m.name == "downloaded")
    );
    assert!(matches!(
        f.events.model.lock().unwrap().last(),
        Some(ModelState::NotLoaded | ModelState::None)
    ));
    let installed = f
        .session
        .download_model(
            &endpoint,
            "HuggingFaceTB/SmolLM2",
            Some("downloaded".into()),
        )
        .unwrap();
    let _ = hub.kill();
    let _ = hub.wait();

    assert_eq!(
        std::fs::read(installed.join("config.json")).unwrap(),
        std::fs::read(served.join("config.json")).unwrap()
    );
    let models = f.session.models().unwrap();
    assert!(
        models
            .iter()
            .any(|m| m.name == "downloaded" && m.problem.is_none()),
        "{models:?}"
    );
    // Progress reached the UI as model states, and the state came back to a real one.
    let states = f.events.model.lock().unwrap().clone();
    let steps: Vec<String> = states
        .iter()
        .filter_map(|s| match s {
            ModelState::Loading { step } => Some(step.clone()),
            _ => None,
        })
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s.contains("Downloading HuggingFaceTB/SmolLM2: ") && s.contains(" %")),
        "{steps:?}"
    );
    assert!(
        steps.iter().any(|s| s.starts_with("Checking that")),
        "{steps:?}"
    );
    assert_eq!(states.last(), Some(&ModelState::NotLoaded));
}

/// A loopback port nothing listens on (bound, then released).
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn endpoints_are_chosen_per_conversation_and_fall_back_to_the_built_in_model() {
    let f = fixture(true);
    let names = |session: &Session| -> Vec<(String, bool)> {
        let list = session.backends(false).unwrap();
        list.backends
            .into_iter()
            .map(|b| (b.name, b.is_default))
            .collect()
    };
    assert_eq!(names(&f.session), [("local".to_owned(), true)]);

    // A checked add of a server that does not answer is refused, and nothing is kept.
    let studio = NewBackend {
        name: "studio".into(),
        url: format!("127.0.0.1:{}", dead_port()),
        fallback_local: true,
        check: true,
        ..NewBackend::default()
    };
    let error = f.session.add_backend(studio.clone()).unwrap_err();
    assert!(error.to_string().contains("cannot reach"), "{error}");
    assert_eq!(names(&f.session).len(), 1);
    let added = f
        .session
        .add_backend(NewBackend {
            check: false,
            ..studio
        })
        .unwrap();
    assert_eq!(added.placement, AddressClass::Loopback.to_string());
    assert!(added.warnings.is_empty(), "{:?}", added.warnings);
    let error = f.session.test_backend("studio").unwrap_err();
    assert!(error.to_string().contains("cannot reach"), "{error}");

    // Asked on the endpoint, which fails: the built-in model answers, and says why.
    f.session.add_folder(&f.docs).unwrap();
    assert!(f.session.wait_indexed(Duration::from_secs(300)));
    let events = collect_answer_with(
        &f.session,
        "What does the Apache License say about trademarks?",
        None,
        Some("studio"),
    );
    let fallback = events
        .iter()
        .position(|e| matches!(e, AskEvent::Fallback { .. }));
    let first_text = events
        .iter()
        .position(|e| matches!(e, AskEvent::Text { .. }));
    assert!(
        matches!((fallback, first_text), (Some(f), Some(t)) if f < t),
        "the fallback is announced before the built-in model's text: {events:?}"
    );
    let Some(AskEvent::Done { answer }) = events.last() else {
        panic!("{events:?}");
    };
    assert_eq!(answer.backend, "local");
    assert!(
        answer
            .fallback
            .as_deref()
            .is_some_and(|r| r.contains("cannot reach")),
        "{answer:?}"
    );
    // The conversation keeps the endpoint it was asked on.
    let conversation = answer.conversation_id;
    assert_eq!(
        f.session.conversation_backend(conversation).unwrap(),
        "studio"
    );

    // Switched to the built-in model, a follow-up does not try the endpoint.
    f.session
        .set_conversation_backend(conversation, "local")
        .unwrap();
    let events = collect_answer(&f.session, "And about patents?", Some(conversation));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AskEvent::Fallback { .. }))
    );
    let Some(AskEvent::Done { answer }) = events.last() else {
        panic!("{events:?}");
    };
    assert_eq!(
        (answer.backend.as_str(), answer.fallback.as_ref()),
        ("local", None)
    );
    assert!(
        f.session
            .set_conversation_backend(conversation, "nowhere")
            .is_err()
    );

    // The default follows the person's choice; removing the endpoint restores the built-in one.
    f.session.set_default_backend("studio").unwrap();
    assert_eq!(
        names(&f.session),
        [("local".to_owned(), false), ("studio".to_owned(), true)]
    );
    f.session
        .set_conversation_backend(conversation, "studio")
        .unwrap();
    f.session.remove_backend("studio").unwrap();
    assert_eq!(names(&f.session), [("local".to_owned(), true)]);
    assert_eq!(
        f.session.conversation_backend(conversation).unwrap(),
        "local"
    );
}

#[test]
fn empty_questions_are_errors_and_no_chat_model_still_answers_from_the_sources() {
    let f = fixture(false);
    let error = f
        .session
        .ask(
            AskRequest {
                question: "   ".to_owned(),
                ..AskRequest::default()
            },
            Box::new(|_| {}),
        )
        .unwrap_err();
    assert!(error.to_string().contains("question"), "{error}");
    // Without a chat model the question is still answered, from the sources alone (nothing
    // is indexed here, so: nothing found), and the app keeps offering a model.
    let events = collect_answer(&f.session, "What is the BSD licence?", None);
    let Some(AskEvent::Done { answer }) = events.last() else {
        panic!("{events:?}");
    };
    assert!(answer.nothing_found, "{answer:?}");
    assert!(answer.grounding.sentences.is_empty());
    assert!(
        events.iter().any(|e| matches!(e, AskEvent::Quotes { .. })),
        "{events:?}"
    );
    assert_eq!(f.session.model_state(), ModelState::None);
    assert_eq!(f.session.conversations().unwrap().len(), 1);
}
