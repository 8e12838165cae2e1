//! The HTTP routes: authentication, body checks, and the handlers, each a translation
//! between the wire format and the core.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use futures_util::stream;
use ledge_core::{AnswerEvent, AskRequest};
use ledge_llm::chat::{Message, Role};
use ledge_llm::generate::{CancelToken, GenerationParams, GenerationStats, StopReason};
use ledge_llm::sampling::SamplingParams;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::openai::*;
use crate::{ServerState, token};

/// The routes, behind the token check and the body limit. `/mcp` is Ledge's MCP server
/// (streamable HTTP, `ledge-mcp`), behind the same token.
pub fn router(state: ServerState) -> Router {
    let limit = state.max_body_bytes;
    let mcp = ledge_mcp::http_service(state.assistant.clone(), state.shutdown.clone());
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/ledge/search", post(search))
        .route("/v1/ledge/ask", post(ask))
        .nest_service("/mcp", mcp)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// An error response in OpenAI's shape.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            code: None,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    fn code(mut self, code: &'static str) -> ApiError {
        self.code = Some(code);
        self
    }

    fn internal(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            message.to_string(),
        )
    }

    fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                message: self.message.clone(),
                kind: self.kind,
                code: self.code,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl From<ledge_core::Error> for ApiError {
    fn from(error: ledge_core::Error) -> ApiError {
        use ledge_core::Error as E;
        match &error {
            E::EmptyQuestion | E::QuestionTooLong { .. } | E::FileUnreadable { .. } => {
                ApiError::invalid(error.to_string())
            }
            E::NoSuchConversation { .. } => ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                error.to_string(),
            ),
            E::Backend(
                ledge_core::backend::BackendError::NoSuchBackend { .. }
                | ledge_core::backend::BackendError::Address(_),
            ) => ApiError::invalid(error.to_string()),
            // The endpoint the answer was asked of failed: a bad gateway, said plainly.
            E::Backend(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "backend_error", error.to_string())
            }
            _ => ApiError::internal(error),
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn next_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        now(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

async fn authenticate(
    State(state): State<ServerState>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    if !token::matches(&state.token, given.trim()) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "missing or wrong API token: send `Authorization: Bearer TOKEN` with the token \
             from the data folder's api-token file",
        )
        .code("invalid_api_key")
        .into_response();
    }
    next.run(request).await
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "no such endpoint",
    )
}

/// The body as JSON of type `T`, or the error a client can act on.
fn parse<T: for<'de> Deserialize<'de>>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "invalid_request_error",
                "the request body is too large",
            )
        } else {
            ApiError::new(status, "invalid_request_error", rejection.body_text())
        }
    })?;
    serde_json::from_slice(&body)
        .map_err(|error| ApiError::invalid(format!("invalid JSON body: {error}")))
}

async fn models(State(state): State<ServerState>) -> Json<ModelList> {
    let mut data = vec![ModelCard {
        id: state.assistant.model_name().to_owned(),
        object: "model",
        created: now(),
        owned_by: "ledge",
    }];
    if let Some(embedder) = state.assistant.embedder()
        && let Ok(embedder) = embedder.lock()
    {
        data.push(ModelCard {
            id: embedder.id().to_owned(),
            object: "model",
            created: now(),
            owned_by: "ledge",
        });
    }
    Json(ModelList {
        object: "list",
        data,
    })
}

/// What a generation thread reports.
enum Generated {
    Started,
    Text(String),
    Finished(GenerationStats),
    Failed(ApiError),
}

fn finish_reason(stop: &StopReason) -> &'static str {
    match stop {
        StopReason::MaxTokens | StopReason::ContextFull => "length",
        _ => "stop",
    }
}

