//! Ledge's tools over the Model Context Protocol, for the MCP clients people already use
//! (desktop chat apps, editors, agents): search the indexed files, ask for a cited answer,
//! read a passage back, list the indexed folders.
//!
//! Two transports serve the same [`LedgeTools`]: stdio ([`serve_stdio`], what a desktop
//! client launches as `ledge mcp`) and MCP's streamable HTTP ([`http_service`], mounted by
//! `ledge serve` at `/mcp` behind its loopback bind and bearer token).
//!
//! Privacy rules this crate keeps: a client reaches only what the person indexed. `read` and
//! the `files` of `ask` accept indexed files only, so the index's exclusions (secrets,
//! denied folders) hold for MCP too; nothing here reads a file from disk by a client's path.
//! What a tool returns may go on to a client's own model, which may not be local: the
//! person chose to connect that client.

mod args;
mod render;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ledge_core::{AnswerEvent, AskRequest, Assistant, DataDir, LoadStep, OpenOptions, ask_stream};
use ledge_llm::generate::CancelToken;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ProgressNotificationParam, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use serde_json::json;
use tokio_util::sync::CancellationToken;

pub use args::{AskArgs, MAX_TEXT_CHARS, ReadArgs, SearchArgs};

/// The most lines `read` returns at once; a longer span says where to go on.
pub const MAX_READ_LINES: u32 = 400;

/// What can go wrong serving MCP.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The stdio session could not start or ended with an error.
    #[error("the MCP session failed: {0}")]
    Session(String),
    /// The assistant could not be opened.
    #[error("cannot start the assistant: {0}")]
    Open(#[from] ledge_core::Error),
}

/// Ledge's MCP server: the tools over one assistant.
#[derive(Debug, Clone)]
pub struct LedgeTools {
    assistant: Arc<Assistant>,
    tool_router: ToolRouter<Self>,
}

/// A tool's failure the client should show the person (MCP's `isError` result).
fn failed(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// A result with text for people and the same facts as structured content for programs.
fn answered(text: String, structured: serde_json::Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(structured);
    result
}

/// Runs blocking core work off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ledge_core::Result<T> + Send + 'static,
) -> Result<ledge_core::Result<T>, ErrorData> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ErrorData::internal_error(format!("the tool stopped: {error}"), None))
}

/// The assistant's index, locked.
fn lock_index(
    assistant: &Assistant,
) -> ledge_core::Result<std::sync::MutexGuard<'_, ledge_index::Index>> {
    assistant
        .index()
        .lock()
        .map_err(|_| ledge_core::Error::Internal("the index lock is poisoned".into()))
}

/// Tells the client how far an answer got, when it asked to be told.
async fn progress(context: &RequestContext<RoleServer>, step: f64, message: &str) {
    if let Some(token) = context.meta.get_progress_token() {
        let note = ProgressNotificationParam::new(token, step)
            .with_total(3.0)
            .with_message(message);
        if let Err(error) = context.peer.notify_progress(note).await {
            tracing::debug!(%error, "progress notification not delivered");
        }
    }
}

