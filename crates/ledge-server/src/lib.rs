//! `ledge serve`: Ledge's local API, for scripts and other apps on this computer.
//!
//! An OpenAI-compatible surface (`GET /v1/models`, `POST /v1/chat/completions` with SSE
//! streaming, `POST /v1/embeddings`) over the loaded chat and embedding models, plus Ledge's
//! own `POST /v1/ledge/search` and `POST /v1/ledge/ask` (cited answers from the user's files,
//! streamed as server-sent events), and Ledge's MCP tools at `/mcp` (MCP's streamable HTTP,
//! from `ledge-mcp`).
//!
//! Privacy rules this crate enforces: it listens on loopback addresses only ([`bind`] refuses
//! anything else), and every request must carry the bearer token kept in the data folder
//! ([`token`]), so other users and web pages on the machine cannot use it. Requests are
//! checked before any work: malformed JSON, bodies over the limit and unknown models get a
//! clear OpenAI-style error. A client that hangs up mid-stream cancels its generation.
//!
//! The chat model is one at a time: concurrent requests queue on it.

mod error;
mod openai;
mod routes;
pub mod token;

use std::net::SocketAddr;
use std::sync::Arc;

use ledge_core::Assistant;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::{Error, Result};
pub use routes::router;

/// Everything a request handler needs.
#[derive(Debug, Clone)]
pub struct ServerState {
    /// The assistant (chat model, embedder, index, conversations).
    pub assistant: Arc<Assistant>,
    /// The bearer token every request must present.
    pub token: Arc<str>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Cancelled when the server stops: ends the MCP sessions' streams.
    pub shutdown: CancellationToken,
}

impl ServerState {
    /// The state for `assistant` and `token`, with the default body limit.
    pub fn new(assistant: Arc<Assistant>, token: Arc<str>) -> ServerState {
        ServerState {
            assistant,
            token,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            shutdown: CancellationToken::new(),
        }
    }
}

/// The default request body limit: prompts are text; 4 MiB is a long book.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Binds `addr`, which must be a loopback address (127.0.0.0/8 or ::1).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    if !addr.ip().is_loopback() {
        return Err(Error::NotLoopback { addr });
    }
    TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })
}

/// Serves requests on `listener` until the process ends.
pub async fn serve(listener: TcpListener, state: ServerState) -> Result<()> {
    let addr = listener.local_addr().map_err(Error::Serve)?;
    tracing::info!(%addr, "serving the local API");
    axum::serve(listener, router(state))
        .await
        .map_err(Error::Serve)
}