fn chat_messages(request_messages: Vec<ChatMessage>) -> Result<Vec<Message>, ApiError> {
    if request_messages.is_empty() {
        return Err(ApiError::invalid("`messages` is empty"));
    }
    request_messages
        .into_iter()
        .map(|message| {
            let role = match message.role.as_str() {
                "system" | "developer" => Role::System,
                "user" => Role::User,
                "assistant" => Role::Assistant,
                other => {
                    return Err(ApiError::invalid(format!(
                        "messages with role `{other}` are not supported"
                    )));
                }
            };
            let content = match message.content {
                Some(content) => content.text().map_err(|kind| {
                    ApiError::invalid(format!("message parts of type `{kind}` are not supported"))
                })?,
                None => String::new(),
            };
            Ok(Message::new(role, content))
        })
        .collect()
}

async fn chat(State(state): State<ServerState>, body: Result<Bytes, BytesRejection>) -> Response {
    match chat_inner(state, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn chat_inner(
    state: ServerState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let request: ChatRequest = parse(body)?;
    let model = state.assistant.model_name().to_owned();
    if request.model != model {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!(
                "model `{}` is not loaded; this server runs `{model}`",
                request.model
            ),
        )
        .code("model_not_found"));
    }
    let messages = chat_messages(request.messages)?;
    let params = GenerationParams {
        max_tokens: request
            .max_completion_tokens
            .or(request.max_tokens)
            .unwrap_or(512),
        sampling: SamplingParams {
            temperature: request.temperature.unwrap_or(1.0),
            top_p: request.top_p.unwrap_or(1.0),
            seed: request.seed,
            ..SamplingParams::default()
        },
        stop: request.stop.map(Stop::into_vec).unwrap_or_default(),
    };
    params.sampling.validate().map_err(ApiError::invalid)?;
    let include_usage = request.stream_options.is_some_and(|o| o.include_usage);

    let (sender, mut receiver) = mpsc::channel::<Generated>(64);
    let Some(generator) = state.assistant.generator().cloned() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "no chat model is installed: import one with `ledge models import`",
        )
        .code("model_not_found"));
    };
    let cancel = CancelToken::new();
    tokio::task::spawn_blocking(move || {
        let Ok(mut generator) = generator.lock() else {
            let _ = sender.blocking_send(Generated::Failed(ApiError::internal(
                "the model is unusable",
            )));
            return;
        };
        let prompt = match generator.tokenizer().encode_chat(&messages) {
            Ok(prompt) => prompt,
            Err(error) => {
                let _ =
                    sender.blocking_send(Generated::Failed(ApiError::invalid(error.to_string())));
                return;
            }
        };
        if prompt.len() >= generator.context_length() {
            let _ = sender.blocking_send(Generated::Failed(
                ApiError::invalid(format!(
                    "the messages take {} tokens; the model's context is {}",
                    prompt.len(),
                    generator.context_length()
                ))
                .code("context_length_exceeded"),
            ));
            return;
        }
        if sender.blocking_send(Generated::Started).is_err() {
            return;
        }
        let mut on_text = |piece: &str| {
            if sender
                .blocking_send(Generated::Text(piece.to_owned()))
                .is_err()
            {
                // The client hung up.
                cancel.cancel();
            }
        };
        let outcome = generator.generate(&prompt, &params, &cancel, &mut on_text);
        let last = match outcome {
            Ok(generation) => Generated::Finished(generation.stats),
            Err(error) => Generated::Failed(ApiError::internal(error)),
        };
        let _ = sender.blocking_send(last);
    });

    match receiver.recv().await {
        Some(Generated::Started) => {}
        Some(Generated::Failed(error)) => return Err(error),
        _ => return Err(ApiError::internal("the generation ended before it started")),
    }
    let id = next_id("chatcmpl");
    let created = now();
    if !request.stream {
        let mut content = String::new();
        while let Some(event) = receiver.recv().await {
            match event {
                Generated::Text(piece) => content.push_str(&piece),
                Generated::Finished(stats) => {
                    return Ok(Json(ChatCompletion {
                        id,
                        object: "chat.completion",
                        created,
                        model,
                        choices: vec![ChatChoice {
                            index: 0,
                            message: AssistantMessage {
                                role: "assistant",
                                content,
                            },
                            finish_reason: finish_reason(&stats.stop),
                        }],
                        usage: usage(&stats),
                    })
                    .into_response());
                }
                Generated::Failed(error) => return Err(error),
                Generated::Started => {}
            }
        }
        return Err(ApiError::internal("the generation ended without a result"));
    }

    let chunk = move |delta: Delta, finish: Option<&'static str>, usage: Option<Usage>| {
        let choices = if usage.is_some() {
            Vec::new()
        } else {
            vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason: finish,
            }]
        };
        let chunk = ChatChunk {
            id: id.clone(),
            object: "chat.completion.chunk",
            created,
            model: model.clone(),
            choices,
            usage,
        };
        Event::default().data(serde_json::to_string(&chunk).unwrap_or_default())
    };
    let first = chunk(
        Delta {
            role: Some("assistant"),
            content: Some(String::new()),
        },
        None,
        None,
    );
    // One SSE event per generation event; the stream ends after `[DONE]`. Dropping the
    // stream (client gone) drops `receiver`, which cancels the generation.
    let queue = VecDeque::from([first]);
    let events = stream::unfold((Some(receiver), queue), move |(mut receiver, mut queue)| {
        let chunk = chunk.clone();
        async move {
            loop {
                if let Some(event) = queue.pop_front() {
                    return Some((Ok::<_, Infallible>(event), (receiver, queue)));
                }
                let generated = receiver.as_mut()?.recv().await?;
                match generated {
                    Generated::Text(piece) => {
                        let delta = Delta {
                            role: None,
                            content: Some(piece),
                        };
                        queue.push_back(chunk(delta, None, None));
                    }
                    Generated::Finished(stats) => {
                        let reason = finish_reason(&stats.stop);
                        queue.push_back(chunk(Delta::default(), Some(reason), None));
                        if include_usage {
                            queue.push_back(chunk(Delta::default(), None, Some(usage(&stats))));
                        }
                        queue.push_back(Event::default().data("[DONE]"));
                        receiver = None;
                    }
                    Generated::Failed(error) => {
                        let body = serde_json::to_string(&error.body()).unwrap_or_default();
                        queue.push_back(Event::default().event("error").data(body));
                        receiver = None;
                    }
                    Generated::Started => {}
                }
            }
        }
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn usage(stats: &GenerationStats) -> Usage {
    Usage {
        prompt_tokens: stats.prompt_tokens,
        completion_tokens: stats.generated_tokens,
        total_tokens: stats.prompt_tokens + stats.generated_tokens,
    }
}

async fn embeddings(
    State(state): State<ServerState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EmbeddingList>, ApiError> {
    let request: EmbeddingsRequest = parse(body)?;
    let Some(embedder) = state.assistant.embedder().cloned() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "no embedding model is loaded: install one (`ledge models import`) and restart `ledge serve`",
        )
        .code("model_not_found"));
    };
    let texts = match request.input {
        EmbeddingInput::One(text) => vec![text],
        EmbeddingInput::Many(texts) => texts,
    };
    if texts.is_empty() {
        return Err(ApiError::invalid("`input` is empty"));
    }
    let base64 = match request.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "encoding_format `{other}` is not one of float, base64"
            )));
        }
    };
    let (model, vectors) = tokio::task::spawn_blocking(move || {
        let embedder = embedder
            .lock()
            .map_err(|_| ApiError::internal("the embedding model is unusable"))?;
        if request.model != embedder.id() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                format!(
                    "model `{}` is not loaded; the embedding model is `{}`",
                    request.model,
                    embedder.id()
                ),
            )
            .code("model_not_found"));
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&refs).map_err(ApiError::internal)?;
        Ok((embedder.id().to_owned(), vectors))
    })
    .await
    .map_err(ApiError::internal)??;
    let data = vectors
        .into_iter()
        .enumerate()
        .map(|(index, vector)| {
            let embedding = if base64 {
                let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                serde_json::json!(vector)
            };
            EmbeddingItem {
                object: "embedding",
                index,
                embedding,
            }
        })
        .collect();
    Ok(Json(EmbeddingList {
        object: "list",
        data,
        model,
        usage: EmbeddingUsage {
            prompt_tokens: 0,
            total_tokens: 0,
        },
    }))
}

