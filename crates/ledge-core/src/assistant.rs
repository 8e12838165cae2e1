//! The assistant: a question in, a streamed answer with citations out.
//!
//! One question runs: retrieval (hybrid, or inside the pinned files) → prompt assembly within
//! the model's budget → generation, streamed as [`AnswerEvent`]s → citations resolved → the
//! turn saved to its conversation. When nothing relevant is found the assistant says so
//! itself instead of letting the model improvise.
//!
//! Everything here blocks (SQLite, tantivy, MLX); [`ask_stream`] runs a question on a
//! blocking thread and streams its events over a tokio channel, one channel per question.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ledge_index::{ChunkRecord, Index};
use ledge_llm::generate::{CancelToken, GenerationParams, Generator, StopReason};
use ledge_llm::sampling::SamplingParams;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::citation::{Source, cited_numbers};
use crate::embedding::EmbeddingModel;
use crate::prompt::{Budget, Candidate, PastTurn, assemble};
use crate::retrieve::{QueryEmbedder, Retrieval, RetrievalSettings, retrieve};
use crate::store::{ConversationId, Speaker, Store, Turn};
use crate::{Error, Result, pinned};

/// What the assistant answers when no passage was found.
pub const NOTHING_FOUND: &str =
    "I could not find anything about this in your indexed files, so I cannot answer it from them.";

/// How answers are made.
#[derive(Debug, Clone)]
pub struct AssistantSettings {
    /// Retrieval depth and spread.
    pub retrieval: RetrievalSettings,
    /// The longest answer, in tokens.
    pub answer_tokens: usize,
    /// The prompt and answer together stay within this many tokens (and the model's window).
    pub context_tokens: usize,
    /// At most this many tokens of sources per question (room is left for follow-ups).
    pub source_tokens: usize,
    /// How tokens are chosen (greedy by default: answers from files should not be creative).
    pub sampling: SamplingParams,
}

impl Default for AssistantSettings {
    fn default() -> Self {
        AssistantSettings {
            retrieval: RetrievalSettings::default(),
            answer_tokens: 512,
            context_tokens: 4096,
            source_tokens: 2048,
            sampling: SamplingParams {
                repetition_penalty: 1.1,
                ..SamplingParams::default()
            },
        }
    }
}

/// A question.
#[derive(Debug, Clone, Default)]
pub struct AskRequest {
    /// The question.
    pub question: String,
    /// Continue this conversation; `None` starts a new one.
    pub conversation: Option<ConversationId>,
    /// Files to answer from ("Ask about this file"); empty: the whole index.
    pub files: Vec<PathBuf>,
}

/// What an answer streams.
#[derive(Debug)]
pub enum AnswerEvent {
    /// The sources given to the model, before any text.
    Sources(Vec<Source>),
    /// The next piece of the answer.
    Text(String),
    /// The end: the whole answer, or what went wrong.
    Done(Box<Result<Answer>>),
}

/// Figures of one answer.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerStats {
    /// Retrieval time, milliseconds.
    pub retrieval_ms: f64,
    /// From the question to the first answer token, milliseconds.
    pub time_to_first_token_ms: f64,
    /// The whole answer, milliseconds.
    pub total_ms: f64,
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Of those, reused from the previous question's cache.
    pub reused_tokens: usize,
    /// Tokens of the answer.
    pub answer_tokens: usize,
    /// Answer tokens per second after the first.
    pub tokens_per_second: f64,
    /// Earlier turns left out to fit the window.
    pub dropped_turns: usize,
    /// Why generation ended: `end`, `max_tokens`, `context_full`, `cancelled`, `stop`,
    /// or `nothing_found` when no model ran.
    pub stop: String,
}

/// A finished answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The conversation it belongs to.
    pub conversation: ConversationId,
    /// The stored answer message.
    pub message_id: i64,
    /// The answer.
    pub text: String,
    /// The sources given to the model; `cited` says which the answer refers to.
    pub sources: Vec<Source>,
    /// Whether any passage was found to answer from.
    pub grounded: bool,
    /// The model that answered.
    pub model: String,
    /// How it went.
    pub stats: AnswerStats,
}

/// The assistant: an index, a chat model, an optional embedder and the conversation store.
#[derive(Debug)]
pub struct Assistant {
    index: Arc<Mutex<Index>>,
    generator: Arc<Mutex<Generator>>,
    model_name: String,
    embedder: Option<Arc<Mutex<EmbeddingModel>>>,
    store: Mutex<Store>,
    settings: AssistantSettings,
}

fn lock<T>(mutex: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| Error::Internal("a previous question panicked; restart Ledge".into()))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn label(record: &ChunkRecord) -> String {
    let name = record
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| record.path.display().to_string());
    let place = match record.page {
        Some(page) => format!("page {page}"),
        None => format!("lines {}-{}", record.line_start, record.line_end),
    };
    if record.heading.is_empty() {
        format!("{name}, {place}")
    } else {
        format!("{name}, {place}, {}", record.heading)
    }
}

