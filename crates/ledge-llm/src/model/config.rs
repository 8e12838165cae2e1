//! A model folder's `config.json`, read into one [`ModelConfig`] for every architecture.
//!
//! Hugging Face configs differ by family in which fields they carry and what a missing field
//! means; [`ModelConfig::read`] applies each family's defaults as mlx-lm does (for example
//! `tie_word_embeddings` defaults to true for Llama and Qwen 2 but false for Phi-3, and Qwen 2
//! derives the head size from the hidden size even when `head_dim` is given). `model_type`
//! picks the family; a type Ledge cannot run is [`Error::UnsupportedArchitecture`].
//!
//! A `quantization` block (what mlx-lm's converter writes: `group_size`, `bits`, optionally
//! `mode` and per-layer entries that override them or turn quantization off for one layer)
//! means the weights are MLX affine-quantized.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::{Error, Result};

/// The decoder families Ledge runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Architecture {
    /// Llama 2/3 and Mistral (`llama`, `mistral`).
    Llama,
    /// Qwen 2 and 2.5 (`qwen2`): biases on the q/k/v projections.
    Qwen2,
    /// Qwen 3 (`qwen3`): RMS norms on queries and keys.
    Qwen3,
    /// Gemma 3 text (`gemma3_text`): sliding-window layers, sandwich norms, GELU.
    Gemma3,
    /// Phi-3 (`phi3`): fused q/k/v and gate/up projections.
    Phi3,
}

impl Architecture {
    fn from_model_type(model_type: &str) -> Option<Self> {
        Some(match model_type {
            "llama" | "mistral" => Self::Llama,
            "qwen2" => Self::Qwen2,
            "qwen3" => Self::Qwen3,
            "gemma3_text" => Self::Gemma3,
            "phi3" => Self::Phi3,
            _ => return None,
        })
    }
}

/// MLX affine quantization of a layer's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantization {
    /// Weights sharing one scale and bias.
    pub group_size: usize,
    /// Bits per weight (2, 3, 4, 5, 6 or 8).
    pub bits: usize,
}

/// What a model's `config.json` says, with each family's defaults applied.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ModelConfig {
    /// `model_type` as written (`llama`, `mistral`, `qwen2`, `qwen3`, `gemma3_text`, `phi3`).
    pub model_type: String,
    /// The family that runs it.
    pub architecture: Architecture,
    /// Tokens in the vocabulary: the width of the logits.
    pub vocab_size: usize,
    /// Width of the residual stream.
    pub hidden_size: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (fewer than query heads with grouped-query attention).
    pub num_key_value_heads: usize,
    /// Width of one attention head.
    pub head_dim: usize,
    /// The context window in tokens.
    pub max_position_embeddings: usize,
    /// Epsilon of the RMS norms.
    pub rms_norm_eps: f32,
    /// RoPE base of the global-attention layers.
    pub rope_theta: f32,
    /// Whether the output projection reuses the token embeddings (from the config; Gemma 3
    /// decides by whether the weights hold an `lm_head`).
    pub tie_word_embeddings: bool,
    /// Keys a sliding-window layer sees (itself included), when the model has such layers.
    pub sliding_window: Option<usize>,
    /// The beginning-of-sequence token, when the config names one.
    pub bos_token_id: Option<u32>,
    /// End-of-sequence tokens from `config.json`, else from `generation_config.json`.
    pub eos_token_ids: Vec<u32>,
    /// Default quantization of the weights, when they are MLX-quantized.
    pub quantization: Option<Quantization>,
    /// Per-layer quantization overrides by weight prefix (`None`: that layer is not quantized).
    pub(crate) quantization_overrides: HashMap<String, Option<Quantization>>,
    /// The family-specific fields, as read.
    pub(crate) raw: RawConfig,
    /// The `config.json` read, for errors.
    pub(crate) path: PathBuf,
}

/// `config.json` fields as written; every family reads the ones it knows.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawConfig {
    pub model_type: String,
    pub vocab_size: Option<usize>,
    pub hidden_size: Option<usize>,
    pub intermediate_size: Option<usize>,
    pub num_hidden_layers: Option<usize>,
    pub num_attention_heads: Option<usize>,
    pub num_key_value_heads: Option<usize>,
    pub head_dim: Option<usize>,
    pub max_position_embeddings: Option<usize>,
    pub rms_norm_eps: Option<f64>,
    pub rope_theta: Option<f64>,
    #[serde(default)]
    pub rope_traditional: bool,
    pub rope_scaling: Option<Value>,
    pub rope_parameters: Option<Value>,
    pub tie_word_embeddings: Option<bool>,
    #[serde(default)]
    pub attention_bias: bool,
    #[serde(default)]
    pub mlp_bias: bool,
    pub sliding_window: Option<usize>,
    pub sliding_window_pattern: Option<usize>,
    pub layer_types: Option<Vec<String>>,
    pub rope_local_base_freq: Option<f64>,
    pub query_pre_attn_scalar: Option<f64>,
    pub partial_rotary_factor: Option<f64>,
    pub bos_token_id: Option<Value>,
    pub eos_token_id: Option<Value>,
    pub quantization: Option<Value>,
}

