//! `ledge`: Ledge from a terminal.
//!
//! A thin shell: it parses arguments, looks up the environment (`LEDGE_HOME`,
//! `LEDGE_MODEL_PATH`, `LEDGE_MODEL`, `LEDGE_LOG`) and the platform folders, calls the core crates, and
//! prints. Logic belongs in the crates, not here.

mod ask;
mod backends;
mod bench;
mod doctor;
mod environment;
mod generate;
mod index;
mod mcp;
mod models;
mod search;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Ledge: a private assistant that answers from your own files, on your own machine.
#[derive(Debug, Parser)]
#[command(name = "ledge", version)]
#[command(
    after_help = "Ledge keeps all its state in one data folder: $LEDGE_HOME when set, \
    otherwise the platform's application data folder. Nothing leaves this machine, unless you \
    add a backend on another of your machines (`ledge backends add`)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that Ledge can run here: MLX device, BLAS, data folder, models found.
    Doctor(doctor::Args),
    /// Manage the indexed folders: add, refresh, list, status, remove.
    Index(index::Args),
    /// Search the indexed files: ranked passages with file, lines and a snippet.
    Search(search::Args),
    /// Import and list the local models Ledge runs.
    Models(models::Args),
    /// Stream a completion from a local model (a plain continuation, or --chat).
    Generate(generate::Args),
    /// Ask a question: an answer from your indexed files (or --file), with its sources.
    Ask(ask::AskArgs),
    /// Talk with Ledge: one question per line, answers from your files, follow-ups keep context.
    Chat(ask::ChatArgs),
    /// Serve the local OpenAI-compatible API and the MCP tools (/mcp) on 127.0.0.1 (bearer
    /// token in the data folder).
    Serve(serve::Args),
    /// Serve Ledge's tools (search, ask, read, list_folders) to an MCP client over stdio.
    Mcp(mcp::Args),
    /// Measure a local model (load, first token, decode, memory) against mlx-lm.
    Bench(bench::Args),
    /// Servers on your own machines that may answer instead of the built-in model: list,
    /// add, remove, test, default.
    Backends(backends::Args),
}

/// mimalloc instead of glibc's allocator: a cold index of a 1.3 GB folder peaked at 1.2 GB
/// of resident memory with glibc (122 MB of it live; the rest freed memory kept by glibc's
/// per-thread arenas after large transient buffers such as a parsed PDF) and kept 870 MB
/// after the scan; mimalloc returns freed memory to the system.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    environment::init_logging();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Doctor(args) => doctor::run(&args),
        Command::Index(args) => index::run(&args),
        Command::Search(args) => search::run(&args),
        Command::Models(args) => models::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Ask(args) => ask::run_ask(&args),
        Command::Chat(args) => ask::run_chat(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Mcp(args) => mcp::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Backends(args) => backends::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
