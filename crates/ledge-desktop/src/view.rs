//! What the UI is shown: the JSON shapes of the desktop IPC contract (`ui/src/ipc.ts` mirrors
//! them), built from the core's types. Field names are camelCase on the wire.

use std::path::Path;

use ledge_core::backend::manage::{AddedBackend, BackendList, BackendTest};
use ledge_core::catalog::{Fit, ModelKind, Recommendation};
use ledge_core::grounding::{CheckedSentence, Grounding, Quote, Support};
use ledge_core::registry::{ModelEntry, ModelRole};
use ledge_core::store::{Conversation, Speaker, StoredMessage};
use ledge_core::{Answer, Source};
use ledge_index::{ChunkRecord, FolderInfo};
use serde::Serialize;

/// Where the chat model stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ModelState {
    /// No chat model is installed.
    None,
    /// Installed, not loaded yet (it loads on the first question, or at start).
    NotLoaded,
    /// Loading; `step` says what, in words.
    Loading {
        /// What is being loaded.
        step: String,
    },
    /// Loaded and answering.
    Ready {
        /// Its name.
        model: String,
    },
    /// Loading failed; `message` says why and what to do.
    Failed {
        /// The reason.
        message: String,
    },
}

/// What background indexing is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IndexingPhase {
    /// Nothing to do.
    #[default]
    Idle,
    /// Reading files.
    Scanning,
    /// Turning passages into vectors.
    Embedding,
}

/// Background indexing, as the tray and the settings show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexingState {
    /// Whether a job is under way (or waiting while paused).
    pub running: bool,
    /// Whether the person paused indexing.
    pub paused: bool,
    /// What it is doing.
    pub phase: IndexingPhase,
    /// The folder being worked on.
    pub folder: Option<String>,
    /// Files (scanning) or passages (embedding) done.
    pub done: u64,
    /// Out of; `None` while unknown.
    pub total: Option<u64>,
    /// The file being read.
    pub current: Option<String>,
    /// The last job's failure, in words.
    pub last_error: Option<String>,
}

impl IndexingState {
    /// One line for the tray menu: "Indexing Documents: 120 of 300 files", "Indexing paused".
    pub fn summary(&self) -> String {
        let folder = self
            .folder
            .as_deref()
            .map(|f| file_name(Path::new(f)))
            .unwrap_or_default();
        let counts = match (self.phase, self.total) {
            (IndexingPhase::Embedding, Some(total)) => {
                format!(": {} of {total} passages", self.done)
            }
            (IndexingPhase::Scanning, Some(total)) => format!(": {} of {total} files", self.done),
            _ => String::new(),
        };
        match (self.running, self.paused, self.phase) {
            (_, true, _) => "Indexing paused".to_owned(),
            (true, false, IndexingPhase::Embedding) => format!("Learning {folder}{counts}"),
            (true, false, _) => format!("Indexing {folder}{counts}"),
            (false, false, _) => match &self.last_error {
                Some(error) => format!("Indexing stopped: {error}"),
                None => "Index up to date".to_owned(),
            },
        }
    }
}

/// Everything the UI needs to draw itself at start.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppState {
    /// Ledge's version.
    pub version: String,
    /// `macos`, `linux` or `windows`.
    pub platform: &'static str,
    /// The data folder.
    pub data_dir: String,
    /// Whether the first-run onboarding was completed.
    pub onboarded: bool,
    /// The default chat model.
    pub chat_model: Option<String>,
    /// The embedding model.
    pub embedder: Option<String>,
    /// Where the chat model stands.
    pub model: ModelState,
    /// The global hotkey.
    pub hotkey: String,
    /// Why the hotkey is not working, when it is not.
    pub hotkey_problem: Option<String>,
    /// Whether Ledge starts at login.
    pub launch_at_login: bool,
    /// Background indexing.
    pub indexing: IndexingState,
}

