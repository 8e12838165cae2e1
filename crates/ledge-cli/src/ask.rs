//! `ledge ask` and `ledge chat`: questions answered from the indexed files, with sources.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ledge_core::grounding::Quote;
use ledge_core::{
    Answer, AnswerEvent, AskRequest, Assistant, EmbedderChoice, LoadStep, OpenOptions, Source,
    render,
};
use ledge_llm::generate::CancelToken;

use crate::environment;

/// What both commands accept.
#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// The chat model: a name from `ledge models list` or a folder; default: the default
    /// model (`ledge models default`), or the only one installed.
    #[arg(long)]
    model: Option<String>,
    /// Search by words only, without the embedding model.
    #[arg(long)]
    no_vectors: bool,
    /// The longest answer, in tokens.
    #[arg(long, default_value_t = 512)]
    max_tokens: usize,
    /// Answer with this backend: `local` (the built-in model) or a name from `ledge backends
    /// list`; default: the conversation's, else `ledge backends default`. Kept for the
    /// conversation.
    #[arg(long, value_name = "NAME")]
    backend: Option<String>,
    /// When the backend fails, let the built-in model answer instead.
    #[arg(long, conflicts_with = "no_fallback")]
    fallback: bool,
    /// When the backend fails, fail (even if the backend was added with --fallback).
    #[arg(long)]
    no_fallback: bool,
}