#[tool_router]
impl LedgeTools {
    /// The tools over `assistant`.
    pub fn new(assistant: Arc<Assistant>) -> LedgeTools {
        LedgeTools {
            assistant,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        name = "search",
        description = "Search the person's indexed files (by words and, when an embedding model \
                       is installed, by meaning). Returns ranked passages, each with its file, \
                       lines or page, heading and text. Cite passages by file and line.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let limit = args.validate()?;
        let assistant = self.assistant.clone();
        let query = args.query.clone();
        let retrieval = match blocking(move || assistant.search(&query, limit)).await? {
            Ok(retrieval) => retrieval,
            Err(error) => return Ok(failed(format!("Search failed: {error}"))),
        };
        let text = render::passages(&args.query, &retrieval);
        Ok(answered(text, render::passages_json(&retrieval)))
    }

    #[tool(
        name = "ask",
        description = "Ask a question about the person's indexed files. Ledge retrieves \
                       passages, quotes the sentences that answer it (the extractive answer, \
                       verbatim with file and line), and has its local model write an answer \
                       whose sentences are each checked against the sources: cited [n], \
                       matched by Ledge [n†], or marked unverified. Prefer the quotes when they \
                       answer. Pass `conversation` from an earlier answer to follow up.",
        annotations(read_only_hint = false, open_world_hint = false)
    )]
    async fn ask(
        &self,
        Parameters(args): Parameters<AskArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        args.validate()?;
        let files = match self.indexed_files(&args.files).await? {
            Ok(files) => files,
            Err(message) => return Ok(failed(message)),
        };
        let request = AskRequest {
            question: args.question.clone(),
            conversation: args.conversation,
            files,
            ..AskRequest::default()
        };
        let cancel = CancelToken::new();
        let mut events = ask_stream(self.assistant.clone(), request, cancel.clone());
        let client_gone: CancellationToken = context.ct.clone();
        let outcome = loop {
            let event = tokio::select! {
                event = events.recv() => event,
                () = client_gone.cancelled() => {
                    // Dropping the receiver also cancels; say it at once so the model stops now.
                    cancel.cancel();
                    return Err(ErrorData::internal_error("the client cancelled the question", None));
                }
            };
            match event {
                Some(AnswerEvent::Sources(sources)) => {
                    let message = format!("{} passages found", sources.len());
                    progress(&context, 1.0, &message).await;
                }
                Some(AnswerEvent::Quotes(_)) => progress(&context, 2.0, "quotes ready").await,
                Some(AnswerEvent::Done(outcome)) => break *outcome,
                Some(_) => {}
                None => {
                    return Err(ErrorData::internal_error(
                        "the answer ended without a result",
                        None,
                    ));
                }
            }
        };
        progress(&context, 3.0, "answered").await;
        match outcome {
            Ok(answer) => {
                let text = format!(
                    "{}\n(conversation {}: pass it as `conversation` to follow up)",
                    ledge_core::render::answer_text(&answer).trim_end(),
                    answer.conversation
                );
                let structured = serde_json::to_value(&answer).map_err(|error| {
                    ErrorData::internal_error(format!("cannot encode the answer: {error}"), None)
                })?;
                Ok(answered(text, structured))
            }
            Err(error) => Ok(failed(format!("Ledge could not answer: {error}"))),
        }
    }

    #[tool(
        name = "read",
        description = "Read lines of an indexed file as Ledge extracted it (PDF, HTML, office \
                       documents and text alike), to see a cited passage in context. Give \
                       `start_line` and `end_line` (1-based, inclusive), or `page` for a PDF. \
                       Only files in Ledge's index can be read.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn read(
        &self,
        Parameters(args): Parameters<ReadArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let span = args.span()?;
        let path = PathBuf::from(&args.path);
        let assistant = self.assistant.clone();
        let read = blocking(move || {
            let index = lock_index(&assistant)?;
            Ok(index.read_excerpt(&path, span, MAX_READ_LINES)?)
        })
        .await?;
        match read {
            Ok(Some(excerpt)) => match render::excerpt(&excerpt, span) {
                Ok(text) => Ok(answered(text, json!(excerpt))),
                Err(message) => Ok(failed(message)),
            },
            Ok(None) => Ok(failed(format!(
                "{} is not in Ledge's index: only indexed files can be read (list_folders shows \
                 the indexed folders).",
                args.path
            ))),
            Err(error) => Ok(failed(format!("Cannot read {}: {error}", args.path))),
        }
    }

    #[tool(
        name = "list_folders",
        description = "List the folders Ledge has indexed, with their files, passages, files \
                       that could not be read, when each was last scanned, and how many \
                       passages can be found by meaning.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_folders(&self) -> Result<CallToolResult, ErrorData> {
        let assistant = self.assistant.clone();
        let listed = blocking(move || {
            let embedder_id = match assistant.embedder() {
                Some(embedder) => Some(
                    embedder
                        .lock()
                        .map_err(|_| {
                            ledge_core::Error::Internal("the embedder lock is poisoned".into())
                        })?
                        .id()
                        .to_owned(),
                ),
                None => None,
            };
            let index = lock_index(&assistant)?;
            let folders = index.folders()?;
            let embedded = match embedder_id {
                Some(id) => {
                    let (searchable, total) = index.embedding_status(&id)?;
                    let (current, _) = index.embedding_progress(&id)?;
                    Some(render::Reach {
                        searchable,
                        current,
                        total,
                    })
                }
                None => None,
            };
            Ok((folders, embedded))
        })
        .await?;
        match listed {
            Ok((folders, embedded)) => Ok(answered(
                render::folders(&folders, embedded),
                render::folders_json(&folders, embedded),
            )),
            Err(error) => Ok(failed(format!("Cannot list the indexed folders: {error}"))),
        }
    }
}

