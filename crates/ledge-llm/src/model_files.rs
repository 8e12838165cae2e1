//! Finding model files on disk, without loading them: what `ledge doctor` lists and, later,
//! what the model registry offers to import.
//!
//! Two layouts are recognised: a GGUF file (checked by its magic bytes, so a renamed or
//! truncated download is reported rather than offered), and a Hugging Face / MLX-community
//! folder (`config.json` beside one or more `*.safetensors`). Only reads, never writes.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The layout a model was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFormat {
    /// A single GGUF file (llama.cpp, LM Studio, Ollama).
    Gguf,
    /// A folder with `config.json` and safetensors weights.
    SafetensorsFolder,
}

/// A model found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundModel {
    /// The GGUF file or the model folder.
    pub path: PathBuf,
    /// Its layout.
    pub format: ModelFormat,
    /// Bytes of weights (the file, or the sum of the folder's safetensors files).
    pub bytes: u64,
    /// Why the model cannot be used as it is, if it cannot.
    pub problem: Option<String>,
}

impl FoundModel {
    /// The file or folder name, for display.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

const GGUF_MAGIC: &[u8; 4] = b"GGUF";

/// Lists the models directly in `dir` or one folder below it, sorted by path. A missing
/// `dir` has no models; other I/O errors are returned.
pub fn discover_models(dir: &Path) -> io::Result<Vec<FoundModel>> {
    let mut found = Vec::new();
    if !dir.is_dir() {
        return Ok(found);
    }
    scan(dir, 0, &mut found)?;
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn scan(dir: &Path, depth: usize, found: &mut Vec<FoundModel>) -> io::Result<()> {
    if let Some(model) = safetensors_folder(dir)? {
        found.push(model);
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = entry.file_type()?;
        if file_type.is_dir() && depth == 0 {
            scan(&path, depth + 1, found)?;
        } else if file_type.is_file() && has_extension(&path, "gguf") {
            found.push(gguf_file(&path, entry.metadata()?.len())?);
        }
    }
    Ok(())
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case(extension))
}

fn gguf_file(path: &Path, bytes: u64) -> io::Result<FoundModel> {
    let mut magic = [0u8; 4];
    let read = File::open(path)?.read(&mut magic)?;
    let problem = (read < 4 || &magic != GGUF_MAGIC)
        .then(|| "not a GGUF file (wrong magic bytes; damaged or renamed?)".to_owned());
    Ok(FoundModel {
        path: path.to_path_buf(),
        format: ModelFormat::Gguf,
        bytes,
        problem,
    })
}

fn safetensors_folder(dir: &Path) -> io::Result<Option<FoundModel>> {
    if !dir.join("config.json").is_file() {
        return Ok(None);
    }
    let mut bytes = 0;
    let mut weight_files = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() && has_extension(&entry.path(), "safetensors") {
            bytes += entry.metadata()?.len();
            weight_files += 1;
        }
    }
    if weight_files == 0 {
        return Ok(None);
    }
    let problem = (!dir.join("tokenizer.json").is_file()).then(|| "no tokenizer.json".to_owned());
    Ok(Some(FoundModel {
        path: dir.to_path_buf(),
        format: ModelFormat::SafetensorsFolder,
        bytes,
        problem,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_gguf_files_and_safetensors_folders_and_flags_a_fake_gguf() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        fs::write(root.join("good.gguf"), b"GGUF\x03\x00\x00\x00rest").unwrap();
        fs::create_dir(root.join("nested")).unwrap();
        fs::write(
            root.join("nested/renamed.gguf"),
            b"<html>not a model</html>",
        )
        .unwrap();
        fs::create_dir(root.join("embedder")).unwrap();
        fs::write(root.join("embedder/config.json"), b"{}").unwrap();
        fs::write(root.join("embedder/model.safetensors"), vec![0u8; 100]).unwrap();
        fs::write(root.join("notes.txt"), b"not a model").unwrap();

        let found = discover_models(root).unwrap();
        let summary: Vec<_> = found
            .iter()
            .map(|m| (m.name(), m.format, m.bytes, m.problem.is_some()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "embedder".to_owned(),
                    ModelFormat::SafetensorsFolder,
                    100,
                    true
                ),
                ("good.gguf".to_owned(), ModelFormat::Gguf, 12, false),
                ("renamed.gguf".to_owned(), ModelFormat::Gguf, 24, true),
            ]
        );
    }

    #[test]
    fn a_missing_folder_has_no_models() {
        let temp = tempfile::tempdir().unwrap();
        assert!(
            discover_models(&temp.path().join("absent"))
                .unwrap()
                .is_empty()
        );
    }
}
