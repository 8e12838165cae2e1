//! Models the person already has from other tools: the Hugging Face cache (what
//! `huggingface_hub`, `transformers` and `mlx-lm` download into) and LM Studio's models folder.
//! Listing them reads only folder listings and small files; importing one goes through the
//! usual import ([`ledge_llm::import`]), which copies, so the other tool's files stay as they
//! are.
//!
//! Layouts understood:
//! - Hugging Face cache (`$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`):
//!   `models--OWNER--NAME/snapshots/COMMIT/` whose files are links into `blobs/`; the snapshot
//!   `refs/main` names is used, else the newest. A snapshot with `config.json` and
//!   `*.safetensors` is a model folder; `*.gguf` files in it are GGUF models.
//! - LM Studio (`~/.lmstudio/models`, formerly `~/.cache/lm-studio/models`):
//!   `PUBLISHER/MODEL/` holding `*.gguf` files (vision projectors `mmproj-*` are left out) or
//!   an MLX model folder.
//!
//! The caller (a shell) says where these folders are; this module reads no environment.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result};

/// Where a found model lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// The Hugging Face hub's cache.
    HfCache,
    /// LM Studio's models folder.
    LmStudio,
}

impl Origin {
    /// The name used on the command line (`hf-cache`, `lm-studio`).
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::HfCache => "hf-cache",
            Origin::LmStudio => "lm-studio",
        }
    }
}

/// A model found in another tool's folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundModel {
    /// Where it was found.
    pub origin: Origin,
    /// Its id there: `OWNER/NAME` (Hugging Face), `PUBLISHER/MODEL` (LM Studio), with
    /// `/FILE.gguf` added for a GGUF file.
    pub id: String,
    /// The name it gets when imported.
    pub name: String,
    /// The model folder (a snapshot) or the GGUF file.
    pub path: PathBuf,
    /// `safetensors` or `gguf`.
    pub format: &'static str,
    /// Bytes of weights.
    pub bytes: u64,
    /// Why it cannot be imported, if it cannot.
    pub problem: Option<String>,
}

/// Every model in the Hugging Face cache folder `hub_cache` (the folder holding
/// `models--*`), sorted by id. A missing folder holds none.
pub fn in_hf_cache(hub_cache: &Path) -> Result<Vec<FoundModel>> {
    let mut found = Vec::new();
    for repo_dir in subfolders(hub_cache)? {
        let folder_name = file_name(&repo_dir);
        let Some(id) = folder_name
            .strip_prefix("models--")
            .map(|rest| rest.replacen("--", "/", 1))
        else {
            continue; // datasets--, spaces--, .locks
        };
        let Some(snapshot) = current_snapshot(&repo_dir)? else {
            continue;
        };
        let repo_name = id.rsplit('/').next().unwrap_or(&id).to_owned();
        found.extend(models_in(Origin::HfCache, &id, &repo_name, &snapshot)?);
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

/// Every model in an LM Studio models folder (the one holding `PUBLISHER/MODEL/`), sorted by
/// id. A missing folder holds none.
pub fn in_lm_studio(models_dir: &Path) -> Result<Vec<FoundModel>> {
    let mut found = Vec::new();
    for publisher in subfolders(models_dir)? {
        for model_dir in subfolders(&publisher)? {
            let id = format!("{}/{}", file_name(&publisher), file_name(&model_dir));
            found.extend(models_in(
                Origin::LmStudio,
                &id,
                &file_name(&model_dir),
                &model_dir,
            )?);
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

/// The snapshot `refs/main` points at, else the most recently changed one.
fn current_snapshot(repo_dir: &Path) -> Result<Option<PathBuf>> {
    let snapshots = repo_dir.join("snapshots");
    if let Ok(commit) = fs::read_to_string(repo_dir.join("refs").join("main")) {
        let path = snapshots.join(commit.trim());
        if path.is_dir() {
            return Ok(Some(path));
        }
    }
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for snapshot in subfolders(&snapshots)? {
        let changed = fs::metadata(&snapshot)
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH);
        if newest.as_ref().is_none_or(|(time, _)| changed > *time) {
            newest = Some((changed, snapshot));
        }
    }
    Ok(newest.map(|(_, path)| path))
}

/// The models in one folder: the folder itself when it is a safetensors model, and each GGUF
/// file in it.
fn models_in(origin: Origin, id: &str, name: &str, dir: &Path) -> Result<Vec<FoundModel>> {
    let mut found = Vec::new();
    let mut weights = 0u64;
    let mut has_weights = false;
    let mut broken = Vec::new();
    let entries = fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut ggufs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let file = file_name(&path);
        // `metadata` follows the cache's links to its blobs; a link whose blob is missing
        // is an incomplete download.
        let Ok(metadata) = fs::metadata(&path) else {
            broken.push(file);
            continue;
        };
        if !metadata.is_file() {
            continue;
        }
        if file.ends_with(".safetensors") {
            has_weights = true;
            weights += metadata.len();
        } else if file.to_ascii_lowercase().ends_with(".gguf") {
            ggufs.push((path, file, metadata.len()));
        }
    }
    if has_weights && dir.join("config.json").is_file() {
        broken.sort();
        found.push(FoundModel {
            origin,
            id: id.to_owned(),
            name: name.to_owned(),
            path: dir.to_path_buf(),
            format: "safetensors",
            bytes: weights,
            problem: (!broken.is_empty())
                .then(|| format!("incomplete download: {} missing", broken.join(", "))),
        });
    }
    ggufs.sort();
    let is_projector = |file: &str| file.to_ascii_lowercase().starts_with("mmproj");
    let several = ggufs
        .iter()
        .filter(|(_, file, _)| !is_projector(file))
        .count()
        > 1;
    for (path, file, bytes) in ggufs {
        let stem = file
            .rsplit_once('.')
            .map_or(file.as_str(), |(stem, _)| stem)
            .to_owned();
        let projector = is_projector(&file);
        found.push(FoundModel {
            origin,
            id: format!("{id}/{file}"),
            // One GGUF: the model's name; several (quantizations): the file's.
            name: if several { stem } else { name.to_owned() },
            path,
            format: "gguf",
            bytes,
            problem: projector.then(|| "a vision projector, not a language model".to_owned()),
        });
    }
    Ok(found)
}

fn subfolders(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir() && !file_name(path).starts_with('.'))
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_snapshot_with_a_missing_blob_is_listed_as_incomplete() {
        let temp = tempfile::tempdir().unwrap();
        let repo = temp.path().join("models--org--tiny");
        let snapshot = repo.join("snapshots/abc");
        fs::create_dir_all(&snapshot).unwrap();
        fs::create_dir_all(repo.join("blobs")).unwrap();
        fs::write(repo.join("blobs/1"), "{}").unwrap();
        std::os::unix::fs::symlink("../../blobs/1", snapshot.join("config.json")).unwrap();
        fs::write(snapshot.join("model-00001.safetensors"), [0u8; 8]).unwrap();
        std::os::unix::fs::symlink("../../blobs/2", snapshot.join("model-00002.safetensors"))
            .unwrap();
        fs::create_dir_all(temp.path().join("datasets--org--data/snapshots/x")).unwrap();
        let found = in_hf_cache(temp.path()).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, "org/tiny");
        assert_eq!(found[0].name, "tiny");
        assert_eq!(found[0].bytes, 8);
        assert_eq!(
            found[0].problem.as_deref(),
            Some("incomplete download: model-00002.safetensors missing")
        );
        assert!(in_hf_cache(&temp.path().join("absent")).unwrap().is_empty());
    }
}