fn stop_word(stop: &StopReason) -> &'static str {
    match stop {
        StopReason::EndOfText => "end",
        StopReason::StopString(_) => "stop",
        StopReason::MaxTokens => "max_tokens",
        StopReason::ContextFull => "context_full",
        StopReason::Cancelled => "cancelled",
    }
}

impl Assistant {
    /// An assistant over `index`, answering with `generator` (named `model_name`), searching
    /// by meaning too when `embedder` is given, keeping conversations in `store`.
    pub fn new(
        index: Arc<Mutex<Index>>,
        generator: Arc<Mutex<Generator>>,
        model_name: String,
        embedder: Option<Arc<Mutex<EmbeddingModel>>>,
        store: Store,
        settings: AssistantSettings,
    ) -> Assistant {
        Assistant {
            index,
            generator,
            model_name,
            embedder,
            store: Mutex::new(store),
            settings,
        }
    }

    /// The conversation store.
    pub fn store(&self) -> Result<MutexGuard<'_, Store>> {
        lock(&self.store)
    }

    /// The index.
    pub fn index(&self) -> &Arc<Mutex<Index>> {
        &self.index
    }

    /// The chat model, shared with anything else that generates (the local API).
    pub fn generator(&self) -> &Arc<Mutex<Generator>> {
        &self.generator
    }

    /// The chat model's name.
    pub fn model_name(&self) -> &str {
        &self.model_name
    }

    /// The embedding model, when one is loaded.
    pub fn embedder(&self) -> Option<&Arc<Mutex<EmbeddingModel>>> {
        self.embedder.as_ref()
    }

    /// The passages that best match `query`, as retrieval for a question would find them.
    pub fn search(&self, query: &str, limit: usize) -> Result<Retrieval> {
        let settings = RetrievalSettings {
            passages: limit,
            depth: self.settings.retrieval.depth.max(limit),
            ..self.settings.retrieval.clone()
        };
        let index = lock(&self.index)?;
        match &self.embedder {
            Some(embedder) => {
                let mut embedder = lock(embedder)?;
                let embedder: &mut dyn QueryEmbedder = &mut *embedder;
                retrieve(&index, Some(embedder), query, &settings)
            }
            None => retrieve(&index, None, query, &settings),
        }
    }

    fn history(&self, conversation: Option<ConversationId>) -> Result<Vec<PastTurn>> {
        let Some(id) = conversation else {
            return Ok(Vec::new());
        };
        let store = lock(&self.store)?;
        if store.conversation(id)?.is_none() {
            return Err(Error::NoSuchConversation { id });
        }
        let messages = store.messages(id)?;
        let mut turns = Vec::new();
        let mut pending: Option<String> = None;
        for message in messages {
            match message.speaker {
                Speaker::User => {
                    pending = Some(message.prompt_content.unwrap_or(message.content));
                }
                Speaker::Assistant => {
                    if let Some(prompt_content) = pending.take() {
                        turns.push(PastTurn {
                            prompt_content,
                            answer: message.content,
                        });
                    }
                }
            }
        }
        Ok(turns)
    }

    /// The candidate passages for a question, best first (or, for pinned files that fit,
    /// in file order).
    fn candidates(&self, request: &AskRequest) -> Result<Vec<ChunkRecord>> {
        if !request.files.is_empty() {
            return pinned::passages(&*lock(&self.index)?, &request.files);
        }
        let retrieval = self.search(&request.question, self.settings.retrieval.passages)?;
        Ok(retrieval.passages.into_iter().map(|p| p.chunk).collect())
    }

    /// Answers `request`, calling `on_event` with the sources and each piece of text, and
    /// saves the turn. A cancelled answer is saved as far as it got.
    pub fn ask(
        &self,
        request: &AskRequest,
        cancel: &CancelToken,
        on_event: &mut dyn FnMut(AnswerEvent),
    ) -> Result<Answer> {
        let started = Instant::now();
        let question = request.question.trim();
        if question.is_empty() {
            return Err(Error::EmptyQuestion);
        }
        let history = self.history(request.conversation)?;
        let mut records = self.candidates(request)?;
        let retrieval_time = started.elapsed();

        let mut generator = lock(&self.generator)?;
        let budget = Budget {
            context_tokens: self.settings.context_tokens.min(generator.context_length()),
            answer_tokens: self.settings.answer_tokens,
            source_tokens: self.settings.source_tokens,
        };
        let to_candidates = |records: &[ChunkRecord]| -> Vec<Candidate> {
            records
                .iter()
                .map(|record| Candidate {
                    label: label(record),
                    text: record.text.clone(),
                })
                .collect()
        };
        let mut prompt = assemble(
            generator.tokenizer(),
            &history,
            question,
            &to_candidates(&records),
            budget,
        )?;
        if !request.files.is_empty() && prompt.included.len() < records.len() {
            // The pinned files do not fit whole: their best passages instead.
            let embedder = match &self.embedder {
                Some(embedder) => Some(lock(embedder)?),
                None => None,
            };
            let order = pinned::rank(&records, question, embedder.as_deref())?;
            records = order.into_iter().map(|i| records[i].clone()).collect();
            prompt = assemble(
                generator.tokenizer(),
                &history,
                question,
                &to_candidates(&records),
                budget,
            )?;
        }
        let mut sources: Vec<Source> = prompt
            .included
            .iter()
            .enumerate()
            .map(|(k, &index)| {
                let record = &records[index];
                Source {
                    n: k + 1,
                    path: record.path.clone(),
                    line_start: record.line_start,
                    line_end: record.line_end,
                    page: record.page,
                    heading: record.heading.clone(),
                    chunk_id: (record.chunk_id >= 0).then_some(record.chunk_id),
                    cited: false,
                }
            })
            .collect();
        on_event(AnswerEvent::Sources(sources.clone()));

        let grounded = !sources.is_empty();
        let (text, stats) = if grounded {
            let params = GenerationParams {
                max_tokens: self.settings.answer_tokens,
                sampling: self.settings.sampling.clone(),
                stop: Vec::new(),
            };
            let mut on_text = |piece: &str| on_event(AnswerEvent::Text(piece.to_owned()));
            let generation = generator.generate(&prompt.tokens, &params, cancel, &mut on_text)?;
            let stats = AnswerStats {
                retrieval_ms: ms(retrieval_time),
                time_to_first_token_ms: ms(retrieval_time + generation.stats.time_to_first_token),
                total_ms: ms(started.elapsed()),
                prompt_tokens: generation.stats.prompt_tokens,
                reused_tokens: generation.stats.reused_tokens,
                answer_tokens: generation.stats.generated_tokens,
                tokens_per_second: generation.stats.decode_tokens_per_second(),
                dropped_turns: prompt.dropped_turns,
                stop: stop_word(&generation.stats.stop).to_owned(),
            };
            (generation.text.trim().to_owned(), stats)
        } else {
            on_event(AnswerEvent::Text(NOTHING_FOUND.to_owned()));
            let elapsed = ms(started.elapsed());
            let stats = AnswerStats {
                retrieval_ms: ms(retrieval_time),
                time_to_first_token_ms: elapsed,
                total_ms: elapsed,
                prompt_tokens: 0,
                reused_tokens: 0,
                answer_tokens: 0,
                tokens_per_second: 0.0,
                dropped_turns: 0,
                stop: "nothing_found".to_owned(),
            };
            (NOTHING_FOUND.to_owned(), stats)
        };
        drop(generator);

        let cited = cited_numbers(&text, sources.len());
        for source in &mut sources {
            source.cited = cited.contains(&source.n);
        }
        let mut store = lock(&self.store)?;
        let conversation = match request.conversation {
            Some(id) => id,
            None => store.create_conversation(question)?,
        };
        let message_id = store.save_turn(
            conversation,
            &Turn {
                question,
                prompt_content: &prompt.user_content,
                answer: &text,
                model: &self.model_name,
                sources: &sources,
                stats: serde_json::to_value(&stats).unwrap_or(serde_json::Value::Null),
            },
        )?;
        tracing::info!(
            conversation,
            sources = sources.len(),
            cited = cited.len(),
            prompt_tokens = stats.prompt_tokens,
            reused = stats.reused_tokens,
            ttft_ms = stats.time_to_first_token_ms,
            "answered"
        );
        Ok(Answer {
            conversation,
            message_id,
            text,
            sources,
            grounded,
            model: self.model_name.clone(),
            stats,
        })
    }
}

/// Answers on a blocking thread and streams the events; the last is always
/// [`AnswerEvent::Done`]. Dropping the receiver cancels the answer. Must be called within a
/// tokio runtime.
pub fn ask_stream(
    assistant: Arc<Assistant>,
    request: AskRequest,
    cancel: CancelToken,
) -> mpsc::Receiver<AnswerEvent> {
    let (sender, receiver) = mpsc::channel(64);
    tokio::task::spawn_blocking(move || {
        let mut on_event = |event: AnswerEvent| {
            if sender.blocking_send(event).is_err() {
                cancel.cancel();
            }
        };
        let outcome = assistant.ask(&request, &cancel, &mut on_event);
        let _ = sender.blocking_send(AnswerEvent::Done(Box::new(outcome)));
    });
    receiver
}
