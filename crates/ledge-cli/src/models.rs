//! `ledge models import|download|list|default`: the models Ledge can run, and bringing new
//! ones in.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use ledge_core::DEFAULT_MODEL_SETTING;
use ledge_core::catalog;
use ledge_core::download::{DownloadProgress, DownloadRequest, download_model};
use ledge_core::found::{self, FoundModel};
use ledge_core::registry::{ModelRegistry, ModelRole};
use ledge_llm::import::{ImportOptions, WeightDtype, import_folder, import_gguf};

use crate::environment;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Import a GGUF file (llama.cpp, LM Studio, Ollama) or a Hugging Face / MLX model folder
    /// into Ledge's models folder. The source is only read.
    ///
    /// With --from, imports models another tool already downloaded (see `ledge models found`):
    /// the one named, or all of them.
    Import {
        /// A `.gguf` file or a folder with config.json, *.safetensors and tokenizer.json; with
        /// --from, the id or name of a model found there (all of them when left out).
        #[arg(required_unless_present = "from")]
        source: Option<String>,
        /// Import from the Hugging Face cache or LM Studio's models folder.
        #[arg(long, value_enum)]
        from: Option<Origin>,
        /// The name to install it under; default: the file or folder name.
        #[arg(long)]
        name: Option<String>,
        /// Weight type of a GGUF import: bf16 (default), f16 or f32.
        #[arg(long, default_value = "bf16", value_parser = parse_dtype)]
        dtype: WeightDtype,
    },
    /// Download a model from the Hugging Face hub (only the files a model needs), check every
    /// file's checksum, and install it like `import`. An interrupted download resumes when run
    /// again. This is the one command that uses the network: HF_ENDPOINT picks another hub or
    /// a mirror, HF_TOKEN (or `$HF_HOME/token`) opens gated and private models.
    Download {
        /// The model on the hub, OWNER/NAME (e.g. HuggingFaceTB/SmolLM2-135M-Instruct), or the
        /// id of a model in `ledge models catalog`.
        repo: String,
        /// A branch, tag or commit; default: main.
        #[arg(long)]
        revision: Option<String>,
        /// The name to install it under; default: the repository's name.
        #[arg(long)]
        name: Option<String>,
    },
    /// List the models other tools downloaded on this machine, which `import --from` takes:
    /// the Hugging Face cache ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub) and
    /// LM Studio's models folder (~/.lmstudio/models, ~/.cache/lm-studio/models).
    Found {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The models Ledge recommends, with their size, the memory they need, their licence,
    /// and whether they fit this computer; download one with `ledge models download ID`.
    Catalog {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
        /// Show every model, also those made for the other platform.
        #[arg(long)]
        all: bool,
    },
    /// List the models found in Ledge's models folder and in $LEDGE_MODEL_PATH.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show or set the chat model used when none is named.
    Default {
        /// An installed chat model; without it, the current default is shown.
        name: Option<String>,
        /// Forget the default.
        #[arg(long, conflicts_with = "name")]
        clear: bool,
    },
}

fn parse_dtype(text: &str) -> Result<WeightDtype, String> {
    match text.to_ascii_lowercase().as_str() {
        "bf16" => Ok(WeightDtype::BF16),
        "f16" => Ok(WeightDtype::F16),
        "f32" => Ok(WeightDtype::F32),
        other => Err(format!("`{other}` is not one of bf16, f16, f32")),
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        Command::Import {
            source,
            from: Some(origin),
            name,
            dtype,
        } => import_found(*origin, source.as_deref(), name.as_deref(), *dtype),
        Command::Import {
            source: Some(source),
            from: None,
            name,
            dtype,
        } => import(Path::new(source), name.as_deref(), *dtype),
        Command::Import { .. } => bail!("name a GGUF file or a model folder, or use --from"),
        Command::Found { json } => found(*json),
        Command::Download {
            repo,
            revision,
            name,
        } => download(repo, revision.clone(), name.clone()),
        Command::Catalog { json, all } => catalog(*json, *all),
        Command::List { json } => list(*json),
        Command::Default { name, clear } => set_default(name.as_deref(), *clear),
    }
}

