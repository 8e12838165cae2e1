//! Answers end to end: index a real corpus, ask SmolLM2, stream, cite, persist, follow up,
//! pin files, cancel.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ledge_core::assistant::NOTHING_FOUND;
use ledge_core::citation::cited_numbers;
use ledge_core::store::Speaker;
use ledge_core::{
    AnswerEvent, AskRequest, Assistant, AssistantSettings, EmbedderChoice, OpenOptions, ask_stream,
};
use ledge_llm::generate::CancelToken;

use crate::support::{Fixture, models};

fn open(fixture: &Fixture, embedder: EmbedderChoice, answer_tokens: usize) -> Assistant {
    let settings = AssistantSettings {
        answer_tokens,
        context_tokens: 2048,
        source_tokens: 700,
        // The sources as retrieval ranks them, however loaded the machine is (the time
        // budget has its own test in grounding.rs).
        first_token_target: Duration::from_secs(3600),
        ..AssistantSettings::default()
    };
    let options = OpenOptions {
        chat_model: None,
        embedder,
        settings,
    };
    let mut steps = Vec::new();
    let assistant = Assistant::open(
        &fixture.data_dir,
        vec![models().to_path_buf()],
        options,
        &mut |step| steps.push(step),
    )
    .unwrap();
    assert!(!steps.is_empty());
    assistant
}

fn ask(assistant: &Assistant, request: &AskRequest) -> (ledge_core::Answer, Vec<AnswerEvent>) {
    let mut events = Vec::new();
    let answer = assistant
        .ask(request, &CancelToken::new(), &mut |event| {
            events.push(event)
        })
        .unwrap();
    // The conversation is announced first (created by then, for a new question).
    let AnswerEvent::Started { conversation } = events.remove(0) else {
        panic!("the first event must name the conversation: {events:?}");
    };
    assert_eq!(conversation, answer.conversation);
    (answer, events)
}

