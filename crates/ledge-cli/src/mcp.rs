//! `ledge mcp`: Ledge's tools for MCP clients over stdio (see `ledge-mcp`). A desktop client
//! launches it; stdout carries the protocol, so everything for people goes to stderr.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use ledge_core::{Assistant, EmbedderChoice, LoadStep, OpenOptions};

use crate::environment;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chat model that writes `ask`'s answers (default: the default chat model).
    #[arg(long)]
    model: Option<String>,
    /// Search by words only, without the embedding model.
    #[arg(long)]
    no_vectors: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let data_dir = environment::data_dir()?;
    let options = OpenOptions {
        chat_model: args.model.clone(),
        embedder: if args.no_vectors {
            EmbedderChoice::Off
        } else {
            EmbedderChoice::Auto
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
    eprintln!(
        "Ledge's MCP tools on stdio (search, ask, read, list_folders), answering with {}",
        assistant.model_name()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(ledge_mcp::serve_stdio(Arc::new(assistant)))?;
    Ok(ExitCode::SUCCESS)
}
