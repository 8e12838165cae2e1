//! Importing a Hugging Face / MLX-community model folder: copying the files a model needs
//! into Ledge's model folder, and proving the copy loads before it becomes visible.
//!
//! Only known files are copied (configuration, weights, tokenizer, chat template), so a
//! folder that also holds PyTorch checkpoints or a git history does not drag them along. The
//! copy is staged under a hidden name like a GGUF import, loaded once as a model and a
//! tokenizer, and renamed into place only if that succeeds.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Staging, default_name};
use crate::embed::Embedder;
use crate::{Error, Result};

/// Files copied besides the `*.safetensors` weights.
const MODEL_FILES: &[&str] = &[
    "config.json",
    "model.safetensors.index.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "chat_template.json",
    // Sentence-transformers (embedding models).
    "sentence_bert_config.json",
    "modules.json",
];

/// The pooling configuration of a sentence-transformers folder, in its own subfolder.
const POOLING_CONFIG: &str = "1_Pooling/config.json";

/// Whether a file of a model repository (its path inside the repository, `/`-separated) is
/// one a folder import takes: the configuration, tokenizer and chat template files, the
/// `*.safetensors` weights at the top, and a sentence-transformers pooling configuration.
/// Downloads use it to fetch only what an import keeps.
pub fn is_model_file(relative: &str) -> bool {
    relative == POOLING_CONFIG
        || (!relative.contains('/')
            && (relative.ends_with(".safetensors") || MODEL_FILES.contains(&relative)))
}

/// Progress of a folder import, reported after each file.
#[derive(Debug, Clone)]
pub struct FolderProgress {
    /// Bytes copied so far.
    pub bytes_done: u64,
    /// Bytes to copy.
    pub bytes_total: u64,
    /// The file just copied.
    pub file: String,
}

/// Copies the model folder `source` into `models_dir` (under `name`, by default the source
/// folder's name), checks that it loads, and returns its new path. The source is only read.
pub fn import_folder(
    source: &Path,
    models_dir: &Path,
    name: Option<&str>,
    mut progress: impl FnMut(&FolderProgress),
) -> Result<PathBuf> {
    let files = files_to_copy(source)?;
    let name = name.map_or_else(|| default_name(source), str::to_owned);
    let destination = models_dir.join(&name);
    if destination.exists() {
        return Err(Error::ModelExists { path: destination });
    }
    fs::create_dir_all(models_dir).map_err(|source| Error::Io {
        path: models_dir.to_path_buf(),
        source,
    })?;
    let staging =
        Staging::create(models_dir.join(format!(".{name}.partial-{}", std::process::id())))?;

    let bytes_total = files.iter().map(|(_, size)| size).sum();
    let mut bytes_done = 0;
    for (file, size) in &files {
        let relative = file.strip_prefix(source).unwrap_or(file);
        let target = staging.path().join(relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|error| Error::Io {
                path: parent.to_path_buf(),
                source: error,
            })?;
        }
        fs::copy(file, &target).map_err(|error| Error::Io {
            path: file.clone(),
            source: error,
        })?;
        bytes_done += size;
        progress(&FolderProgress {
            bytes_done,
            bytes_total,
            file: relative.to_string_lossy().into_owned(),
        });
    }

    // A folder that does not load is not installed: the error names the bad file, which
    // points at the source since the copy is byte for byte.
    let at_source = |error: Error| relocate(error, staging.path(), source);
    if is_embedding_model(staging.path()) {
        Embedder::load(staging.path()).map_err(at_source)?;
    } else {
        crate::generate::load_model(staging.path()).map_err(at_source)?;
    }

    staging.commit(&destination)?;
    Ok(destination)
}

/// Whether `dir` holds a BERT sentence-embedding model rather than a decoder.
fn is_embedding_model(dir: &Path) -> bool {
    fs::read_to_string(dir.join("config.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|config| config.get("model_type").and_then(|t| t.as_str()) == Some("bert"))
}

/// The files of a model folder worth copying, with their sizes; checks the essentials exist.
fn files_to_copy(source: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    if !source.join("config.json").is_file() {
        return Err(Error::InvalidModel {
            path: source.to_path_buf(),
            reason: "not a model folder: no config.json".into(),
        });
    }
    let mut files = Vec::new();
    let mut weights = 0;
    for entry in fs::read_dir(source).map_err(io(source))? {
        let entry = entry.map_err(io(source))?;
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let is_weights = path
            .extension()
            .is_some_and(|extension| extension == "safetensors");
        if !(is_weights || MODEL_FILES.contains(&file_name.as_str())) {
            continue;
        }
        let metadata = fs::metadata(&path).map_err(io(&path))?;
        if !metadata.is_file() {
            continue;
        }
        weights += usize::from(is_weights);
        files.push((path, metadata.len()));
    }
    if weights == 0 {
        return Err(Error::InvalidModel {
            path: source.to_path_buf(),
            reason: "not a model folder: no *.safetensors weights".into(),
        });
    }
    let pooling = source.join(POOLING_CONFIG);
    if let Ok(metadata) = fs::metadata(&pooling)
        && metadata.is_file()
    {
        files.push((pooling, metadata.len()));
    }
    files.sort();
    Ok(files)
}

/// Rewrites paths inside the staging folder in `error` to the same file in `source`.
fn relocate(error: Error, staging: &Path, source: &Path) -> Error {
    let moved = |path: PathBuf| match path.strip_prefix(staging) {
        Ok(relative) => source.join(relative),
        Err(_) => path,
    };
    match error {
        Error::InvalidModel { path, reason } => Error::InvalidModel {
            path: moved(path),
            reason,
        },
        Error::Io { path, source } => Error::Io {
            path: moved(path),
            source,
        },
        Error::UnsupportedArchitecture { path, architecture } => Error::UnsupportedArchitecture {
            path: moved(path),
            architecture,
        },
        other => other,
    }
}
