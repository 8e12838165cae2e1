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

/// Logs go to stderr, filtered by `LEDGE_LOG` (e.g. `LEDGE_LOG=debug`); warnings by default.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEDGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
