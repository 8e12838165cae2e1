//! Importing models into Ledge's model folder.
//!
//! `import_gguf` turns a GGUF file (what llama.cpp, LM Studio and Ollama keep) into a Hugging
//! Face style model folder that MLX loads: `model.safetensors` with every tensor dequantized
//! and put back into the Hugging Face layout ([`layout`]), `config.json`,
//! `generation_config.json`, `tokenizer.json` and `tokenizer_config.json` rebuilt from the
//! tokenizer metadata ([`tokenizer`]), and `ledge-import.json` recording where it came from.
//!
//! An import is all or nothing: the folder is written under a hidden `.NAME.partial-PID`
//! name beside its destination and renamed into place only when complete; any error removes
//! it. The source file is only read.

mod folder;
pub mod layout;
pub mod tokenizer;

use std::fs;
use std::path::{Path, PathBuf};

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use safetensors::tensor::{Dtype, TensorView};
use serde_json::json;

use crate::gguf::GgufFile;
use crate::{Error, Result};
pub use folder::{FolderProgress, import_folder, is_model_file};
use layout::{Architecture, Transform};
pub use tokenizer::{GgufTokenizer, tokenizer_from_gguf};

/// The floating-point type the imported weights are stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightDtype {
    /// 32-bit floats: exact, twice the size of the 16-bit types.
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16, the type these models are trained in.
    #[default]
    BF16,
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The stored weight type.
    pub dtype: WeightDtype,
    /// The model folder's name; default: the GGUF file's name without `.gguf`.
    pub name: Option<String>,
}

/// Progress of an import, reported after each tensor.
#[derive(Debug, Clone)]
pub struct ImportProgress {
    /// Tensors converted so far.
    pub done: usize,
    /// Tensors in the file.
    pub total: usize,
    /// The tensor just converted.
    pub tensor: String,
}