fn models_dir() -> Result<PathBuf> {
    let data_dir = environment::data_dir().context("cannot use the data folder")?;
    Ok(data_dir.models_dir())
}

fn import(source: &Path, name: Option<&str>, dtype: WeightDtype) -> Result<ExitCode> {
    let models_dir = models_dir()?;
    // A folder import loads the copy once to prove it works.
    ledge_llm::Runtime::init().context("cannot start MLX")?;
    let bar = ProgressBar::new(0);
    let installed = if source.is_dir() {
        bar.set_style(style("{bar:40} {bytes}/{total_bytes} {msg}"));
        import_folder(source, &models_dir, name, |progress| {
            bar.set_length(progress.bytes_total);
            bar.set_position(progress.bytes_done);
            bar.set_message(progress.file.clone());
        })
    } else if source.is_file() {
        bar.set_style(style("{bar:40} {pos}/{len} tensors {msg}"));
        let options = ImportOptions {
            dtype,
            name: name.map(str::to_owned),
        };
        import_gguf(source, &models_dir, &options, |progress| {
            bar.set_length(progress.total as u64);
            bar.set_position(progress.done as u64);
            bar.set_message(progress.tensor.clone());
        })
    } else {
        bar.finish_and_clear();
        bail!(
            "{} is neither a GGUF file nor a model folder",
            source.display()
        );
    };
    bar.finish_and_clear();
    let installed = installed.with_context(|| format!("cannot import {}", source.display()))?;
    println!("imported {}", installed.display());
    Ok(ExitCode::SUCCESS)
}

fn download(repo: &str, revision: Option<String>, name: Option<String>) -> Result<ExitCode> {
    let data_dir = environment::data_dir().context("cannot use the data folder")?;
    // A catalog id stands for its repository.
    let repo = match repo.contains('/') {
        true => repo.to_owned(),
        false => match catalog::find(repo)? {
            Some(model) => model.repo,
            None => bail!("`{repo}` is neither OWNER/NAME nor a model in `ledge models catalog`"),
        },
    };
    let repo = repo.as_str();
    ledge_llm::Runtime::init().context("cannot start MLX")?;
    let hub = environment::hub();
    let request = DownloadRequest {
        repo: repo.to_owned(),
        revision,
        name,
        // Ctrl-C ends the process; the partial download resumes next time.
        cancel: Default::default(),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(style(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} ({eta}) {msg}",
    ));
    let outcome = download_model(
        &hub,
        &request,
        &data_dir.downloads_dir(),
        &data_dir.models_dir(),
        |event| match event {
            DownloadProgress::Planned {
                commit,
                files,
                bytes_total,
            } => {
                bar.println(format!(
                    "{repo} at {}: {} files, {}",
                    commit.get(..12).unwrap_or(commit),
                    files.len(),
                    human_bytes(*bytes_total)
                ));
                bar.set_length(*bytes_total);
            }
            DownloadProgress::Bytes {
                file, bytes_done, ..
            } => {
                bar.set_position(*bytes_done);
                bar.set_message(file.clone());
            }
            DownloadProgress::Verified { .. } => {}
            DownloadProgress::Installing => bar.set_message("checking that it loads"),
        },
    );
    bar.finish_and_clear();
    let downloaded = outcome.map_err(ledge_core::Error::from)?;
    println!("installed {}", downloaded.path.display());
    Ok(ExitCode::SUCCESS)
}

/// Where `import --from` looks.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Origin {
    /// The Hugging Face hub's cache.
    HfCache,
    /// LM Studio's models folder.
    LmStudio,
}

