//! `ledge generate`: stream a completion from a local model to stdout.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use ledge_llm::chat::{Message, Role};
use ledge_llm::generate::{CancelToken, GenerationParams, Generator, StopReason};
use ledge_llm::sampling::SamplingParams;

use crate::models;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The prompt: text the model continues, or with --chat the user's message.
    prompt: String,
    /// A model name from `ledge models list`, or a model folder; default: $LEDGE_MODEL, or
    /// the only model installed.
    #[arg(long)]
    model: Option<String>,
    /// Treat the prompt as a chat message and format it with the model's chat template.
    #[arg(long)]
    chat: bool,
    /// With --chat: a system message before the prompt.
    #[arg(long, requires = "chat")]
    system: Option<String>,
    /// At most this many new tokens.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// 0 is greedy (always the most likely token).
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    /// Sample only among the k most likely tokens (0: all).
    #[arg(long, default_value_t = 0)]
    top_k: usize,
    /// Sample only among the most likely tokens that make up this probability mass.
    #[arg(long, default_value_t = 1.0)]
    top_p: f32,
    /// Drop tokens less likely than this fraction of the most likely one.
    #[arg(long, default_value_t = 0.0)]
    min_p: f32,
    /// Penalise tokens seen in the last 64 (1: off; 1.1 is a common choice).
    #[arg(long, default_value_t = 1.0)]
    repetition_penalty: f32,
    /// Seed for sampling, for repeatable runs.
    #[arg(long)]
    seed: Option<u64>,
    /// Stop before this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    stop: Vec<String>,
    /// Do not print the figures (tokens, speed) to stderr at the end.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let params = GenerationParams {
        max_tokens: args.max_tokens,
        sampling: SamplingParams {
            temperature: args.temperature,
            top_k: args.top_k,
            top_p: args.top_p,
            min_p: args.min_p,
            repetition_penalty: args.repetition_penalty,
            seed: args.seed,
            ..SamplingParams::default()
        },
        stop: args.stop.clone(),
    };

    params
        .sampling
        .validate()
        .map_err(|problem| anyhow::anyhow!("{problem}"))?;
    let dir = models::resolve(args.model.as_deref())?;
    ledge_llm::Runtime::init().context("cannot start MLX")?;
    let loading = Instant::now();
    let mut generator =
        Generator::load(&dir).with_context(|| format!("cannot load {}", dir.display()))?;
    let load_time = loading.elapsed();

    let prompt = if args.chat {
        let mut messages = Vec::new();
        if let Some(system) = &args.system {
            messages.push(Message::new(Role::System, system.clone()));
        }
        messages.push(Message::new(Role::User, args.prompt.clone()));
        generator.tokenizer().encode_chat(&messages)?
    } else {
        generator.tokenizer().encode(&args.prompt, true)?
    };
    let mut stdout = std::io::stdout().lock();
    let mut write_failed = None;
    let cancel = CancelToken::new();
    let mut on_text = |piece: &str| {
        if let Err(error) = stdout
            .write_all(piece.as_bytes())
            .and_then(|()| stdout.flush())
        {
            // A closed pipe (`| head`): stop generating.
            write_failed = Some(error);
            cancel.cancel();
        }
    };
    let generation = generator.generate(&prompt, &params, &cancel, &mut on_text)?;
    if write_failed.is_some() {
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    if !args.quiet {
        let stats = &generation.stats;
        let why = match &stats.stop {
            StopReason::EndOfText => "end of text".to_owned(),
            StopReason::StopString(stop) => format!("stop string {stop:?}"),
            StopReason::MaxTokens => "token limit".to_owned(),
            StopReason::ContextFull => "context full".to_owned(),
            StopReason::Cancelled => "cancelled".to_owned(),
        };
        eprintln!(
            "{} prompt tokens, {} generated ({why}); load {:.2} s, first token {:.0} ms \
             ({:.1} prompt tok/s), {:.1} tok/s",
            stats.prompt_tokens,
            stats.generated_tokens,
            load_time.as_secs_f64(),
            stats.time_to_first_token.as_secs_f64() * 1000.0,
            stats.prefill_tokens_per_second(),
            stats.decode_tokens_per_second(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
