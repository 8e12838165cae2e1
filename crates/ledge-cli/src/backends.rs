//! `ledge backends list|add|remove|test|default`: the OpenAI-compatible servers on the
//! person's own machines that may answer instead of the built-in model.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ledge_core::backend::discover::{KNOWN_SERVERS, discover_local};
use ledge_core::backend::{
    AddressClass, ChatParams, DEFAULT_BACKEND_SETTING, Endpoint, EndpointClient, LOCAL, Timeouts,
    prepare_endpoint,
};
use ledge_core::store::Store;
use ledge_llm::chat::{Message, Role};
use ledge_llm::generate::CancelToken;
use serde::Serialize;

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
        } => add(
            name,
            url,
            model.clone(),
            *allow_public,
            *fallback,
            *default,
            *no_check,
        ),
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

/// The name questions use when they name no backend.
pub fn default_backend(store: &Store) -> Result<String> {
    Ok(store
        .setting(DEFAULT_BACKEND_SETTING)?
        .unwrap_or_else(|| LOCAL.to_owned()))
}

/// Where an endpoint is, or why it may not be used (the address policy, resolved now).
pub fn placement(endpoint: &Endpoint) -> Result<AddressClass, String> {
    EndpointClient::new(endpoint.clone(), Timeouts::default())
        .check_address()
        .map(|(_, class)| class)
        .map_err(|e| e.to_string())
}

#[derive(Debug, Serialize)]
struct Listed {
    name: String,
    url: Option<String>,
    model: Option<String>,
    default: bool,
    fallback_local: bool,
    allow_public: bool,
    /// Where answers are computed, or why the address is refused.
    placement: String,
}

#[derive(Debug, Serialize)]
struct Found {
    product: &'static str,
    url: String,
    models: Vec<String>,
    error: Option<String>,
    added_as: Option<String>,
}

fn list(json: bool, discover: bool) -> Result<ExitCode> {
    let store = store()?;
    let default = default_backend(&store)?;
    let mut listed = vec![Listed {
        name: LOCAL.to_owned(),
        url: None,
        model: None,
        default: default == LOCAL,
        fallback_local: false,
        allow_public: false,
        placement: ledge_core::assistant::COMPUTED_LOCALLY.to_owned(),
    }];
    let endpoints = store.backends()?;
    for endpoint in &endpoints {
        listed.push(Listed {
            name: endpoint.name.clone(),
            url: Some(endpoint.url.to_string()),
            model: endpoint.model.clone(),
            default: default == endpoint.name,
            fallback_local: endpoint.fallback_local,
            allow_public: endpoint.allow_public,
            placement: match placement(endpoint) {
                Ok(class) => class.to_string(),
                Err(error) => format!("refused: {error}"),
            },
        });
    }
    let found: Vec<Found> = if discover {
        discover_local(KNOWN_SERVERS)
            .into_iter()
            .map(|found| {
                let added_as = endpoints
                    .iter()
                    .find(|e| {
                        e.url.port == found.url.port
                            && placement(e).ok() == Some(AddressClass::Loopback)
                    })
                    .map(|e| e.name.clone());
                let (models, error) = match found.models {
                    Ok(models) => (models, None),
                    Err(error) => (Vec::new(), Some(error)),
                };
                Found {
                    product: found.product,
                    url: found.url.to_string(),
                    models,
                    error,
                    added_as,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"backends": listed, "found": found}))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    for backend in &listed {
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
        if found.is_empty() {
            println!("no known server is running on this machine");
        }
        for server in &found {
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

fn add(
    name: &str,
    url: &str,
    model: Option<String>,
    allow_public: bool,
    fallback: bool,
    make_default: bool,
    no_check: bool,
) -> Result<ExitCode> {
    let store = store()?;
    let (endpoint, class) = prepare_endpoint(name, url, model, allow_public, fallback)?;
    if class == AddressClass::Public {
        eprintln!(
            "warning: {} is on the public internet. The passages of your files that answer each \
             question, and the question, will be sent there and leave your devices.",
            endpoint.url
        );
    }
    if !no_check {
        let client = EndpointClient::new(endpoint.clone(), Timeouts::default());
        let models = client.models().with_context(|| {
            format!(
                "{} does not answer (add it with --no-check to keep it anyway)",
                endpoint.url
            )
        })?;
        match &endpoint.model {
            Some(model) if !models.contains(model) => eprintln!(
                "warning: the server does not list `{model}` (it lists: {}); it may load it on demand",
                models.join(", ")
            ),
            None if models.len() != 1 => bail!(
                "the server offers {} models ({}); choose one with --model",
                models.len(),
                models.join(", ")
            ),
            _ => {}
        }
    }
    store.add_backend(&endpoint)?;
    if make_default {
        store.set_setting(DEFAULT_BACKEND_SETTING, Some(&endpoint.name))?;
    }
    println!(
        "added {} ({}, {class}){}",
        endpoint.name,
        endpoint.url,
        if make_default { ", the default" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

fn default(name: Option<&str>) -> Result<ExitCode> {
    let store = store()?;
    match name {
        None => println!("{}", default_backend(&store)?),
        Some(LOCAL) => {
            store.set_setting(DEFAULT_BACKEND_SETTING, None)?;
            println!("questions use the built-in model by default");
        }
        Some(name) => {
            if store.backend(name)?.is_none() {
                bail!("there is no backend `{name}`; see `ledge backends list`");
            }
            store.set_setting(DEFAULT_BACKEND_SETTING, Some(name))?;
            println!("questions use {name} by default");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn test(name: Option<&str>) -> Result<ExitCode> {
    let store = store()?;
    let endpoints = match name {
        Some(name) => match store.backend(name)? {
            Some(endpoint) => vec![endpoint],
            None => bail!("there is no backend `{name}`; see `ledge backends list`"),
        },
        None => store.backends()?,
    };
    if endpoints.is_empty() {
        println!("no endpoints added; see `ledge backends add`");
    }
    let mut failed = false;
    for endpoint in endpoints {
        match test_one(&endpoint) {
            Ok(line) => println!("ok   {}: {line}", endpoint.name),
            Err(error) => {
                failed = true;
                println!("FAIL {}: {error:#}", endpoint.name);
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn test_one(endpoint: &Endpoint) -> Result<String> {
    let timeouts = Timeouts {
        first_response: Duration::from_secs(60),
        ..Timeouts::default()
    };
    let client = EndpointClient::new(endpoint.clone(), timeouts);
    let messages = [Message::new(
        Role::User,
        "Reply with the single word: ready",
    )];
    let params = ChatParams {
        max_tokens: 8,
        temperature: 0.0,
        top_p: 1.0,
        seed: None,
        repetition_penalty: 1.0,
    };
    let outcome = client.chat(&messages, &params, &CancelToken::new(), &mut |_| {})?;
    Ok(format!(
        "{} at {} ({}) answered {:?} in {:.0} ms, first token after {:.0} ms",
        outcome.model,
        outcome.address,
        outcome.class,
        outcome.text.trim(),
        outcome.total.as_secs_f64() * 1e3,
        outcome.time_to_first_token.as_secs_f64() * 1e3
    ))
}
