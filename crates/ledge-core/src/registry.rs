//! The model registry: which models are installed, what each is for (answering or
//! embedding), and which one to use.
//!
//! Models live in the data folder's `models/` and in extra folders the shell passes (from
//! `LEDGE_MODEL_PATH`). A folder is a chat model when `ledge-llm` can read its decoder
//! configuration, an embedding model when it is a BERT sentence-transformers folder; a GGUF
//! file must be imported first. The default chat model is a setting in the assistant's
//! database.

use std::path::{Path, PathBuf};

use ledge_llm::model::ModelConfig;
use ledge_llm::{FoundModel, ModelFormat, discover_models};
use serde::Serialize;

use crate::{Error, Result};

/// What a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelRole {
    /// Writes answers (a decoder with a chat template, or a base model).
    Chat,
    /// Turns passages and questions into vectors for search.
    Embedding,
}

/// An installed (or found) model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelEntry {
    /// Its name: the folder or file name.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// `safetensors` folder or `gguf` file.
    pub format: &'static str,
    /// What it is for, when Ledge can run it.
    pub role: Option<ModelRole>,
    /// The architecture (`llama`, `gemma3_text`, `bert`, ...), when known.
    pub architecture: Option<String>,
    /// Bytes of weights.
    pub bytes: u64,
    /// Why it cannot be used as it is.
    pub problem: Option<String>,
}

/// Where models are found.
#[derive(Debug, Clone)]
pub struct ModelRegistry {
    dirs: Vec<PathBuf>,
}

fn model_type(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    config.get("model_type")?.as_str().map(str::to_owned)
}

fn classify(found: FoundModel) -> ModelEntry {
    let name = found.name();
    let (format, mut role, architecture, mut problem) = match found.format {
        ModelFormat::Gguf => (
            "gguf",
            None,
            None,
            Some(
                found
                    .problem
                    .clone()
                    .unwrap_or_else(|| "GGUF: run `ledge models import` on it to use it".into()),
            ),
        ),
        ModelFormat::SafetensorsFolder => {
            let architecture = model_type(&found.path);
            let role = if architecture.as_deref() == Some("bert") {
                Some(ModelRole::Embedding)
            } else {
                match ModelConfig::read(&found.path) {
                    Ok(_) => Some(ModelRole::Chat),
                    Err(_) => None,
                }
            };
            let problem = found.problem.clone().or_else(|| {
                role.is_none().then(|| {
                    format!(
                        "unsupported model type {}",
                        architecture.as_deref().unwrap_or("(none in config.json)")
                    )
                })
            });
            ("safetensors", role, architecture, problem)
        }
    };
    if found.problem.is_some() {
        role = None;
        problem = found.problem.clone();
    }
    ModelEntry {
        name,
        path: found.path,
        format,
        role,
        architecture,
        bytes: found.bytes,
        problem,
    }
}

impl ModelRegistry {
    /// Models in `models_dir` (Ledge's own) and then in `extra` folders.
    pub fn new(models_dir: PathBuf, extra: Vec<PathBuf>) -> ModelRegistry {
        let mut dirs = vec![models_dir];
        dirs.extend(extra);
        ModelRegistry { dirs }
    }

    /// Every model found, Ledge's own folder first, each folder sorted by path.
    pub fn list(&self) -> Result<Vec<ModelEntry>> {
        let mut entries = Vec::new();
        for dir in &self.dirs {
            let found = discover_models(dir).map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            entries.extend(found.into_iter().map(classify));
        }
        Ok(entries)
    }

    fn pick(
        &self,
        role: ModelRole,
        requested: Option<&str>,
        default: Option<&str>,
    ) -> Result<Option<ModelEntry>> {
        if let Some(path) = requested.map(Path::new).filter(|p| p.is_dir()) {
            let found = FoundModel {
                path: path.to_path_buf(),
                format: ModelFormat::SafetensorsFolder,
                bytes: 0,
                problem: None,
            };
            let entry = classify(found);
            return match entry.role {
                Some(found_role) if found_role == role => Ok(Some(entry)),
                _ => Err(Error::ModelUnusable {
                    name: entry.name.clone(),
                    reason: entry
                        .problem
                        .unwrap_or_else(|| format!("it is not a {} model", role_word(role))),
                }),
            };
        }
        let usable: Vec<ModelEntry> = self
            .list()?
            .into_iter()
            .filter(|entry| entry.role == Some(role))
            .collect();
        let names = || usable.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
        if let Some(name) = requested.or(default) {
            return match usable.iter().find(|entry| entry.name == name) {
                Some(entry) => Ok(Some(entry.clone())),
                None => Err(Error::NoSuchModel {
                    name: name.to_owned(),
                    installed: names(),
                }),
            };
        }
        match usable.as_slice() {
            [] => Ok(None),
            [only] => Ok(Some(only.clone())),
            _ => Err(Error::ModelChoiceNeeded { installed: names() }),
        }
    }

    /// The chat model to answer with: `requested` (a name or a folder), else `default` (the
    /// setting), else the only one installed.
    pub fn chat_model(&self, requested: Option<&str>, default: Option<&str>) -> Result<ModelEntry> {
        self.pick(ModelRole::Chat, requested, default)?
            .ok_or(Error::NoChatModel)
    }

    /// The embedding model: `requested` (a name or a folder), else the only one installed;
    /// none installed is not an error (search is then by words only).
    pub fn embedding_model(&self, requested: Option<&str>) -> Result<Option<ModelEntry>> {
        match self.pick(ModelRole::Embedding, requested, None) {
            // Several embedders and no choice: the first (Ledge's own folder first) serves.
            Err(Error::ModelChoiceNeeded { .. }) => Ok(self
                .list()?
                .into_iter()
                .find(|entry| entry.role == Some(ModelRole::Embedding))),
            other => other,
        }
    }
}

fn role_word(role: ModelRole) -> &'static str {
    match role {
        ModelRole::Chat => "chat",
        ModelRole::Embedding => "embedding",
    }
}