impl ModelArgs {
    fn fallback(&self) -> Option<bool> {
        match (self.fallback, self.no_fallback) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The question.
    question: String,
    /// Answer from this file (repeatable) instead of the whole index; it need not be indexed.
    #[arg(long, value_name = "PATH")]
    file: Vec<PathBuf>,
    /// Continue this conversation (its id is printed after each answer).
    #[arg(long)]
    conversation: Option<i64>,
    #[command(flatten)]
    model: ModelArgs,
    /// Print the answer, its sources and figures as one JSON object at the end.
    #[arg(long)]
    json: bool,
    /// Do not print the figures to stderr.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// Answer from this file (repeatable) instead of the whole index.
    #[arg(long, value_name = "PATH")]
    file: Vec<PathBuf>,
    /// Continue this conversation.
    #[arg(long)]
    conversation: Option<i64>,
    #[command(flatten)]
    model: ModelArgs,
}

fn open(args: &ModelArgs, quiet: bool) -> Result<Assistant> {
    let data_dir = environment::data_dir()?;
    let mut options = OpenOptions {
        chat_model: args.model.clone(),
        embedder: if args.no_vectors {
            EmbedderChoice::Off
        } else {
            EmbedderChoice::Auto
        },
        ..OpenOptions::default()
    };
    options.settings.answer_tokens = args.max_tokens;
    let show = !quiet && std::io::stderr().is_terminal();
    let assistant = Assistant::open(
        &data_dir,
        environment::extra_model_dirs(),
        options,
        &mut |step| {
            if show {
                match step {
                    LoadStep::Index => {}
                    LoadStep::ChatModel(name) => eprintln!("loading {name}…"),
                    LoadStep::Embedder(name) => eprintln!("loading {name}…"),
                }
            }
        },
    )
    .context("cannot start the assistant")?;
    Ok(assistant)
}

/// `Sources:` lines, cited ones marked.
fn print_sources(out: &mut impl Write, sources: &[Source]) -> std::io::Result<()> {
    if sources.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nSources:")?;
    for source in sources {
        writeln!(out, "{}", render::source_line(source))?;
    }
    Ok(())
}

/// The extractive answer: each quote with its source number, file and line or page.
fn print_quotes(out: &mut impl Write, quotes: &[Quote], sources: &[Source]) -> std::io::Result<()> {
    if quotes.is_empty() {
        return Ok(());
    }
    writeln!(out, "From your files:")?;
    for quote in quotes {
        writeln!(out, "  {}", render::quote_line(quote, sources))?;
    }
    writeln!(out)
}

/// Asks one question. Unless `json`, prints the extractive answer first, then the model's
/// answer sentence by sentence as each is checked, marked.
fn answer(assistant: &Assistant, request: &AskRequest, json: bool) -> Result<Answer> {
    let cancel = CancelToken::new();
    let mut stdout = std::io::stdout().lock();
    let mut broken_pipe = false;
    let mut sources: Vec<Source> = Vec::new();
    let mut on_event = |event: AnswerEvent| {
        if let AnswerEvent::Fallback { reason } = &event {
            // Said even with --json: the person should know the endpoint failed.
            eprintln!("\n[{reason}; answering with the built-in model instead]");
            if !json && !broken_pipe {
                let _ = writeln!(stdout, "\n(answering again:)");
            }
            return;
        }
        if json || broken_pipe {
            return;
        }
        let written = match event {
            AnswerEvent::Sources(given) => {
                sources = given;
                Ok(())
            }
            AnswerEvent::Quotes(quotes) => {
                print_quotes(&mut stdout, &quotes, &sources).and_then(|()| {
                    if sources.is_empty() {
                        Ok(())
                    } else {
                        writeln!(stdout, "Answer ({}):", assistant.model_name())
                    }
                })
            }
            AnswerEvent::Checked(sentence) => {
                write!(stdout, "{}", render::marked_sentence(&sentence))
            }
            // With no sources nothing is checked: the assistant's own words stream as they are.
            AnswerEvent::Text(piece) if sources.is_empty() => write!(stdout, "{piece}"),
            _ => Ok(()),
        };
        if written.and_then(|()| stdout.flush()).is_err() {
            broken_pipe = true;
            cancel.cancel();
        }
    };
    let answer = assistant.ask(request, &cancel, &mut on_event)?;
    Ok(answer)
}

/// After the answer: the warning when most of it is unsupported, and what the marks mean.
fn print_check(out: &mut impl Write, answer: &Answer) -> std::io::Result<()> {
    let notes = render::check_notes(answer);
    for (i, note) in notes.iter().enumerate() {
        // The warning stands apart from the answer above it.
        if i == 0 && answer.grounding.support.mostly_unsupported {
            writeln!(out)?;
        }
        writeln!(out, "{note}")?;
    }
    Ok(())
}

pub fn run_ask(args: &AskArgs) -> Result<ExitCode> {
    let assistant = open(&args.model, args.quiet || args.json)?;
    let request = AskRequest {
        question: args.question.clone(),
        conversation: args.conversation,
        files: args.file.clone(),
        backend: args.model.backend.clone(),
        fallback: args.model.fallback(),
        ..AskRequest::default()
    };
    let answer = answer(&assistant, &request, args.json)?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&answer)?)?;
    } else {
        writeln!(stdout)?;
        print_check(&mut stdout, &answer)?;
        print_sources(&mut stdout, &answer.sources)?;
    }
    if !args.quiet && !args.json {
        print_stats(&answer);
    }
    // Exit code 2: nothing in the files to answer from.
    Ok(if answer.grounded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_stats(answer: &Answer) {
    let stats = &answer.stats;
    eprintln!(
        "conversation {} · {} on {} · retrieval {:.0} ms, first token {:.0} ms, {} prompt tokens \
         ({} reused), {} answer tokens at {:.1} tok/s",
        answer.conversation,
        answer.model,
        stats.computed_on,
        stats.retrieval_ms,
        stats.time_to_first_token_ms,
        stats.prompt_tokens,
        stats.reused_tokens,
        stats.answer_tokens,
        stats.tokens_per_second
    );
}

pub fn run_chat(args: &ChatArgs) -> Result<ExitCode> {
    let assistant = open(&args.model, false)?;
    let interactive = std::io::stdin().is_terminal();
    let mut conversation = args.conversation;
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            eprint!("\n> ");
            std::io::stderr().flush()?;
        }
        let Some(line) = lines.next() else { break };
        let question = line?;
        let question = question.trim();
        if question.is_empty() {
            continue;
        }
        if matches!(question, "/quit" | "/exit") {
            break;
        }
        let request = AskRequest {
            question: question.to_owned(),
            conversation,
            files: args.file.clone(),
            backend: args.model.backend.clone(),
            fallback: args.model.fallback(),
            ..AskRequest::default()
        };
        match answer(&assistant, &request, false) {
            Ok(answer) => {
                conversation = Some(answer.conversation);
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout)?;
                print_check(&mut stdout, &answer)?;
                print_sources(&mut stdout, &answer.sources)?;
                stdout.flush()?;
                if interactive {
                    print_stats(&answer);
                }
            }
            Err(error) => eprintln!("error: {error:#}"),
        }
    }
    if let Some(id) = conversation {
        eprintln!("conversation {id} saved; continue it with `ledge chat --conversation {id}`");
    }
    Ok(ExitCode::SUCCESS)
}