/// The models other tools keep, from `origin` or from all of them.
fn found_models(origin: Option<Origin>) -> Result<Vec<FoundModel>> {
    let mut models = Vec::new();
    if matches!(origin, None | Some(Origin::HfCache))
        && let Some(cache) = environment::hf_hub_cache()
    {
        models.extend(found::in_hf_cache(&cache)?);
    }
    if matches!(origin, None | Some(Origin::LmStudio)) {
        for dir in environment::lm_studio_dirs() {
            models.extend(found::in_lm_studio(&dir)?);
        }
    }
    Ok(models)
}

fn found(json: bool) -> Result<ExitCode> {
    let models = found_models(None)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(ExitCode::SUCCESS);
    }
    if models.is_empty() {
        println!("no models found in the Hugging Face cache or LM Studio's folder");
    }
    let installed = models_dir()?;
    for model in &models {
        let state = match &model.problem {
            Some(problem) => problem.clone(),
            None if installed.join(&model.name).exists() => format!("installed as {}", model.name),
            None => format!(
                "ledge models import --from {} {}",
                model.origin.as_str(),
                model.id
            ),
        };
        println!(
            "{:<10} {:<52} {:<11} {:>9}  {}",
            model.origin.as_str(),
            model.id,
            model.format,
            human_bytes(model.bytes),
            state
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Imports the found models `wanted` designates (an id, an id's prefix, or a name), or all.
fn import_found(
    origin: Origin,
    wanted: Option<&str>,
    name: Option<&str>,
    dtype: WeightDtype,
) -> Result<ExitCode> {
    let models = found_models(Some(origin))?;
    let chosen: Vec<&FoundModel> = models
        .iter()
        .filter(|model| {
            wanted.is_none_or(|wanted| {
                let wanted = wanted.trim_end_matches('/');
                model.id == wanted
                    || model.name == wanted
                    || model.id.starts_with(&format!("{wanted}/"))
            })
        })
        .collect();
    let place = match origin {
        Origin::HfCache => "the Hugging Face cache",
        Origin::LmStudio => "LM Studio's models folder",
    };
    if chosen.is_empty() {
        bail!(
            "no model {}in {place}; `ledge models found` lists what is there",
            wanted.map(|w| format!("`{w}` ")).unwrap_or_default()
        );
    }
    if name.is_some() && chosen.len() > 1 {
        bail!(
            "--name fits one model, and {} match: {}",
            chosen.len(),
            chosen
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let models_dir = models_dir()?;
    let only_one = chosen.len() == 1;
    let mut failed = 0;
    for model in chosen {
        let target = name.unwrap_or(&model.name);
        if let Some(problem) = &model.problem {
            eprintln!("skipped {}: {problem}", model.id);
            // Asked for by itself, it is a failure; among others, it is left out.
            failed += usize::from(only_one && wanted.is_some());
            continue;
        }
        if models_dir.join(target).exists() {
            println!("{} is already installed as {target}", model.id);
            continue;
        }
        match import(&model.path, Some(target), dtype) {
            Ok(_) => {}
            Err(error) => {
                eprintln!("error: {error:#}");
                failed += 1;
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn registry() -> Result<ModelRegistry> {
    let data_dir = environment::data_dir().context("cannot use the data folder")?;
    Ok(ledge_core::registry(
        &data_dir,
        environment::extra_model_dirs(),
    ))
}

/// The chat model folder `name` designates: a folder, or the name of a model Ledge knows.
/// Without a name: `$LEDGE_MODEL`, else the default model, else the only chat model.
pub fn resolve(name: Option<&str>) -> Result<PathBuf> {
    let from_env = std::env::var("LEDGE_MODEL").ok();
    let name = name.or(from_env.as_deref());
    let data_dir = environment::data_dir().context("cannot use the data folder")?;
    let store = ledge_core::open_store(&data_dir)?;
    let entry = ledge_core::choose_chat_model(&registry()?, &store, name)?;
    Ok(entry.path)
}

/// The catalog judged for this computer.
fn catalog(json: bool, all: bool) -> Result<ExitCode> {
    let machine = catalog::Machine::this();
    let installed = registry()?.list()?;
    let judged = catalog::recommend(catalog::catalog()?, &machine, &installed);
    let shown: Vec<_> = judged
        .into_iter()
        .filter(|r| all || r.fit != catalog::Fit::OtherPlatform)
        .collect();
    if json {
        let out = serde_json::json!({ "machine": machine, "models": shown });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let platform = match machine.platform {
        catalog::Platform::AppleSilicon => "Apple Silicon (MLX on Metal)",
        _ => "the CPU",
    };
    println!(
        "Models for this computer: {platform}, {} of memory.",
        human_bytes(machine.memory_bytes)
    );
    println!(
        "{:<30} {:<9} {:>5} {:>9} {:>9} {:>8}  {:<28} status",
        "id", "kind", "size", "download", "memory", "context", "licence"
    );
    for r in &shown {
        let m = &r.model;
        let status = match (r.installed, r.recommended, r.fit) {
            (true, _, _) => "installed",
            (false, true, _) => "recommended",
            (false, false, catalog::Fit::Fits) => "fits",
            (false, false, catalog::Fit::TooBig) => "too big for this computer",
            (false, false, catalog::Fit::OtherPlatform) => "for the other platform",
        };
        let kind = match m.kind {
            catalog::ModelKind::Chat => "chat",
            catalog::ModelKind::Embedding => "embedding",
        };
        println!(
            "{:<30} {:<9} {:>5} {:>9} {:>9} {:>8}  {:<28} {status}",
            m.id,
            kind,
            m.params,
            human_bytes(m.disk_mb * 1_000_000),
            human_bytes(m.memory_mb * 1_000_000),
            m.context,
            m.licence,
        );
    }
    println!(
        "Download one with `ledge models download ID` (the only command that uses the network)."
    );
    Ok(ExitCode::SUCCESS)
}

fn list(json: bool) -> Result<ExitCode> {
    let listed = registry()?.list()?;
    let data_dir = environment::data_dir().context("cannot use the data folder")?;
    let default = ledge_core::open_store(&data_dir)?.setting(DEFAULT_MODEL_SETTING)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(ExitCode::SUCCESS);
    }
    if listed.is_empty() {
        println!("no models: import one with `ledge models import FILE.gguf|FOLDER`");
    }
    for model in &listed {
        let role = match model.role {
            Some(ModelRole::Chat) if default.as_deref() == Some(model.name.as_str()) => {
                "chat (default)"
            }
            Some(ModelRole::Chat) => "chat",
            Some(ModelRole::Embedding) => "embedding",
            None => "-",
        };
        println!(
            "{:<32} {:<14} {:<12} {:>9}  {}",
            model.name,
            role,
            model.architecture.as_deref().unwrap_or("-"),
            human_bytes(model.bytes),
            model.problem.as_deref().unwrap_or("ready"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Shows, sets or clears the default chat model.
fn set_default(name: Option<&str>, clear: bool) -> Result<ExitCode> {
    let data_dir = environment::data_dir().context("cannot use the data folder")?;
    let store = ledge_core::open_store(&data_dir)?;
    if clear {
        store.set_setting(DEFAULT_MODEL_SETTING, None)?;
        println!("no default chat model: the only one installed is used");
        return Ok(ExitCode::SUCCESS);
    }
    match name {
        None => match store.setting(DEFAULT_MODEL_SETTING)? {
            Some(name) => println!("{name}"),
            None => println!("no default chat model set"),
        },
        Some(name) => {
            // Only a model that is installed and can chat may become the default.
            let entry = registry()?.chat_model(Some(name), None)?;
            store.set_setting(DEFAULT_MODEL_SETTING, Some(&entry.name))?;
            println!("default chat model: {}", entry.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn human_bytes(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let mib = bytes as f64 / MIB;
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}