impl ModelConfig {
    /// Reads `dir/config.json` (and `dir/generation_config.json` for end tokens when the
    /// config names none).
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let raw: RawConfig = serde_json::from_str(&text).map_err(|error| Error::InvalidModel {
            path: path.clone(),
            reason: format!("not a model config: {error}"),
        })?;
        let architecture = Architecture::from_model_type(&raw.model_type).ok_or_else(|| {
            Error::UnsupportedArchitecture {
                path: path.clone(),
                architecture: raw.model_type.clone(),
            }
        })?;
        let mut eos_token_ids = token_ids(raw.eos_token_id.as_ref());
        if eos_token_ids.is_empty() {
            eos_token_ids = generation_eos(&dir.join("generation_config.json"));
        }
        let bos_token_id = token_ids(raw.bos_token_id.as_ref()).first().copied();
        let (quantization, quantization_overrides) =
            quantization(&path, raw.quantization.as_ref())?;
        Resolver {
            path: &path,
            raw: &raw,
        }
        .resolve(
            architecture,
            bos_token_id,
            eos_token_ids,
            quantization,
            quantization_overrides,
        )
    }

    /// How the linear layer (or embedding) with weights `{prefix}.weight` is quantized, if at
    /// all; `stored_quantized` says whether the folder holds `{prefix}.scales`.
    pub(crate) fn quantization_of(
        &self,
        prefix: &str,
        stored_quantized: bool,
    ) -> Option<Quantization> {
        let default = self.quantization?;
        match self.quantization_overrides.get(prefix) {
            Some(layer) => *layer,
            None => stored_quantized.then_some(default),
        }
    }
}

/// Applies a family's defaults to the raw fields.
struct Resolver<'a> {
    path: &'a Path,
    raw: &'a RawConfig,
}

impl Resolver<'_> {
    fn required(&self, field: &str, value: Option<usize>) -> Result<usize> {
        match value {
            Some(0) => Err(self.invalid(format!("`{field}` is 0"))),
            Some(value) => Ok(value),
            None => Err(self.invalid(format!("`{field}` is missing"))),
        }
    }

    fn invalid(&self, reason: String) -> Error {
        Error::InvalidModel {
            path: self.path.to_owned(),
            reason,
        }
    }

    fn resolve(
        &self,
        architecture: Architecture,
        bos_token_id: Option<u32>,
        eos_token_ids: Vec<u32>,
        quantization: Option<Quantization>,
        quantization_overrides: HashMap<String, Option<Quantization>>,
    ) -> Result<ModelConfig> {
        let raw = self.raw;
        let gemma = architecture == Architecture::Gemma3;
        let hidden_size = self.required("hidden_size", raw.hidden_size)?;
        let vocab_size =
            self.required("vocab_size", raw.vocab_size.or(gemma.then_some(262_144)))?;
        let num_attention_heads = self.required("num_attention_heads", raw.num_attention_heads)?;
        let num_key_value_heads = self.required(
            "num_key_value_heads",
            raw.num_key_value_heads.or(if gemma {
                Some(1)
            } else {
                Some(num_attention_heads)
            }),
        )?;
        if num_attention_heads % num_key_value_heads != 0 {
            return Err(self.invalid(format!(
                "{num_attention_heads} attention heads do not divide into {num_key_value_heads} \
                 key/value heads"
            )));
        }
        let head_dim = match architecture {
            // mlx-lm's Qwen 2 and Phi-3 always split the hidden size evenly.
            Architecture::Qwen2 | Architecture::Phi3 => hidden_size / num_attention_heads,
            Architecture::Gemma3 => raw.head_dim.unwrap_or(256),
            Architecture::Qwen3 => self.required("head_dim", raw.head_dim)?,
            Architecture::Llama => raw.head_dim.unwrap_or(hidden_size / num_attention_heads),
        };
        let max_position_embeddings = match (raw.max_position_embeddings, architecture) {
            (Some(n), _) => n,
            (None, Architecture::Gemma3 | Architecture::Qwen2) => 32_768,
            (None, Architecture::Phi3) => 131_072,
            (None, _) => {
                tracing::warn!(path = %self.path.display(), "no max_position_embeddings; assuming 4096");
                4096
            }
        };
        let rope_theta = raw
            .rope_theta
            .or_else(|| {
                raw.rope_parameters
                    .as_ref()
                    .and_then(|p| p.get("rope_theta"))
                    .and_then(Value::as_f64)
            })
            .unwrap_or(match architecture {
                Architecture::Qwen2 | Architecture::Gemma3 => 1_000_000.0,
                _ => 10_000.0,
            });
        let tie_word_embeddings = raw.tie_word_embeddings.unwrap_or(!matches!(
            architecture,
            Architecture::Phi3 | Architecture::Gemma3
        ));
        let sliding_window = match architecture {
            Architecture::Gemma3 => Some(raw.sliding_window.unwrap_or(512)),
            Architecture::Llama
                if raw
                    .layer_types
                    .as_ref()
                    .is_some_and(|types| types.iter().any(|t| t == "sliding_attention")) =>
            {
                Some(self.required("sliding_window", raw.sliding_window)?)
            }
            _ => None,
        };
        if sliding_window == Some(0) {
            return Err(self.invalid("`sliding_window` is 0".to_owned()));
        }
        Ok(ModelConfig {
            model_type: raw.model_type.clone(),
            architecture,
            vocab_size,
            hidden_size,
            intermediate_size: self.required("intermediate_size", raw.intermediate_size)?,
            num_hidden_layers: self.required("num_hidden_layers", raw.num_hidden_layers)?,
            num_attention_heads,
            num_key_value_heads,
            head_dim: self.required("head_dim", Some(head_dim))?,
            max_position_embeddings,
            rms_norm_eps: raw.rms_norm_eps.unwrap_or(if gemma { 1e-6 } else { 1e-5 }) as f32,
            rope_theta: rope_theta as f32,
            tie_word_embeddings,
            sliding_window,
            bos_token_id,
            eos_token_ids,
            quantization,
            quantization_overrides,
            raw: raw.clone(),
            path: self.path.to_owned(),
        })
    }
}