/// A numbered source of an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    /// The `n` of `[n]`.
    pub number: usize,
    /// The file.
    pub path: String,
    /// Its name.
    pub title: String,
    /// First and last line, 1-based; `None` for paged formats.
    pub lines: Option<(u32, u32)>,
    /// PDF page, 1-based.
    pub page: Option<u32>,
    /// The passage's text (may be empty for pinned files read from disk).
    pub snippet: String,
    /// Whether the answer cites it itself.
    pub cited: bool,
    /// Whether Ledge matched a sentence to it that the model left uncited.
    pub matched: bool,
}

impl SourceView {
    /// `source` with the passage text `snippet`.
    pub fn new(source: &Source, snippet: String) -> SourceView {
        SourceView {
            number: source.n,
            path: source.path.display().to_string(),
            title: file_name(&source.path),
            lines: source
                .page
                .is_none()
                .then_some((source.line_start, source.line_end)),
            page: source.page,
            snippet,
            cited: source.cited,
            matched: source.matched,
        }
    }
}

/// A sentence of the extractive answer, quoted from a source.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteView {
    /// The source's number.
    pub number: usize,
    /// The sentence, verbatim.
    pub text: String,
    /// The line of the file it starts on (1-based); `None` for paged formats.
    pub line: Option<u32>,
    /// The PDF page.
    pub page: Option<u32>,
}

impl From<&Quote> for QuoteView {
    fn from(quote: &Quote) -> QuoteView {
        QuoteView {
            number: quote.n,
            text: quote.text.clone(),
            line: quote.page.is_none().then_some(quote.line),
            page: quote.page,
        }
    }
}

/// A sentence of the model's answer as Ledge checked it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentenceView {
    /// The sentence as written, whitespace included: the sentences joined give the answer.
    pub text: String,
    /// `supported`, `unsupported` or `noClaim`.
    pub support: &'static str,
    /// The sources the model cited in it.
    pub cited: Vec<usize>,
    /// The source Ledge matched it to, where the model cited none (shown apart).
    pub matched: Option<usize>,
    /// The source sentence that backs it (or comes closest).
    pub evidence: Option<String>,
    /// Why it is not supported.
    pub reason: Option<String>,
}

impl From<&CheckedSentence> for SentenceView {
    fn from(sentence: &CheckedSentence) -> SentenceView {
        SentenceView {
            text: sentence.text.clone(),
            support: match sentence.support {
                Support::Supported => "supported",
                Support::Unsupported => "unsupported",
                Support::NoClaim => "noClaim",
            },
            cited: sentence.cited.clone(),
            matched: sentence.matched,
            evidence: sentence.evidence.clone(),
            reason: sentence.reason.clone(),
        }
    }
}

/// What Ledge checked of an answer, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroundingView {
    /// The extractive answer.
    pub quotes: Vec<QuoteView>,
    /// The answer, sentence by sentence, with each one's support.
    pub sentences: Vec<SentenceView>,
    /// Most of the answer's claims are unsupported: the UI says so above it.
    pub mostly_unsupported: bool,
}

impl From<&Grounding> for GroundingView {
    fn from(grounding: &Grounding) -> GroundingView {
        GroundingView {
            quotes: grounding.quotes.iter().map(QuoteView::from).collect(),
            sentences: grounding.sentences.iter().map(SentenceView::from).collect(),
            mostly_unsupported: grounding.support.mostly_unsupported,
        }
    }
}

/// The longest snippet sent with a source; the UI shows a few lines of it.
pub const SNIPPET_CHARS: usize = 600;