/// `POST /v1/ledge/search`.
#[derive(Debug, Deserialize)]
struct SearchRequest {
    query: String,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    8
}

async fn search(
    State(state): State<ServerState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let request: SearchRequest = parse(body)?;
    if request.limit == 0 || request.limit > 100 {
        return Err(ApiError::invalid("`limit` must be between 1 and 100"));
    }
    let assistant = state.assistant.clone();
    let retrieval =
        tokio::task::spawn_blocking(move || assistant.search(&request.query, request.limit))
            .await
            .map_err(ApiError::internal)??;
    Ok(Json(retrieval).into_response())
}

/// `POST /v1/ledge/ask`.
#[derive(Debug, Deserialize)]
struct AskBody {
    question: String,
    #[serde(default)]
    conversation: Option<i64>,
    #[serde(default)]
    files: Vec<std::path::PathBuf>,
    /// `local` or the name of an endpoint the person added (`ledge backends add`).
    #[serde(default)]
    backend: Option<String>,
    /// Whether the built-in model may answer when the endpoint fails.
    #[serde(default)]
    fallback: Option<bool>,
    /// Answer again in place of the conversation's last answer.
    #[serde(default)]
    replace_last: bool,
    #[serde(default)]
    stream: bool,
}

async fn ask(
    State(state): State<ServerState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body: AskBody = parse(body)?;
    let request = AskRequest {
        question: body.question,
        conversation: body.conversation,
        files: body.files,
        backend: body.backend,
        fallback: body.fallback,
        replace_last: body.replace_last,
    };
    let mut receiver = ledge_core::ask_stream(state.assistant.clone(), request, CancelToken::new());
    if !body.stream {
        while let Some(event) = receiver.recv().await {
            if let AnswerEvent::Done(outcome) = event {
                return Ok(Json((*outcome)?).into_response());
            }
        }
        return Err(ApiError::internal("the answer ended without a result"));
    }
    // Events: `started` (`{"conversation": id}`), `sources` (JSON list), `quotes` (the
    // extractive answer: a JSON list), `text` (JSON string), `checked` (a sentence of the
    // answer with its support, after the `text` that completed it), `fallback` (JSON string: the endpoint failed, the text so far is void, the
    // built-in model starts again), then `done` (the answer) or `error`. Dropping the stream
    // drops `receiver`, which cancels the answer.
    let events = stream::unfold(Some(receiver), |receiver| async move {
        let mut receiver = receiver?;
        let event = receiver.recv().await?;
        let (event, more) = match event {
            AnswerEvent::Started { conversation } => (
                Event::default()
                    .event("started")
                    .data(serde_json::json!({ "conversation": conversation }).to_string()),
                true,
            ),
            AnswerEvent::Sources(sources) => (
                Event::default()
                    .event("sources")
                    .data(serde_json::to_string(&sources).unwrap_or_default()),
                true,
            ),
            AnswerEvent::Text(piece) => (
                Event::default()
                    .event("text")
                    .data(serde_json::to_string(&piece).unwrap_or_default()),
                true,
            ),
            AnswerEvent::Quotes(quotes) => (
                Event::default()
                    .event("quotes")
                    .data(serde_json::to_string(&quotes).unwrap_or_default()),
                true,
            ),
            AnswerEvent::Checked(sentence) => (
                Event::default()
                    .event("checked")
                    .data(serde_json::to_string(&sentence).unwrap_or_default()),
                true,
            ),
            AnswerEvent::Fallback { reason } => (
                Event::default()
                    .event("fallback")
                    .data(serde_json::to_string(&reason).unwrap_or_default()),
                true,
            ),
            AnswerEvent::Done(outcome) => match *outcome {
                Ok(answer) => (
                    Event::default()
                        .event("done")
                        .data(serde_json::to_string(&answer).unwrap_or_default()),
                    false,
                ),
                Err(error) => (
                    Event::default().event("error").data(
                        serde_json::to_string(&ApiError::from(error).body()).unwrap_or_default(),
                    ),
                    false,
                ),
            },
        };
        Some((Ok::<_, Infallible>(event), more.then_some(receiver)))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}
