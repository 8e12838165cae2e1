//! `ledge mcp`: Ledge's tools for MCP clients over stdio (see `ledge-mcp`). A desktop client
//! launches it; stdout carries the protocol, so everything for people goes to stderr.

use std::process::ExitCode;

use anyhow::Result;
use ledge_core::{EmbedderChoice, OpenOptions};

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
    ledge_mcp::run_stdio(&data_dir, environment::extra_model_dirs(), options)?;
    Ok(ExitCode::SUCCESS)
}
