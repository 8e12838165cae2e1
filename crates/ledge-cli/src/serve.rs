//! `ledge serve`: the local OpenAI-compatible API (see `ledge-server`), on loopback only.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use ledge_core::{Assistant, EmbedderChoice, LoadStep, OpenOptions};
use ledge_server::ServerState;

use crate::environment;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// The loopback address to listen on (127.0.0.1 or ::1; other addresses are refused).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// The chat model to serve (default: the default chat model, or the only one).
    #[arg(long)]
    model: Option<String>,
    /// Do not load the embedding model (no /v1/embeddings, search by words only).
    #[arg(long)]
    no_vectors: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let data_dir = environment::data_dir()?;
    let addr = SocketAddr::new(args.host, args.port);
    if !addr.ip().is_loopback() {
        anyhow::bail!(
            "{addr} is not a loopback address: Ledge's API listens on this computer only"
        );
    }
    let options = OpenOptions {
        chat_model: args.model.clone(),
        // The API offers /v1/embeddings whenever an embedding model is installed.
        embedder: if args.no_vectors {
            EmbedderChoice::Off
        } else {
            match ledge_core::registry(&data_dir, environment::extra_model_dirs())
                .embedding_model(None)?
            {
                Some(entry) => EmbedderChoice::Named(entry.name),
                None => EmbedderChoice::Off,
            }
        },
        ..OpenOptions::default()
    };
    let assistant = Assistant::open(
        &data_dir,
        environment::extra_model_dirs(),
        options,
        &mut |step| match step {
            LoadStep::Index => {}
            LoadStep::ChatModel(name) | LoadStep::Embedder(name) => eprintln!("loading {name}…"),
        },
    )
    .context("cannot start the assistant")?;
    let token = ledge_server::token::load_or_create(data_dir.root())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = ledge_server::bind(addr).await?;
        let local = listener.local_addr().context("no local address")?;
        // The first line on stdout is the address: scripts (and the tests) read it.
        println!("http://{local}/v1");
        eprintln!(
            "serving {} on http://{local}/v1 and MCP tools on http://{local}/mcp (loopback \
             only); the bearer token is in {}",
            assistant.model_name(),
            data_dir
                .root()
                .join(ledge_server::token::TOKEN_FILE)
                .display()
        );
        let state = ServerState::new(Arc::new(assistant), token.into());
        ledge_server::serve(listener, state).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
