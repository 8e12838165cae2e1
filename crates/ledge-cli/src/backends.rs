//! `ledge backends list|add|remove|test|default`: the OpenAI-compatible servers on the
//! person's own machines that may answer instead of the built-in model.

use std::process::ExitCode;

use anyhow::{Context, Result};
use ledge_core::backend::manage::{
    self, NewBackend, add_backend, default_backend, list_backends, set_default_backend,
    test_backend,
};
use ledge_core::backend::{BackendError, LOCAL};
use ledge_core::store::Store;

use crate::environment;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// List the backends: the built-in model, the endpoints added, and the servers found
    /// running on this machine (exo, mlx_lm.server, LM Studio, Ollama, Jan, GPT4All).
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
        /// Do not look for servers on this machine.
        #[arg(long)]
        no_discover: bool,
    },
    /// Add an OpenAI-compatible server on this machine or your own network.
    Add {
        /// The name to use it by (`ledge ask --backend NAME`).
        name: String,
        /// Its address: `HOST:PORT` or `http://HOST:PORT/v1`.
        url: String,
        /// The model id to ask for; default: the server's only model.
        #[arg(long)]
        model: Option<String>,
        /// Allow an address on the public internet. The passages of your files that answer
        /// a question then leave your devices.
        #[arg(long)]
        allow_public: bool,
        /// When it fails, let the built-in model answer the question instead.
        #[arg(long)]
        fallback: bool,
        /// Use it for questions that name no backend.
        #[arg(long)]
        default: bool,
        /// Add it without asking the server for its models first.
        #[arg(long)]
        no_check: bool,
    },
    /// Remove an endpoint (its conversations go back to the default backend).
    Remove {
        /// Its name.
        name: String,
    },
    /// Check endpoints: address, models, and a short answer with its timing.
    Test {
        /// The endpoint to test; default: all of them.
        name: Option<String>,
    },
    /// Show or set the backend used when none is named (`local`: the built-in model).
    Default {
        /// `local` or an endpoint's name; without it, the current default is shown.
        name: Option<String>,
    },
}

pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        Command::List { json, no_discover } => list(*json, !*no_discover),
        Command::Add {
            name,
            url,
            model,
            allow_public,
            fallback,
            default,
            no_check,
        } => add(NewBackend {
            name: name.clone(),
            url: url.clone(),
            model: model.clone(),
            allow_public: *allow_public,
            fallback_local: *fallback,
            make_default: *default,
            check: !*no_check,
        }),
        Command::Remove { name } => {
            store()?.remove_backend(name)?;
            println!("removed {name}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Test { name } => test(name.as_deref()),
        Command::Default { name } => default(name.as_deref()),
    }
}

fn store() -> Result<Store> {
    let data_dir = environment::data_dir().context("cannot use the data folder")?;
    Ok(ledge_core::open_store(&data_dir)?)
}

fn list(json: bool, discover: bool) -> Result<ExitCode> {
    let list = list_backends(&store()?, discover)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    for backend in &list.backends {
        let mark = if backend.default { "*" } else { " " };
        let mut line = format!("{mark} {:<16} {}", backend.name, backend.placement);
        if let Some(url) = &backend.url {
            line.push_str(&format!(" · {url}"));
        }
        if let Some(model) = &backend.model {
            line.push_str(&format!(" · model {model}"));
        }
        if backend.fallback_local {
            line.push_str(" · falls back to local");
        }
        if backend.allow_public {
            line.push_str(" · PUBLIC ALLOWED");
        }
        println!("{line}");
    }
    if discover {
        if list.found.is_empty() {
            println!("no known server is running on this machine");
        }
        for server in &list.found {
            let what = match &server.error {
                Some(error) => format!("answers, but: {error}"),
                None => format!("models: {}", server.models.join(", ")),
            };
            let added = match &server.added_as {
                Some(name) => format!(" (added as {name})"),
                None => String::new(),
            };
            println!("found {} on {}{added}: {what}", server.product, server.url);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn add(new: NewBackend) -> Result<ExitCode> {
    let check = new.check;
    let url = new.url.clone();
    let added = add_backend(&store()?, new).map_err(|error| match error {
        ledge_core::Error::Backend(BackendError::Unreachable { .. }) if check => {
            anyhow::Error::new(error).context(format!(
                "{url} does not answer (add it with --no-check to keep it anyway)"
            ))
        }
        error => error.into(),
    })?;
    for warning in &added.warnings {
        eprintln!("warning: {warning}");
    }
    let is_default = default_backend(&store()?)? == added.endpoint.name;
    println!(
        "added {} ({}, {}){}",
        added.endpoint.name,
        added.endpoint.url,
        added.class,
        if is_default { ", the default" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

fn default(name: Option<&str>) -> Result<ExitCode> {
    let store = store()?;
    match name {
        None => println!("{}", default_backend(&store)?),
        Some(name) => {
            set_default_backend(&store, name)?;
            if name == LOCAL {
                println!("questions use the built-in model by default");
            } else {
                println!("questions use {name} by default");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn test(name: Option<&str>) -> Result<ExitCode> {
    let store = store()?;
    let endpoints = match name {
        Some(name) => vec![manage::endpoint(&store, name)?],
        None => store.backends()?,
    };
    if endpoints.is_empty() {
        println!("no endpoints added; see `ledge backends add`");
    }
    let mut failed = false;
    for endpoint in endpoints {
        match test_backend(&endpoint) {
            Ok(test) => println!(
                "ok   {}: {} at {} ({}) answered {:?} in {:.0} ms, first token after {:.0} ms",
                endpoint.name,
                test.model,
                test.address,
                test.class,
                test.reply,
                test.total_ms,
                test.first_token_ms
            ),
            Err(error) => {
                failed = true;
                println!("FAIL {}: {error}", endpoint.name);
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