/// Imports the GGUF file `source` as a model folder inside `models_dir` and returns its path.
pub fn import_gguf(
    source: &Path,
    models_dir: &Path,
    options: &ImportOptions,
    mut progress: impl FnMut(&ImportProgress),
) -> Result<PathBuf> {
    let mut file = GgufFile::open(source)?;
    let architecture = Architecture::of(&file)?;
    let config = layout::hf_config(&file, architecture)?;
    let (heads, kv_heads) = layout::head_counts(&file, architecture)?;
    // Built before any tensor is converted, so broken tokenizer metadata fails the import early.
    let tokenizer = GgufTokenizer::from_gguf(&file)?;

    let name = match &options.name {
        Some(name) => name.clone(),
        None => default_name(source),
    };
    let destination = models_dir.join(&name);
    if destination.exists() {
        return Err(Error::ModelExists { path: destination });
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    fs::create_dir_all(models_dir).map_err(io(models_dir))?;
    let staging =
        Staging::create(models_dir.join(format!(".{name}.partial-{}", std::process::id())))?;

    let tensors = file.tensors();
    let total = tensors.len();
    let mut converted: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::with_capacity(total);
    for (index, info) in tensors.into_iter().enumerate() {
        match layout::hf_tensor(architecture, &info.name, heads, kv_heads) {
            None if info.name == "rope_freqs.weight" => {}
            None => {
                return Err(Error::InvalidModel {
                    path: source.to_path_buf(),
                    reason: format!(
                        "unexpected tensor {} for a {architecture:?} model",
                        info.name
                    ),
                });
            }
            Some((hf_name, transform)) => {
                let tensor = file.dequantize(&info.name)?;
                let values = apply(transform, tensor.data, &tensor.shape).ok_or_else(|| {
                    Error::InvalidModel {
                        path: source.to_path_buf(),
                        reason: format!(
                            "tensor {} has shape {:?}, which does not fit {heads} heads",
                            info.name, tensor.shape
                        ),
                    }
                })?;
                converted.push((hf_name, tensor.shape, encode(&values, options.dtype)));
            }
        }
        progress(&ImportProgress {
            done: index + 1,
            total,
            tensor: info.name,
        });
    }

    let dtype = match options.dtype {
        WeightDtype::F32 => Dtype::F32,
        WeightDtype::F16 => Dtype::F16,
        WeightDtype::BF16 => Dtype::BF16,
    };
    let views = converted
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(dtype, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
                .map_err(|error| Error::InvalidModel {
                    path: source.to_path_buf(),
                    reason: format!("tensor {name}: {error}"),
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let weights = staging.path().join("model.safetensors");
    let metadata = Some([("format".to_owned(), "mlx".to_owned())].into());
    safetensors::serialize_to_file(views, metadata, &weights).map_err(|error| {
        Error::InvalidModel {
            path: weights.clone(),
            reason: format!("cannot write weights: {error}"),
        }
    })?;
    drop(converted);

    let mut config = config;
    config["torch_dtype"] = json!(match options.dtype {
        WeightDtype::F32 => "float32",
        WeightDtype::F16 => "float16",
        WeightDtype::BF16 => "bfloat16",
    });
    write_json(&staging.path().join("config.json"), &config)?;
    write_json(
        &staging.path().join("generation_config.json"),
        &json!({ "bos_token_id": config["bos_token_id"], "eos_token_id": config["eos_token_id"] }),
    )?;
    tokenizer.write_to(staging.path())?;
    let source_len = fs::metadata(source).map_err(io(source))?.len();
    write_json(
        &staging.path().join("ledge-import.json"),
        &json!({
            "source": source.canonicalize().unwrap_or_else(|_| source.to_path_buf()),
            "source_bytes": source_len,
            "source_format": "gguf",
            "architecture": file.architecture()?,
            "ledge_version": env!("CARGO_PKG_VERSION"),
        }),
    )?;
    staging.commit(&destination)?;
    tracing::info!(source = %source.display(), destination = %destination.display(), "imported GGUF model");
    Ok(destination)
}

fn default_name(source: &Path) -> String {
    let stem = source
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('.').to_owned();
    if name.is_empty() {
        "model".to_owned()
    } else {
        name
    }
}

fn apply(transform: Transform, data: Vec<f32>, shape: &[usize]) -> Option<Vec<f32>> {
    match transform {
        Transform::None => Some(data),
        Transform::SubtractOne => Some(data.into_iter().map(|v| v - 1.0).collect()),
        Transform::Unpermute { heads } => match shape {
            [rows, cols] => layout::unpermute_rows(&data, *rows, *cols, heads),
            [rows] => layout::unpermute_rows(&data, *rows, 1, heads),
            _ => None,
        },
    }
}

/// Little-endian bytes of `values` in `dtype` (safetensors is little-endian, as is every
/// machine MLX runs on). The conversions are `half`'s vectorised slice routines.
fn encode(values: &[f32], dtype: WeightDtype) -> Vec<u8> {
    const _: () = assert!(
        cfg!(target_endian = "little"),
        "safetensors bytes are little-endian"
    );
    match dtype {
        WeightDtype::F32 => bytemuck::cast_slice(values).to_vec(),
        WeightDtype::F16 => {
            let mut halves = vec![f16::ZERO; values.len()];
            halves.convert_from_f32_slice(values);
            bytemuck::cast_slice(&halves).to_vec()
        }
        WeightDtype::BF16 => {
            let mut halves = vec![bf16::ZERO; values.len()];
            halves.convert_from_f32_slice(values);
            bytemuck::cast_slice(&halves).to_vec()
        }
    }
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|error| Error::InvalidModel {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    fs::write(path, text + "\n").map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A folder being written; removed on drop unless committed.
#[derive(Debug)]
struct Staging {
    path: PathBuf,
    committed: bool,
}

impl Staging {
    fn create(path: PathBuf) -> Result<Staging> {
        if path.exists() {
            fs::remove_dir_all(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        }
        fs::create_dir(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Staging {
            path,
            committed: false,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn commit(mut self, destination: &Path) -> Result<()> {
        fs::rename(&self.path, destination).map_err(|source| Error::Io {
            path: destination.to_path_buf(),
            source,
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed
            && let Err(error) = fs::remove_dir_all(&self.path)
        {
            tracing::warn!(path = %self.path.display(), %error, "could not remove a failed import");
        }
    }
}
