//! `ledge models import|list`: the models Ledge can run, and bringing new ones in.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use ledge_llm::import::{ImportOptions, WeightDtype, import_folder, import_gguf};
use ledge_llm::model::ModelConfig;
use ledge_llm::{FoundModel, ModelFormat, discover_models};
use serde::Serialize;

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
    Import {
        /// A `.gguf` file or a folder with config.json, *.safetensors and tokenizer.json.
        source: PathBuf,
        /// The name to install it under; default: the file or folder name.
        #[arg(long)]
        name: Option<String>,
        /// Weight type of a GGUF import: bf16 (default), f16 or f32.
        #[arg(long, default_value = "bf16", value_parser = parse_dtype)]
        dtype: WeightDtype,
    },
    /// List the models found in Ledge's models folder and in $LEDGE_MODEL_PATH.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
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
            name,
            dtype,
        } => import(source, name.as_deref(), *dtype),
        Command::List { json } => list(*json),
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

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[derive(Debug, Serialize)]
struct Listed {
    name: String,
    path: PathBuf,
    format: &'static str,
    bytes: u64,
    architecture: Option<String>,
    /// Why it cannot be run as it is.
    problem: Option<String>,
}

/// Every model folder and GGUF file in the places Ledge looks, in order.
pub fn all_models() -> Result<Vec<FoundModel>> {
    let mut dirs = vec![models_dir()?];
    dirs.extend(environment::extra_model_dirs());
    let mut found = Vec::new();
    for dir in dirs {
        found.extend(
            discover_models(&dir).with_context(|| format!("cannot list {}", dir.display()))?,
        );
    }
    Ok(found)
}

/// The model folder `name` designates: a path, or the name of a model folder Ledge knows.
/// Without a name: `$LEDGE_MODEL` if set, else the only runnable model folder found.
pub fn resolve(name: Option<&str>) -> Result<PathBuf> {
    let from_env = std::env::var("LEDGE_MODEL").ok();
    let name = name.or(from_env.as_deref());
    if let Some(name) = name {
        let path = Path::new(name);
        if path.is_dir() {
            return Ok(path.to_path_buf());
        }
    }
    // Language models only: an embedding model folder (BERT) is not something to generate with.
    let runnable: Vec<FoundModel> = all_models()?
        .into_iter()
        .filter(|model| {
            model.format == ModelFormat::SafetensorsFolder
                && model.problem.is_none()
                && ModelConfig::read(&model.path).is_ok()
        })
        .collect();
    let names = || {
        runnable
            .iter()
            .map(FoundModel::name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => runnable
            .iter()
            .find(|model| model.name() == name)
            .map(|model| model.path.clone())
            .with_context(|| format!("no model named `{name}`; installed: {}", names())),
        None => match runnable.as_slice() {
            [only] => Ok(only.path.clone()),
            [] => {
                bail!("no model installed: import one with `ledge models import FILE.gguf|FOLDER`")
            }
            _ => bail!(
                "several models installed ({}): choose one with --model",
                names()
            ),
        },
    }
}

fn list(json: bool) -> Result<ExitCode> {
    let listed: Vec<Listed> = all_models()?
        .into_iter()
        .map(|model| {
            let architecture = architecture_of(&model);
            let problem = match model.format {
                ModelFormat::Gguf if model.problem.is_none() => {
                    Some("GGUF: run `ledge models import` on it to use it".to_owned())
                }
                _ => model.problem.clone(),
            };
            Listed {
                name: model.name(),
                format: match model.format {
                    ModelFormat::Gguf => "gguf",
                    ModelFormat::SafetensorsFolder => "safetensors",
                },
                path: model.path,
                bytes: model.bytes,
                architecture,
                problem,
            }
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(ExitCode::SUCCESS);
    }
    if listed.is_empty() {
        println!("no models: import one with `ledge models import FILE.gguf|FOLDER`");
    }
    for model in &listed {
        println!(
            "{:<32} {:<12} {:>9}  {}",
            model.name,
            model.architecture.as_deref().unwrap_or("-"),
            human_bytes(model.bytes),
            model.problem.as_deref().unwrap_or("ready"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `model_type` from a folder's config.json.
fn architecture_of(model: &FoundModel) -> Option<String> {
    if model.format != ModelFormat::SafetensorsFolder {
        return None;
    }
    let text = std::fs::read_to_string(model.path.join("config.json")).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    config
        .get("model_type")
        .and_then(|value| value.as_str())
        .map(str::to_owned)
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