/// One token id or a list of them.
fn token_ids(value: Option<&Value>) -> Vec<u32> {
    let as_id = |v: &Value| v.as_u64().and_then(|id| u32::try_from(id).ok());
    match value {
        Some(Value::Array(ids)) => ids.iter().filter_map(as_id).collect(),
        Some(id) => as_id(id).into_iter().collect(),
        None => Vec::new(),
    }
}

/// `eos_token_id` from `generation_config.json`, if that file exists and names any.
fn generation_eos(path: &PathBuf) -> Vec<u32> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => token_ids(value.get("eos_token_id")),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "ignoring unreadable generation config");
            Vec::new()
        }
    }
}

type QuantizationBlock = (Option<Quantization>, HashMap<String, Option<Quantization>>);

/// Reads mlx-lm's `quantization` block: defaults plus per-layer entries.
fn quantization(path: &Path, block: Option<&Value>) -> Result<QuantizationBlock> {
    let Some(block) = block else {
        return Ok((None, HashMap::new()));
    };
    let invalid = |reason: String| Error::InvalidModel {
        path: path.to_owned(),
        reason,
    };
    let Value::Object(entries) = block else {
        return Err(invalid("`quantization` is not an object".to_owned()));
    };
    let parse = |value: &Value, at: &str| -> Result<Quantization> {
        match value.get("mode").and_then(Value::as_str) {
            None | Some("affine") => {}
            Some(mode) => {
                return Err(invalid(format!(
                    "{at}: quantization mode `{mode}` is not supported (only `affine`)"
                )));
            }
        }
        let field = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_u64)
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| invalid(format!("{at}: `{name}` is missing or not a number")))
        };
        let quantization = Quantization {
            group_size: field("group_size")?,
            bits: field("bits")?,
        };
        if !matches!(quantization.bits, 2..=6 | 8) || quantization.group_size == 0 {
            return Err(invalid(format!(
                "{at}: unsupported quantization {quantization:?}"
            )));
        }
        Ok(quantization)
    };
    let default = parse(block, "quantization")?;
    let mut overrides = HashMap::new();
    for (key, value) in entries {
        match value {
            Value::Bool(false) => {
                overrides.insert(key.clone(), None);
            }
            Value::Bool(true) => {
                overrides.insert(key.clone(), Some(default));
            }
            Value::Object(_) => {
                overrides.insert(key.clone(), Some(parse(value, key)?));
            }
            _ => {}
        }
    }
    Ok((Some(default), overrides))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_are_read_as_one_or_many() {
        assert_eq!(token_ids(Some(&serde_json::json!(2))), vec![2]);
        assert_eq!(token_ids(Some(&serde_json::json!([1, 106]))), vec![1, 106]);
        assert!(token_ids(None).is_empty());
    }

    #[test]
    fn per_layer_quantization_overrides_the_default() {
        let block = serde_json::json!({
            "group_size": 64, "bits": 4, "mode": "affine",
            "lm_head": {"group_size": 32, "bits": 8},
            "model.layers.0.mlp.down_proj": false,
        });
        let (default, overrides) = quantization(Path::new("config.json"), Some(&block)).unwrap();
        let four = Quantization {
            group_size: 64,
            bits: 4,
        };
        assert_eq!(default, Some(four));
        assert_eq!(
            overrides["lm_head"],
            Some(Quantization {
                group_size: 32,
                bits: 8
            })
        );
        assert_eq!(overrides["model.layers.0.mlp.down_proj"], None);

        let mxfp4 = serde_json::json!({"group_size": 32, "bits": 4, "mode": "mxfp4"});
        assert!(quantization(Path::new("config.json"), Some(&mxfp4)).is_err());
    }
}
