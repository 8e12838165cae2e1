//! Reading GGUF files, llama.cpp's one-file model format (also what LM Studio and Ollama keep):
//! the metadata, the tensor table, and tensors dequantized to f32.
//!
//! Parsing and the quantization maths (Q4_0..Q8_0, the K-quants, F16/BF16) are candle-core's,
//! checked tensor by tensor against the Python `gguf` package in this crate's tests. This
//! module adds what Ledge needs around them: a file is validated when opened (every tensor's
//! bytes must lie inside the file, so a truncated download is reported by name before any
//! work starts), errors name the file, and metadata has typed accessors.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::{Device, quantized::GgmlDType};

use crate::{Error, Result};

/// A GGUF file, open for reading.
#[derive(Debug)]
pub struct GgufFile {
    path: PathBuf,
    reader: BufReader<File>,
    content: Content,
}

/// One tensor of a GGUF file, as listed in its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufTensorInfo {
    /// The llama.cpp tensor name (`blk.0.attn_q.weight`).
    pub name: String,
    /// Row-major shape, outermost dimension first (GGUF stores it the other way round).
    pub shape: Vec<usize>,
    /// The storage type's name as llama.cpp spells it (`Q4_K`, `F32`, ...).
    pub dtype: String,
}

/// A tensor dequantized to f32, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct DequantizedTensor {
    /// Row-major shape, outermost dimension first.
    pub shape: Vec<usize>,
    /// The values.
    pub data: Vec<f32>,
}

impl GgufFile {
    /// Opens `path`, reads the header and checks that every tensor's data lies in the file.
    pub fn open(path: &Path) -> Result<GgufFile> {
        let invalid = |reason: String| Error::InvalidModel {
            path: path.to_path_buf(),
            reason,
        };
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file_len = file
            .metadata()
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?
            .len();
        let mut reader = BufReader::new(file);
        let content = Content::read(&mut reader)
            .map_err(|error| invalid(format!("not a readable GGUF file: {error}")))?;

        for (name, info) in &content.tensor_infos {
            let elements = info.shape.elem_count();
            let block = info.ggml_dtype.block_size();
            if !elements.is_multiple_of(block) {
                return Err(invalid(format!(
                    "tensor {name}: {elements} values do not fill whole {:?} blocks",
                    info.ggml_dtype
                )));
            }
            let bytes = (elements / block) as u64 * info.ggml_dtype.type_size() as u64;
            let end = content.tensor_data_offset + info.offset + bytes;
            if end > file_len {
                return Err(invalid(format!(
                    "truncated: tensor {name} needs bytes up to {end}, the file has {file_len}"
                )));
            }
        }
        tracing::debug!(path = %path.display(), tensors = content.tensor_infos.len(), "opened GGUF");
        Ok(GgufFile {
            path: path.to_path_buf(),
            reader,
            content,
        })
    }

    /// The file this was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `general.architecture` (`llama`, `gemma3`, `qwen2`, ...).
    pub fn architecture(&self) -> Result<&str> {
        self.string("general.architecture")
    }

    /// The tensors, sorted by name.
    pub fn tensors(&self) -> Vec<GgufTensorInfo> {
        let mut tensors: Vec<_> = self
            .content
            .tensor_infos
            .iter()
            .map(|(name, info)| GgufTensorInfo {
                name: name.clone(),
                shape: info.shape.dims().to_vec(),
                dtype: dtype_name(info.ggml_dtype).to_owned(),
            })
            .collect();
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        tensors
    }

    /// Whether a tensor called `name` exists.
    pub fn has_tensor(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }

    /// Reads tensor `name` and dequantizes it to f32.
    pub fn dequantize(&mut self, name: &str) -> Result<DequantizedTensor> {
        let path = self.path.clone();
        let invalid = |reason: String| Error::InvalidModel {
            path: path.clone(),
            reason,
        };
        let tensor = self
            .content
            .tensor(&mut self.reader, name, &Device::Cpu)
            .map_err(|error| invalid(format!("tensor {name}: {error}")))?;
        let shape = tensor.shape().dims().to_vec();
        let data = tensor
            .dequantize(&Device::Cpu)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|error| invalid(format!("tensor {name}: cannot dequantize: {error}")))?;
        Ok(DequantizedTensor { shape, data })
    }

    fn value(&self, key: &str) -> Result<&Value> {
        self.content
            .metadata
            .get(key)
            .ok_or_else(|| self.missing(key))
    }

    fn missing(&self, key: &str) -> Error {
        Error::InvalidModel {
            path: self.path.clone(),
            reason: format!("no `{key}` in the metadata"),
        }
    }

    fn wrong_type(&self, key: &str, expected: &str) -> Error {
        Error::InvalidModel {
            path: self.path.clone(),
            reason: format!("`{key}` is not {expected}"),
        }
    }

    /// Whether the metadata has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.content.metadata.contains_key(key)
    }

    /// A string value.
    pub fn string(&self, key: &str) -> Result<&str> {
        match self.value(key)? {
            Value::String(value) => Ok(value),
            _ => Err(self.wrong_type(key, "a string")),
        }
    }

    /// An unsigned or signed integer value, widened.
    pub fn integer(&self, key: &str) -> Result<i64> {
        as_integer(self.value(key)?).ok_or_else(|| self.wrong_type(key, "an integer"))
    }

    /// A float value (integers are accepted and converted).
    pub fn float(&self, key: &str) -> Result<f64> {
        match self.value(key)? {
            Value::F32(value) => Ok(f64::from(*value)),
            Value::F64(value) => Ok(*value),
            other => as_integer(other)
                .map(|v| v as f64)
                .ok_or_else(|| self.wrong_type(key, "a number")),
        }
    }

    /// A boolean value.
    pub fn boolean(&self, key: &str) -> Result<bool> {
        match self.value(key)? {
            Value::Bool(value) => Ok(*value),
            _ => Err(self.wrong_type(key, "a boolean")),
        }
    }

    /// An array of strings.
    pub fn strings(&self, key: &str) -> Result<Vec<&str>> {
        self.array(key)?
            .iter()
            .map(|value| match value {
                Value::String(s) => Ok(s.as_str()),
                _ => Err(self.wrong_type(key, "an array of strings")),
            })
            .collect()
    }

    /// An array of numbers, as f32.
    pub fn floats(&self, key: &str) -> Result<Vec<f32>> {
        self.array(key)?
            .iter()
            .map(|value| match value {
                Value::F32(v) => Ok(*v),
                Value::F64(v) => Ok(*v as f32),
                other => as_integer(other)
                    .map(|v| v as f32)
                    .ok_or_else(|| self.wrong_type(key, "an array of numbers")),
            })
            .collect()
    }

    /// An array of integers.
    pub fn integers(&self, key: &str) -> Result<Vec<i64>> {
        self.array(key)?
            .iter()
            .map(|value| {
                as_integer(value).ok_or_else(|| self.wrong_type(key, "an array of integers"))
            })
            .collect()
    }

    fn array(&self, key: &str) -> Result<&Vec<Value>> {
        match self.value(key)? {
            Value::Array(values) => Ok(values),
            _ => Err(self.wrong_type(key, "an array")),
        }
    }
}

fn as_integer(value: &Value) -> Option<i64> {
    Some(match value {
        Value::U8(v) => i64::from(*v),
        Value::I8(v) => i64::from(*v),
        Value::U16(v) => i64::from(*v),
        Value::I16(v) => i64::from(*v),
        Value::U32(v) => i64::from(*v),
        Value::I32(v) => i64::from(*v),
        Value::U64(v) => i64::try_from(*v).ok()?,
        Value::I64(v) => *v,
        _ => return None,
    })
}

/// llama.cpp's names for the storage types.
fn dtype_name(dtype: GgmlDType) -> &'static str {
    match dtype {
        GgmlDType::F32 => "F32",
        GgmlDType::F16 => "F16",
        GgmlDType::BF16 => "BF16",
        GgmlDType::Q4_0 => "Q4_0",
        GgmlDType::Q4_1 => "Q4_1",
        GgmlDType::Q5_0 => "Q5_0",
        GgmlDType::Q5_1 => "Q5_1",
        GgmlDType::Q8_0 => "Q8_0",
        GgmlDType::Q8_1 => "Q8_1",
        GgmlDType::Q2K => "Q2_K",
        GgmlDType::Q3K => "Q3_K",
        GgmlDType::Q4K => "Q4_K",
        GgmlDType::Q5K => "Q5_K",
        GgmlDType::Q6K => "Q6_K",
        GgmlDType::Q8K => "Q8_K",
    }
}