#[test]
fn an_answer_streams_after_its_sources_cites_them_and_is_saved() {
    let fixture = Fixture::new();
    fixture.index(true);
    let assistant = open(&fixture, EmbedderChoice::Auto, 48);
    let request = AskRequest {
        question: "Under the Apache License, when do the patent licenses granted to me terminate?"
            .into(),
        ..AskRequest::default()
    };
    let (answer, events) = ask(&assistant, &request);

    // Sources first, then the text in pieces that add up to the answer.
    let AnswerEvent::Sources(sources) = &events[0] else {
        panic!("first event: {:?}", events[0]);
    };
    assert_eq!(sources.len(), answer.sources.len());
    assert!(
        sources.iter().any(|s| s.path.ends_with("apache-2.0.txt")),
        "{sources:?}"
    );
    // The extractive answer next, before any text.
    let AnswerEvent::Quotes(quotes) = &events[1] else {
        panic!("second event: {:?}", events[1]);
    };
    assert_eq!(quotes, &answer.grounding.quotes);
    let mut streamed = String::new();
    let mut checked = String::new();
    for event in &events[2..] {
        match event {
            AnswerEvent::Text(piece) => streamed.push_str(piece),
            AnswerEvent::Checked(sentence) => {
                checked.push_str(&sentence.text);
                assert!(
                    streamed.starts_with(&checked),
                    "a sentence is checked after the text that completed it"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(streamed.trim(), answer.text);
    assert_eq!(
        checked, streamed,
        "the checked sentences add up to the answer"
    );
    assert!(answer.grounded);
    assert!(!answer.text.is_empty());
    assert!(answer.stats.prompt_tokens > 200);
    assert!(answer.stats.answer_tokens > 0 && answer.stats.answer_tokens <= 48);

    // Every source has a real location; `cited` says exactly which [n] the text uses.
    let cited = cited_numbers(&answer.text, answer.sources.len());
    for source in &answer.sources {
        assert!(source.line_start >= 1 && source.line_end >= source.line_start);
        assert!(source.chunk_id.is_some());
        assert_eq!(source.cited, cited.contains(&source.n));
    }

    // The turn is in the database, sources included, and survives reopening it.
    drop(assistant);
    let store = ledge_core::open_store(&fixture.data_dir).unwrap();
    let messages = store.messages(answer.conversation).unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].speaker, Speaker::User);
    assert_eq!(messages[0].content, request.question);
    assert_eq!(messages[1].content, answer.text);
    assert_eq!(messages[1].sources, answer.sources);
    assert_eq!(messages[1].model.as_deref(), Some("smollm2"));
}

#[test]
fn a_follow_up_reuses_the_conversation_and_the_cached_prefix() {
    let fixture = Fixture::new();
    fixture.index(false);
    let assistant = open(&fixture, EmbedderChoice::Off, 24);
    let (first, _) = ask(
        &assistant,
        &AskRequest {
            question: "What does the Artistic License say about charging a copying fee?".into(),
            ..AskRequest::default()
        },
    );
    let (second, _) = ask(
        &assistant,
        &AskRequest {
            question: "And may I charge for support of the Package?".into(),
            conversation: Some(first.conversation),
            ..AskRequest::default()
        },
    );
    eprintln!("first {:?}\nsecond {:?}", first.stats, second.stats);
    assert_eq!(second.conversation, first.conversation);
    // The first prompt (system rules, sources, question) is replayed, so its keys and values
    // are reused rather than computed again.
    assert!(
        second.stats.reused_tokens >= first.stats.prompt_tokens,
        "reused {} of a first prompt of {}",
        second.stats.reused_tokens,
        first.stats.prompt_tokens
    );
    assert!(second.stats.prompt_tokens > first.stats.prompt_tokens);
    let store = assistant.store().unwrap();
    assert_eq!(store.messages(first.conversation).unwrap().len(), 4);
    assert_eq!(store.conversations().unwrap().len(), 1);
}

#[test]
fn nothing_found_is_said_plainly_without_running_the_model() {
    let fixture = Fixture::new();
    fixture.index(true);
    let assistant = open(&fixture, EmbedderChoice::Auto, 32);
    let (answer, events) = ask(
        &assistant,
        &AskRequest {
            question: "quokka xylophone zeppelin recipe".into(),
            ..AskRequest::default()
        },
    );
    assert!(!answer.grounded);
    assert_eq!(answer.text, NOTHING_FOUND);
    assert!(answer.sources.is_empty());
    assert_eq!(answer.stats.stop, "nothing_found");
    assert_eq!(answer.stats.prompt_tokens, 0);
    assert!(matches!(&events[0], AnswerEvent::Sources(s) if s.is_empty()));
}

#[test]
fn pinned_files_are_answered_from_even_when_not_indexed() {
    let fixture = Fixture::new();
    fixture.index(false);
    let assistant = open(
        &fixture,
        EmbedderChoice::Named("all-MiniLM-L6-v2".into()),
        16,
    );

    // A small file fits whole: every passage, in order, from its first line.
    let small = fixture.outside.join("bsd-copy.txt");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/common-licenses/BSD"
        ),
        &small,
    )
    .unwrap();
    let (answer, _) = ask(
        &assistant,
        &AskRequest {
            question: "What does this file allow?".into(),
            files: vec![small.clone()],
            ..AskRequest::default()
        },
    );
    assert!(!answer.sources.is_empty());
    assert!(
        answer
            .sources
            .iter()
            .all(|s| s.path == small.canonicalize().unwrap())
    );
    assert!(
        answer.sources.iter().all(|s| s.chunk_id.is_none()),
        "read, not indexed"
    );
    assert_eq!(answer.sources[0].line_start, 1);
    let last = answer.sources.last().unwrap();
    let lines = std::fs::read_to_string(&small).unwrap().lines().count() as u32;
    assert!(
        last.line_end >= lines - 1,
        "ends at {} of {lines}",
        last.line_end
    );

    // A large one does not fit: the passages about the question are chosen.
    let large = fixture.outside.join("gpl-3.txt");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/common-licenses/GPL-3"
        ),
        &large,
    )
    .unwrap();
    let (answer, _) = ask(
        &assistant,
        &AskRequest {
            question: "What Installation Information must be provided with a User Product?".into(),
            files: vec![large.clone()],
            ..AskRequest::default()
        },
    );
    assert!(
        answer
            .sources
            .iter()
            .all(|s| s.path == large.canonicalize().unwrap())
    );
    let text = std::fs::read_to_string(&large).unwrap();
    let installation_line = text
        .lines()
        .position(|l| l.contains("\"Installation Information\" for a User Product"))
        .unwrap() as u32
        + 1;
    assert!(
        answer.sources[..2.min(answer.sources.len())]
            .iter()
            .any(|s| (s.line_start..=s.line_end).contains(&installation_line)),
        "line {installation_line} not in the first sources: {:?}",
        answer.sources
    );
    // An indexed file comes from the index.
    let indexed = fixture.corpus.join("mpl-2.0.txt");
    let (answer, _) = ask(
        &assistant,
        &AskRequest {
            question: "What is a Larger Work?".into(),
            files: vec![indexed],
            ..AskRequest::default()
        },
    );
    assert!(answer.sources.iter().all(|s| s.chunk_id.is_some()));

    // A file that is not there is a clear error, and the assistant keeps working.
    let missing = assistant.ask(
        &AskRequest {
            question: "Anything?".into(),
            files: vec![Path::new("/nonexistent/file.txt").to_path_buf()],
            ..AskRequest::default()
        },
        &CancelToken::new(),
        &mut |_| {},
    );
    assert!(
        missing
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/file.txt")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_is_cancelled_when_the_listener_goes_away() {
    let fixture = Fixture::new();
    fixture.index(false);
    let assistant = Arc::new(open(&fixture, EmbedderChoice::Off, 400));
    let request = AskRequest {
        question: "Summarise the conditions of the MPL for distributing Covered Software.".into(),
        ..AskRequest::default()
    };
    let mut events = ask_stream(assistant.clone(), request.clone(), CancelToken::new());
    // The conversation, sources, then the first piece of text: then hang up.
    assert!(matches!(
        events.recv().await,
        Some(AnswerEvent::Started { .. })
    ));
    assert!(matches!(events.recv().await, Some(AnswerEvent::Sources(_))));
    assert!(matches!(events.recv().await, Some(AnswerEvent::Quotes(_))));
    assert!(matches!(events.recv().await, Some(AnswerEvent::Text(_))));
    drop(events);

    // The answer stops early and is saved as far as it got (its conversation exists from the
    // start; the turn arrives when the answer ends).
    let started = Instant::now();
    let messages = loop {
        let saved = {
            let store = assistant.store().unwrap();
            let conversations = store.conversations().unwrap();
            assert_eq!(conversations.len(), 1);
            store.messages(conversations[0].id).unwrap()
        };
        if saved.len() == 2 {
            break saved;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "never saved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stats = messages[1].stats.as_ref().unwrap();
    assert_eq!(stats["stop"], "cancelled");
    assert!(stats["answer_tokens"].as_u64().unwrap() < 400);

    // The model is free again: the next question is answered in full.
    let mut events = ask_stream(
        assistant.clone(),
        AskRequest {
            question: "What is Covered Software?".into(),
            ..request
        },
        CancelToken::new(),
    );
    let mut done = None;
    while let Some(event) = events.recv().await {
        if let AnswerEvent::Done(outcome) = event {
            done = Some(outcome);
        }
    }
    let answer = (*done.unwrap()).unwrap();
    assert!(answer.grounded);
}