/// The first [`SNIPPET_CHARS`] characters of a chunk's text, whitespace collapsed.
pub fn snippet_of(record: &ChunkRecord) -> String {
    let mut out = String::new();
    for word in record.text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > SNIPPET_CHARS {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A finished answer, without its sources (they were sent first).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerSummary {
    /// The conversation it belongs to.
    pub conversation_id: i64,
    /// The stored answer.
    pub message_id: i64,
    /// The whole answer.
    pub text: String,
    /// The source numbers the answer cites.
    pub cited: Vec<usize>,
    /// The source numbers Ledge matched to sentences the model left uncited.
    pub matched: Vec<usize>,
    /// The extractive answer and each sentence's support.
    pub grounding: GroundingView,
    /// The files held nothing on the question; the text says so.
    pub nothing_found: bool,
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Tokens in the answer.
    pub answer_tokens: usize,
    /// Question to first answer token, when a model ran.
    pub first_token_ms: Option<u64>,
    /// Question to the end.
    pub total_ms: u64,
    /// The backend that answered: `local` (the built-in runtime) or an endpoint's name.
    pub backend: String,
    /// Where the answer was computed, in words.
    pub computed_on: String,
    /// When the endpoint failed and the built-in model answered instead: why.
    pub fallback: Option<String>,
}

impl From<&Answer> for AnswerSummary {
    fn from(answer: &Answer) -> AnswerSummary {
        let stats = &answer.stats;
        AnswerSummary {
            conversation_id: answer.conversation,
            message_id: answer.message_id,
            text: answer.text.clone(),
            cited: answer
                .sources
                .iter()
                .filter(|s| s.cited)
                .map(|s| s.n)
                .collect(),
            matched: answer
                .sources
                .iter()
                .filter(|s| s.matched)
                .map(|s| s.n)
                .collect(),
            grounding: GroundingView::from(&answer.grounding),
            nothing_found: !answer.grounded,
            prompt_tokens: stats.prompt_tokens,
            answer_tokens: stats.answer_tokens,
            first_token_ms: (answer.grounded && stats.answer_tokens > 0)
                .then_some(stats.time_to_first_token_ms.round() as u64),
            total_ms: stats.total_ms.round() as u64,
            backend: stats.backend.clone(),
            computed_on: stats.computed_on.clone(),
            fallback: stats.fallback.clone(),
        }
    }
}

/// What an answer streams to the UI.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum AskEvent {
    /// The first event: the conversation the answer goes to (a new one exists from now on).
    #[serde(rename_all = "camelCase")]
    Started {
        /// Its id.
        conversation_id: i64,
    },
    /// The sources, before any text.
    Sources {
        /// Numbered sources.
        sources: Vec<SourceView>,
    },
    /// The extractive answer: source sentences that answer the question, before the model
    /// writes (empty when none does).
    Quotes {
        /// Best first.
        quotes: Vec<QuoteView>,
    },
    /// The next piece of the answer.
    Text {
        /// Append it.
        text: String,
    },
    /// A sentence of the answer completed and was checked against the sources.
    Checked {
        /// The sentence and its support.
        sentence: SentenceView,
    },
    /// The chosen endpoint failed part way: the text so far is void and the built-in model
    /// answers again from the start.
    Fallback {
        /// What went wrong with the endpoint, in words.
        reason: String,
    },
    /// The end.
    Done {
        /// The whole answer.
        answer: AnswerSummary,
    },
    /// The end, failed.
    Error {
        /// Why, in words.
        message: String,
    },
}

/// A conversation in the sidebar.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    /// Its id.
    pub id: i64,
    /// The first question, shortened.
    pub title: String,
    /// Last change, unix milliseconds.
    pub updated_at: i64,
    /// Messages in it.
    pub messages: usize,
}

