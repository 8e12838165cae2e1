//! A model folder's weights: one `model.safetensors`, or the shards that
//! `model.safetensors.index.json` lists, read into MLX arrays in the type they are stored in.
//!
//! Every file is parsed by the `safetensors` crate before anything is used, so a truncated or
//! damaged file is an [`Error::InvalidModel`] naming that file. Tensors are looked up by name
//! with the shape the architecture expects; a missing tensor names the file the index says
//! holds it (or the one weights file), a wrong shape names the file it came from.
//!
//! Float weights (F32, F16, BF16) keep their type unless the caller asks for F32 (see
//! [`super::ComputeDtype`]); MLX-quantized layers keep their packed
//! `uint32` weights with their `scales` and `biases` (see [`super::layers::Linear`]).
//! Safetensors data is little-endian, like every machine MLX runs on.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use mlx_rs::{Array, Dtype};
use safetensors::SafeTensors;
use safetensors::tensor::Dtype as StDtype;
use serde::Deserialize;

use crate::{Error, Result};

/// The index file of a sharded checkpoint.
const INDEX: &str = "model.safetensors.index.json";

/// One stored tensor.
struct Stored {
    array: Array,
    shape: Vec<usize>,
    file: Arc<Path>,
}

/// All tensors of a model folder, taken out one by one as the model is built.
pub(crate) struct Weights {
    tensors: HashMap<String, Stored>,
    /// Which file the index says holds each tensor (empty without an index).
    index: HashMap<String, Arc<Path>>,
    /// What a missing tensor's error names when the index does not know it.
    listing: PathBuf,
}

#[derive(Deserialize)]
struct IndexFile {
    weight_map: HashMap<String, String>,
}

impl Weights {
    /// Reads every weights file of `dir`; with `upcast`, F16 and BF16 tensors become F32.
    pub(crate) fn read(dir: &Path, upcast: bool) -> Result<Self> {
        let index_path = dir.join(INDEX);
        let (files, index, listing) = if index_path.is_file() {
            let text = std::fs::read_to_string(&index_path).map_err(|source| Error::Io {
                path: index_path.clone(),
                source,
            })?;
            let parsed: IndexFile =
                serde_json::from_str(&text).map_err(|error| Error::InvalidModel {
                    path: index_path.clone(),
                    reason: format!("not a safetensors index: {error}"),
                })?;
            let mut files: BTreeSet<String> = BTreeSet::new();
            let mut shared: HashMap<String, Arc<Path>> = HashMap::new();
            let mut index = HashMap::new();
            for (tensor, file) in parsed.weight_map {
                if file.contains('/') || file.contains('\\') || file == ".." {
                    return Err(Error::InvalidModel {
                        path: index_path.clone(),
                        reason: format!("`{file}` is not a file name in the model folder"),
                    });
                }
                let path = shared
                    .entry(file.clone())
                    .or_insert_with(|| Arc::from(dir.join(&file).as_path()))
                    .clone();
                files.insert(file);
                index.insert(tensor, path);
            }
            let files = files.into_iter().map(|f| dir.join(f)).collect::<Vec<_>>();
            (files, index, index_path)
        } else {
            let single = dir.join("model.safetensors");
            let files = if single.is_file() {
                vec![single.clone()]
            } else {
                let mut found = list_safetensors(dir)?;
                found.sort();
                found
            };
            if files.is_empty() {
                return Err(Error::InvalidModel {
                    path: single,
                    reason: "no weights: neither this file nor any other *.safetensors".to_owned(),
                });
            }
            let listing = if files.len() == 1 {
                files[0].clone()
            } else {
                single
            };
            (files, HashMap::new(), listing)
        };

        let mut tensors = HashMap::new();
        for file in files {
            read_file(&file, upcast, &mut tensors)?;
        }
        Ok(Self {
            tensors,
            index,
            listing,
        })
    }

    /// Whether the folder holds tensor `name`.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// Takes tensor `name`, checked to have `shape` and one of `dtypes`.
    pub(crate) fn take(&mut self, name: &str, shape: &[usize], dtypes: &[Dtype]) -> Result<Array> {
        let stored = match self.tensors.remove(name) {
            Some(stored) => stored,
            None => {
                let path = self
                    .index
                    .get(name)
                    .map_or_else(|| self.listing.clone(), |p| p.to_path_buf());
                return Err(Error::InvalidModel {
                    path,
                    reason: format!("tensor `{name}` is missing"),
                });
            }
        };
        if stored.shape != shape {
            return Err(Error::InvalidModel {
                path: stored.file.to_path_buf(),
                reason: format!(
                    "tensor `{name}` has shape {:?}, expected {shape:?}",
                    stored.shape
                ),
            });
        }
        let dtype = stored.array.dtype();
        if !dtypes.contains(&dtype) {
            return Err(Error::InvalidModel {
                path: stored.file.to_path_buf(),
                reason: format!("tensor `{name}` is {dtype:?}, expected one of {dtypes:?}"),
            });
        }
        Ok(stored.array)
    }

    /// Takes a float tensor (F32, F16 or BF16).
    pub(crate) fn take_float(&mut self, name: &str, shape: &[usize]) -> Result<Array> {
        self.take(name, shape, &FLOATS)
    }

    /// Drops tensor `name` if present (weights the model does not use, such as a tied
    /// `lm_head`).
    pub(crate) fn discard(&mut self, name: &str) {
        self.tensors.remove(name);
    }

