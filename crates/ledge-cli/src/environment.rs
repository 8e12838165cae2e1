//! Everything the CLI reads from the process environment, in one place.

use std::env;
use std::path::PathBuf;

use ledge_core::DataDir;

/// Ledge's data folder from `LEDGE_HOME` or the platform's data folder.
pub fn data_dir() -> ledge_core::Result<DataDir> {
    DataDir::resolve(env::var_os("LEDGE_HOME"), dirs::data_dir())
}

/// Extra folders to look for models in, from `LEDGE_MODEL_PATH` (a `PATH`-style list).
pub fn extra_model_dirs() -> Vec<PathBuf> {
    env::var_os("LEDGE_MODEL_PATH")
        .map(|value| {
            env::split_paths(&value)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The Hugging Face hub `ledge models download` asks (see [`Hub::from_env`]).
///
/// [`Hub::from_env`]: ledge_core::download::Hub::from_env
pub fn hub() -> ledge_core::download::Hub {
    ledge_core::download::Hub::from_env()
}

/// The Hugging Face home folder (see [`ledge_core::download::hf_home`]).
pub fn hf_home() -> Option<PathBuf> {
    ledge_core::download::hf_home()
}

/// The Hugging Face hub cache: `HF_HUB_CACHE`, else `$HF_HOME/hub` (see [`hf_home`]).
pub fn hf_hub_cache() -> Option<PathBuf> {
    env::var_os("HF_HUB_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| hf_home().map(|home| home.join("hub")))
}

/// LM Studio's models folders: `~/.lmstudio/models` and the older `~/.cache/lm-studio/models`.
pub fn lm_studio_dirs() -> Vec<PathBuf> {
    dirs::home_dir()
        .map(|home| {
            vec![
                home.join(".lmstudio").join("models"),
                home.join(".cache").join("lm-studio").join("models"),
            ]
        })
        .unwrap_or_default()
}

/// Logs go to stderr, filtered by `LEDGE_LOG` (e.g. `LEDGE_LOG=debug`); by default warnings
/// ([`ledge_core::DEFAULT_LOG_FILTER`]). Panics of parsers the indexer survives are logged.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEDGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(ledge_core::DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    ledge_core::log_parser_panics();
}