impl ConversationSummary {
    /// `conversation` with its message count.
    pub fn new(conversation: &Conversation, messages: usize) -> ConversationSummary {
        ConversationSummary {
            id: conversation.id,
            title: conversation.title.clone(),
            updated_at: conversation.updated_at.saturating_mul(1000),
            messages,
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// Its id.
    pub id: i64,
    /// `user` or `assistant`.
    pub role: &'static str,
    /// The text.
    pub text: String,
    /// For an answer, its sources.
    pub sources: Vec<SourceView>,
    /// For an answer, the extractive answer and each sentence's support (empty for answers
    /// saved before Ledge checked them).
    pub grounding: GroundingView,
    /// When, unix milliseconds.
    pub created_at: i64,
}

impl MessageView {
    /// `message`, with `snippet` giving each source's passage text.
    pub fn new(message: &StoredMessage, snippet: &dyn Fn(&Source) -> String) -> MessageView {
        MessageView {
            id: message.id,
            role: match message.speaker {
                Speaker::User => "user",
                Speaker::Assistant => "assistant",
            },
            text: message.content.clone(),
            sources: message
                .sources
                .iter()
                .map(|s| SourceView::new(s, snippet(s)))
                .collect(),
            grounding: GroundingView::from(&message.grounding),
            created_at: message.created_at.saturating_mul(1000),
        }
    }
}

/// A search result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHitView {
    /// The file.
    pub path: String,
    /// Its name.
    pub title: String,
    /// Lines, for text.
    pub lines: Option<(u32, u32)>,
    /// Page, for PDF.
    pub page: Option<u32>,
    /// The passage.
    pub snippet: String,
}

impl From<&ChunkRecord> for SearchHitView {
    fn from(record: &ChunkRecord) -> SearchHitView {
        SearchHitView {
            path: record.path.display().to_string(),
            title: file_name(&record.path),
            lines: record
                .page
                .is_none()
                .then_some((record.line_start, record.line_end)),
            page: record.page,
            snippet: snippet_of(record),
        }
    }
}

/// A path that could not be indexed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemView {
    /// The file or folder.
    pub path: String,
    /// Why, in words.
    pub reason: String,
}

/// An indexed folder in the settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderView {
    /// The folder.
    pub path: String,
    /// Files indexed.
    pub files: u64,
    /// Passages.
    pub chunks: u64,
    /// Files and folders that could not be read.
    pub errors: u64,
    /// Those, with reasons.
    pub problems: Vec<ProblemView>,
    /// Last complete scan, unix milliseconds.
    pub indexed_at: Option<i64>,
    /// The person's own exclusions for it (globs).
    pub exclude: Vec<String>,
}

impl FolderView {
    /// `info` with its `problems`.
    pub fn new(info: &FolderInfo, problems: Vec<ProblemView>) -> FolderView {
        FolderView {
            path: info.path.display().to_string(),
            files: info.files_indexed,
            chunks: info.chunks,
            errors: info.files_failed + info.problems,
            problems,
            indexed_at: info.scanned_at.map(|s| s.saturating_mul(1000)),
            exclude: info.options.exclude.clone(),
        }
    }
}

/// How an MCP client launches Ledge's tools (Settings → Other apps).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct McpSetupView {
    /// The program the client runs.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// The `mcpServers` entry, as pretty JSON to paste into the client's configuration.
    pub config: String,
}

impl McpSetupView {
    /// The setup for `command` run with `args`.
    pub fn new(command: &Path, args: &[&str]) -> McpSetupView {
        let config = ledge_mcp::client_config(command, args);
        McpSetupView {
            command: command.display().to_string(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            config: serde_json::to_string_pretty(&config).unwrap_or_default(),
        }
    }
}

/// A recommended model in the welcome and the settings ("Recommended for this computer").
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogModelView {
    /// The name it installs under.
    pub id: String,
    /// `owner/name` on the Hugging Face hub: what the download fetches.
    pub repo: String,
    /// `chat` or `embedding`.
    pub kind: ModelKind,
    /// Parameters ("7B").
    pub params: String,
    /// Download size, about, in bytes.
    pub disk_bytes: u64,
    /// Memory it needs, about, in bytes.
    pub memory_bytes: u64,
    /// Context length in tokens.
    pub context: u32,
    /// Its licence.
    pub licence: String,
    /// One line for people choosing.
    pub note: String,
    /// `fits`, `too-big` or `other-platform`.
    pub fit: Fit,
    /// The one to pick for its kind.
    pub recommended: bool,
    /// Already installed.
    pub installed: bool,
}

impl From<Recommendation> for CatalogModelView {
    fn from(r: Recommendation) -> Self {
        let m = r.model;
        CatalogModelView {
            id: m.id,
            repo: m.repo,
            kind: m.kind,
            params: m.params,
            disk_bytes: m.disk_mb * 1_000_000,
            memory_bytes: m.memory_mb * 1_000_000,
            context: m.context,
            licence: m.licence,
            note: m.note,
            fit: r.fit,
            recommended: r.recommended,
            installed: r.installed,
        }
    }
}

/// An installed model in the settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelView {
    /// Its name.
    pub name: String,
    /// `chat` or `embedding`; `None` when Ledge cannot run it.
    pub role: Option<ModelRole>,
    /// Its architecture.
    pub architecture: Option<String>,
    /// Bytes of weights.
    pub bytes: u64,
    /// Whether it is the default chat model.
    pub is_default: bool,
    /// Why it cannot be used.
    pub problem: Option<String>,
}