    /// Names of the tensors not taken, sorted.
    pub(crate) fn remaining(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tensors.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// The float types weights may be stored in.
pub(crate) const FLOATS: [Dtype; 3] = [Dtype::Float32, Dtype::Float16, Dtype::Bfloat16];

fn list_safetensors(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| Error::Io {
        path: dir.to_owned(),
        source,
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "safetensors") && path.is_file() {
            found.push(path);
        }
    }
    Ok(found)
}

/// Parses one safetensors file and adds its tensors as MLX arrays.
///
/// The file is mapped rather than read whole: each tensor is copied into MLX once, straight
/// from the mapping when its offset suits its type, and its pages are dropped from the mapping
/// once copied. Loading thus peaks near one copy of the weights plus the largest tensor (a
/// whole-file read held two copies until the last tensor was made).
fn read_file(path: &Path, upcast: bool, tensors: &mut HashMap<String, Stored>) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let handle = std::fs::File::open(path).map_err(io_error)?;
    // SAFETY: the mapping is read-only and private to this call. Model folders belong to
    // Ledge's data folder and are written once, by an import; a file changed underneath would
    // give wrong numbers (or SIGBUS if truncated), never unsound Rust values, since every
    // tensor is copied out as plain bytes.
    let map = unsafe { memmap2::Mmap::map(&handle) }.map_err(io_error)?;
    let invalid = |reason: String| Error::InvalidModel {
        path: path.to_owned(),
        reason,
    };
    let file = SafeTensors::deserialize(&map)
        .map_err(|error| invalid(format!("not a readable safetensors file: {error}")))?;
    let shared: Arc<Path> = Arc::from(path);
    for (name, view) in file.tensors() {
        let shape = view.shape().to_vec();
        let dims = shape
            .iter()
            .map(|&d| i32::try_from(d))
            .collect::<Result<Vec<i32>, _>>()
            .map_err(|_| invalid(format!("tensor `{name}` is too large: {shape:?}")))?;
        let data = view.data();
        let array = match view.dtype() {
            StDtype::F32 => array_of::<f32>(data, |v| Array::from_slice(v, &dims)),
            StDtype::F16 if upcast => {
                let mut wide = vec![0.0f32; data.len() / 2];
                collect::<f16>(data).convert_to_f32_slice(&mut wide);
                Array::from_slice(&wide, &dims)
            }
            StDtype::BF16 if upcast => {
                let mut wide = vec![0.0f32; data.len() / 2];
                collect::<bf16>(data).convert_to_f32_slice(&mut wide);
                Array::from_slice(&wide, &dims)
            }
            StDtype::F16 => array_of::<f16>(data, |v| Array::from_slice(v, &dims)),
            StDtype::BF16 => array_of::<bf16>(data, |v| Array::from_slice(v, &dims)),
            StDtype::U32 => array_of::<u32>(data, |v| Array::from_slice(v, &dims)),
            other => {
                return Err(invalid(format!(
                    "tensor `{name}` is {other:?}; expected F32, F16, BF16 or (quantized) U32"
                )));
            }
        };
        release(&map, data);
        if tensors
            .insert(
                name.clone(),
                Stored {
                    array,
                    shape,
                    file: shared.clone(),
                },
            )
            .is_some()
        {
            return Err(invalid(format!("tensor `{name}` is stored twice")));
        }
    }
    tracing::debug!(path = %path.display(), bytes = map.len(), "read weights");
    Ok(())
}

/// An MLX array of `data`'s values: copied straight from `data` when it is aligned for `T`,
/// else through an aligned vector (safetensors offsets need not be aligned).
/// (`make` is `Array::from_slice`, whose element bound mlx-rs does not export.)
fn array_of<T: bytemuck::Pod>(data: &[u8], make: impl Fn(&[T]) -> Array) -> Array {
    match bytemuck::try_cast_slice::<u8, T>(data) {
        Ok(values) => make(values),
        Err(_) => make(&collect::<T>(data)),
    }
}

/// Drops the mapped pages under `data` from this process once its tensor is copied, so they
/// stop counting towards its memory (the kernel may still cache them).
#[cfg(unix)]
fn release(map: &memmap2::Mmap, data: &[u8]) {
    let offset = data.as_ptr() as usize - map.as_ptr() as usize;
    // Advice works on whole pages: only those wholly inside this tensor are dropped; the
    // edge pages it shares with its neighbours go when the mapping does.
    let page = 4096;
    let start = offset.div_ceil(page) * page;
    let end = (offset + data.len()) / page * page;
    if end > start {
        // SAFETY: the mapping is a read-only view of a file, so dropped pages are read again
        // from the file if touched (they do not turn to zeros), and nothing touches them:
        // the range lies inside this tensor's bytes, which were copied out above and are not
        // read again. Advice is a hint; failing to take it only costs memory.
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
    }
}

#[cfg(not(unix))]
fn release(_map: &memmap2::Mmap, _data: &[u8]) {}

/// Copies little-endian `data` into a vector of `T` (a whole number of them: the safetensors
/// parser checked the length against the shape).
fn collect<T: bytemuck::Pod>(data: &[u8]) -> Vec<T> {
    let mut out = vec![T::zeroed(); data.len() / std::mem::size_of::<T>()];
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut out);
    let n = bytes.len();
    bytes.copy_from_slice(&data[..n]);
    out
}