impl LedgeTools {
    /// `files` as paths, each of which must be an indexed file; otherwise the message for
    /// the client.
    async fn indexed_files(
        &self,
        files: &[String],
    ) -> Result<Result<Vec<PathBuf>, String>, ErrorData> {
        if files.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let paths: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
        let assistant = self.assistant.clone();
        let checked = blocking(move || {
            let index = lock_index(&assistant)?;
            let mut missing = Vec::new();
            for path in &paths {
                if !index.is_indexed(path)? {
                    missing.push(path.display().to_string());
                }
            }
            Ok((paths, missing))
        })
        .await?;
        Ok(match checked {
            Ok((paths, missing)) if missing.is_empty() => Ok(paths),
            Ok((_, missing)) => Err(format!(
                "Not in Ledge's index: {}. Ledge answers from indexed files only.",
                missing.join(", ")
            )),
            Err(error) => Err(format!("Cannot check the files: {error}")),
        })
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for LedgeTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("ledge", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "Ledge answers from the person's own files, indexed on this computer, with a \
                 local model ({}). Use `search` to find passages, `ask` for a cited answer, \
                 `read` to see a passage in context, `list_folders` for what is indexed. Cite \
                 files and lines as Ledge gives them; treat sentences marked unverified as \
                 unverified.",
                self.assistant.model_name()
            ))
    }
}

/// Serves the tools over stdin/stdout until the client closes them. Nothing else may write
/// to stdout meanwhile: it carries the protocol.
pub async fn serve_stdio(assistant: Arc<Assistant>) -> Result<(), Error> {
    let service = LedgeTools::new(assistant)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|error| Error::Session(error.to_string()))?;
    service
        .waiting()
        .await
        .map_err(|error| Error::Session(error.to_string()))?;
    Ok(())
}

/// Opens the assistant from `data_dir` as `options` say and serves it over stdio until the
/// client closes the session: what `ledge mcp` and `ledge-app --mcp` run. Loading is told on
/// stderr (stdout carries the protocol).
pub fn run_stdio(
    data_dir: &DataDir,
    extra_model_dirs: Vec<PathBuf>,
    options: OpenOptions,
) -> Result<(), Error> {
    let assistant = Assistant::open(
        data_dir,
        extra_model_dirs,
        options,
        &mut |step| match step {
            LoadStep::Index => {}
            LoadStep::ChatModel(name) | LoadStep::Embedder(name) => eprintln!("loading {name}…"),
        },
    )?;
    eprintln!(
        "Ledge's MCP tools on stdio (search, ask, read, list_folders), answering with {}",
        assistant.model_name()
    );
    serve_stdio_blocking(assistant)
}

/// [`serve_stdio`] on a runtime of its own: returns when the client closes the session.
pub fn serve_stdio_blocking(assistant: Assistant) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::Session(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(serve_stdio(Arc::new(assistant)))
}

/// What a desktop MCP client's configuration needs to launch Ledge's stdio server (the
/// `mcpServers` entry Claude Desktop and most clients read): `command` with `args`.
pub fn client_config(command: &std::path::Path, args: &[&str]) -> serde_json::Value {
    json!({
        "mcpServers": {
            "ledge": {
                "command": command.to_string_lossy(),
                "args": args,
            }
        }
    })
}

/// The tools as MCP's streamable HTTP service, for an HTTP server to mount (`ledge serve`
/// puts it at `/mcp`). It accepts loopback `Host`s only (rmcp's default, against DNS
/// rebinding); the caller adds authentication and binds to loopback.
pub fn http_service(
    assistant: Arc<Assistant>,
    shutdown: CancellationToken,
) -> StreamableHttpService<LedgeTools, LocalSessionManager> {
    // No browser page may call it (a present `Origin` is refused): MCP clients send none.
    let config = StreamableHttpServerConfig::default()
        .with_cancellation_token(shutdown)
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        .enforce_origin_validation();
    StreamableHttpService::new(
        move || Ok(LedgeTools::new(assistant.clone())),
        Arc::default(),
        config,
    )
}