impl ModelView {
    /// `entry`, marked default when it is.
    pub fn new(entry: &ModelEntry, is_default: bool) -> ModelView {
        ModelView {
            name: entry.name.clone(),
            role: entry.role,
            architecture: entry.architecture.clone(),
            bytes: entry.bytes,
            is_default,
            problem: entry.problem.clone(),
        }
    }
}

/// A backend in the settings and the chat window's picker.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendView {
    /// Its name (`local`: the built-in model).
    pub name: String,
    /// Its address; `None` for the built-in model.
    pub url: Option<String>,
    /// The model it asks the server for; `None`: the server's only model.
    pub model: Option<String>,
    /// Whether questions use it when none is chosen.
    pub is_default: bool,
    /// Whether the built-in model answers when it fails.
    pub fallback_local: bool,
    /// Whether a public address was allowed for it.
    pub allow_public: bool,
    /// Where it computes, in words, or why its address is refused now.
    pub placement: String,
    /// Whether its address is refused now.
    pub refused: bool,
}

/// A known server found running on this machine.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundServerView {
    /// What usually listens on its port (`LM Studio`, `Ollama`, ...).
    pub product: String,
    /// Its address.
    pub url: String,
    /// The models it lists.
    pub models: Vec<String>,
    /// Why its models could not be listed.
    pub error: Option<String>,
    /// The name it was added under, if it was.
    pub added_as: Option<String>,
}

/// The backends and the servers found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendsView {
    /// The built-in model first, then the endpoints added.
    pub backends: Vec<BackendView>,
    /// Servers found on this machine (empty unless asked for).
    pub found: Vec<FoundServerView>,
}

impl From<BackendList> for BackendsView {
    fn from(list: BackendList) -> BackendsView {
        BackendsView {
            backends: list
                .backends
                .into_iter()
                .map(|b| BackendView {
                    name: b.name,
                    url: b.url,
                    model: b.model,
                    is_default: b.default,
                    fallback_local: b.fallback_local,
                    allow_public: b.allow_public,
                    placement: b.placement,
                    refused: b.refused,
                })
                .collect(),
            found: list
                .found
                .into_iter()
                .map(|f| FoundServerView {
                    product: f.product.to_owned(),
                    url: f.url,
                    models: f.models,
                    error: f.error,
                    added_as: f.added_as,
                })
                .collect(),
        }
    }
}

/// An endpoint just added, with what the person should know.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedBackendView {
    /// Its name.
    pub name: String,
    /// Where it is, in words.
    pub placement: String,
    /// Warnings: a public address, a model the server does not list.
    pub warnings: Vec<String>,
}

impl From<AddedBackend> for AddedBackendView {
    fn from(added: AddedBackend) -> AddedBackendView {
        AddedBackendView {
            name: added.endpoint.name,
            placement: added.class.to_string(),
            warnings: added.warnings,
        }
    }
}

/// What a test answer from an endpoint showed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendTestView {
    /// The model that answered.
    pub model: String,
    /// The address that answered.
    pub address: String,
    /// Where that is, in words.
    pub placement: String,
    /// What it replied.
    pub reply: String,
    /// Milliseconds to the first text.
    pub first_token_ms: f64,
    /// Milliseconds in all.
    pub total_ms: f64,
}

impl From<BackendTest> for BackendTestView {
    fn from(test: BackendTest) -> BackendTestView {
        BackendTestView {
            model: test.model,
            address: test.address,
            placement: test.class.to_string(),
            reply: test.reply,
            first_token_ms: test.first_token_ms,
            total_ms: test.total_ms,
        }
    }
}

/// A file's name, or the whole path when it has none.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
