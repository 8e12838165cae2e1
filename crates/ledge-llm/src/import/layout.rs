//! From llama.cpp's tensor layout to the Hugging Face one that MLX model code (ours and
//! mlx-lm's) expects: tensor names, the reshuffles llama.cpp's converter applied, and the
//! model's `config.json`, per architecture.
//!
//! What llama.cpp's converter changed, and is undone here:
//! * Llama: the rows of `q_proj`/`k_proj` were permuted per head (interleaved rotary pairs →
//!   halves); [`unpermute_rows`] is its inverse.
//! * Gemma 3: every RMSNorm weight was stored as `1 + w` (Gemma's norm multiplies by
//!   `1 + w`); `1` is subtracted again.
//! * Qwen2/Qwen3 need no change.

use serde_json::{Value, json};

use crate::gguf::GgufFile;
use crate::{Error, Result};

/// The architectures GGUF import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// Llama family (Llama 3.x, SmolLM2, TinyLlama, Mistral).
    Llama,
    /// Gemma 3 text models.
    Gemma3,
    /// Qwen2 / Qwen2.5.
    Qwen2,
    /// Qwen3.
    Qwen3,
}

impl Architecture {
    /// The architecture of a GGUF file, or a typed error naming it.
    pub fn of(file: &GgufFile) -> Result<Architecture> {
        match file.architecture()? {
            "llama" => Ok(Architecture::Llama),
            "gemma3" => Ok(Architecture::Gemma3),
            "qwen2" => Ok(Architecture::Qwen2),
            "qwen3" => Ok(Architecture::Qwen3),
            other => Err(Error::UnsupportedArchitecture {
                path: file.path().to_path_buf(),
                architecture: other.to_owned(),
            }),
        }
    }

    /// The key prefix of this architecture's metadata (`llama.block_count`, ...).
    fn prefix(self) -> &'static str {
        match self {
            Architecture::Llama => "llama",
            Architecture::Gemma3 => "gemma3",
            Architecture::Qwen2 => "qwen2",
            Architecture::Qwen3 => "qwen3",
        }
    }
}

/// What to do with a tensor on its way to the Hugging Face layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Copy the values.
    None,
    /// Undo llama.cpp's per-head row permutation with this many heads.
    Unpermute { heads: usize },
    /// Subtract one (Gemma's `1 + w` norm weights).
    SubtractOne,
}

/// The Hugging Face name of a llama.cpp tensor and how to convert it; `None` for tensors the
/// Hugging Face layout does not have (e.g. llama.cpp's precomputed `rope_freqs`).
pub fn hf_tensor(
    architecture: Architecture,
    gguf_name: &str,
    heads: usize,
    kv_heads: usize,
) -> Option<(String, Transform)> {
    let norm = if architecture == Architecture::Gemma3 {
        Transform::SubtractOne
    } else {
        Transform::None
    };
    let top = match gguf_name {
        "token_embd.weight" => Some(("model.embed_tokens.weight".to_owned(), Transform::None)),
        "output_norm.weight" => Some(("model.norm.weight".to_owned(), norm)),
        "output.weight" => Some(("lm_head.weight".to_owned(), Transform::None)),
        "rope_freqs.weight" => return None,
        _ => None,
    };
    if top.is_some() {
        return top;
    }
    let rest = gguf_name.strip_prefix("blk.")?;
    let (layer, part) = rest.split_once('.')?;
    let layer: usize = layer.parse().ok()?;
    let (suffix, kind) = part.rsplit_once('.')?; // kind: weight | bias
    let unpermute = |count| {
        if architecture == Architecture::Llama && kind == "weight" {
            Transform::Unpermute { heads: count }
        } else {
            Transform::None
        }
    };
    let (hf, transform) = match (architecture, suffix) {
        (_, "attn_q") => ("self_attn.q_proj", unpermute(heads)),
        (_, "attn_k") => ("self_attn.k_proj", unpermute(kv_heads)),
        (_, "attn_v") => ("self_attn.v_proj", Transform::None),
        (_, "attn_output") => ("self_attn.o_proj", Transform::None),
        (_, "attn_q_norm") => ("self_attn.q_norm", norm),
        (_, "attn_k_norm") => ("self_attn.k_norm", norm),
        (_, "attn_norm") => ("input_layernorm", norm),
        (_, "ffn_gate") => ("mlp.gate_proj", Transform::None),
        (_, "ffn_up") => ("mlp.up_proj", Transform::None),
        (_, "ffn_down") => ("mlp.down_proj", Transform::None),
        (Architecture::Gemma3, "post_attention_norm") => ("post_attention_layernorm", norm),
        (Architecture::Gemma3, "ffn_norm") => ("pre_feedforward_layernorm", norm),
        (Architecture::Gemma3, "post_ffw_norm") => ("post_feedforward_layernorm", norm),
        (_, "ffn_norm") => ("post_attention_layernorm", norm),
        _ => return None,
    };
    Some((format!("model.layers.{layer}.{hf}.{kind}"), transform))
}

/// Undoes llama.cpp's `permute(w, n_head)` on a row-major `(rows, cols)` matrix: within each
/// head, row `2i + j` (j = 0, 1) of the stored matrix goes back to row `j·half + i`.
pub fn unpermute_rows(data: &[f32], rows: usize, cols: usize, heads: usize) -> Option<Vec<f32>> {
    if heads == 0 || !rows.is_multiple_of(2 * heads) || data.len() != rows * cols {
        return None;
    }
    let per_head = rows / heads;
    let half = per_head / 2;
    let mut out = vec![0.0f32; data.len()];
    for head in 0..heads {
        for i in 0..half {
            for j in 0..2 {
                let stored = head * per_head + 2 * i + j;
                let original = head * per_head + j * half + i;
                out[original * cols..][..cols].copy_from_slice(&data[stored * cols..][..cols]);
            }
        }
    }
    Some(out)
}

/// Head counts needed for the tensor transforms.
pub fn head_counts(file: &GgufFile, architecture: Architecture) -> Result<(usize, usize)> {
    let prefix = architecture.prefix();
    let heads = file.integer(&format!("{prefix}.attention.head_count"))? as usize;
    let kv_heads = match file.integer(&format!("{prefix}.attention.head_count_kv")) {
        Ok(kv) => kv as usize,
        Err(_) => heads,
    };
    Ok((heads, kv_heads))
}

/// The Hugging Face `config.json` for the model in `file`.
pub fn hf_config(file: &GgufFile, architecture: Architecture) -> Result<Value> {
    let p = architecture.prefix();
    let int = |key: &str| file.integer(&format!("{p}.{key}"));
    let float = |key: &str| file.float(&format!("{p}.{key}"));
    let (heads, kv_heads) = head_counts(file, architecture)?;
    let hidden = int("embedding_length")?;
    let vocab = file.strings("tokenizer.ggml.tokens")?.len();
    let head_dim = int("attention.key_length").unwrap_or(hidden / heads as i64);
    let bos = file.integer("tokenizer.ggml.bos_token_id").ok();
    let eos = file.integer("tokenizer.ggml.eos_token_id").ok();

    let mut config = json!({
        "architectures": [match architecture {
            Architecture::Llama => "LlamaForCausalLM",
            Architecture::Gemma3 => "Gemma3ForCausalLM",
            Architecture::Qwen2 => "Qwen2ForCausalLM",
            Architecture::Qwen3 => "Qwen3ForCausalLM",
        }],
        "model_type": match architecture {
            Architecture::Llama => "llama",
            Architecture::Gemma3 => "gemma3_text",
            Architecture::Qwen2 => "qwen2",
            Architecture::Qwen3 => "qwen3",
        },
        "hidden_size": hidden,
        "intermediate_size": int("feed_forward_length")?,
        "num_hidden_layers": int("block_count")?,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": head_dim,
        "rms_norm_eps": float("attention.layer_norm_rms_epsilon")?,
        "rope_theta": float("rope.freq_base").unwrap_or(10_000.0),
        "max_position_embeddings": int("context_length")?,
        "vocab_size": vocab,
        "tie_word_embeddings": !file.has_tensor("output.weight"),
        "bos_token_id": bos,
        "eos_token_id": eos,
        "torch_dtype": "float32",
    });
    let extra = match architecture {
        Architecture::Llama => {
            json!({ "hidden_act": "silu", "attention_bias": false, "mlp_bias": false })
        }
        Architecture::Qwen2 => json!({ "hidden_act": "silu", "use_sliding_window": false }),
        Architecture::Qwen3 => json!({ "hidden_act": "silu", "attention_bias": false }),
        // Gemma 3: llama.cpp hard-codes what its GGUF metadata leaves out: local (sliding)
        // layers use RoPE base 10k, every sixth layer is global, queries are scaled by
        // 1/sqrt(head_dim).
        Architecture::Gemma3 => json!({
            "hidden_activation": "gelu_pytorch_tanh",
            "sliding_window": int("attention.sliding_window")?,
            "sliding_window_pattern": 6,
            "rope_local_base_freq": 10_000.0,
            "query_pre_attn_scalar": head_dim,
            "final_logit_softcapping": null,
            "attn_logit_softcapping": null,
            "rope_scaling": null,
        }),
    };
    if let (Value::Object(config), Value::Object(extra)) = (&mut config, extra) {
        config.extend(extra);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// llama.cpp's `LlamaModel.permute` (convert_hf_to_gguf.py), written out.
    fn llama_cpp_permute(data: &[f32], rows: usize, cols: usize, heads: usize) -> Vec<f32> {
        // reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2): out[h][i][j] = in[h][j][i]
        let half = rows / heads / 2;
        let mut out = vec![0.0; data.len()];
        for h in 0..heads {
            for i in 0..half {
                for j in 0..2 {
                    let source = (h * 2 + j) * half + i;
                    let target = (h * half + i) * 2 + j;
                    out[target * cols..][..cols].copy_from_slice(&data[source * cols..][..cols]);
                }
            }
        }
        out
    }

    #[test]
    fn unpermute_inverts_llama_cpp_permute() {
        let (rows, cols, heads) = (24, 5, 3);
        let original: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
        let stored = llama_cpp_permute(&original, rows, cols, heads);
        assert_ne!(stored, original);
        assert_eq!(
            unpermute_rows(&stored, rows, cols, heads).unwrap(),
            original
        );
        assert!(
            unpermute_rows(&stored, rows, cols, 5).is_none(),
            "rows not divisible by heads"
        );
    }

    #[test]
    fn gemma_norms_are_shifted_and_llama_q_k_unpermuted() {
        let map = |arch, name| hf_tensor(arch, name, 9, 3);
        assert_eq!(
            map(Architecture::Gemma3, "blk.3.ffn_norm.weight"),
            Some((
                "model.layers.3.pre_feedforward_layernorm.weight".into(),
                Transform::SubtractOne
            ))
        );
        assert_eq!(
            map(Architecture::Llama, "blk.0.ffn_norm.weight"),
            Some((
                "model.layers.0.post_attention_layernorm.weight".into(),
                Transform::None
            ))
        );
        assert_eq!(
            map(Architecture::Llama, "blk.1.attn_k.weight"),
            Some((
                "model.layers.1.self_attn.k_proj.weight".into(),
                Transform::Unpermute { heads: 3 }
            ))
        );
        assert_eq!(
            map(Architecture::Qwen2, "blk.1.attn_q.bias"),
            Some((
                "model.layers.1.self_attn.q_proj.bias".into(),
                Transform::None
            ))
        );
        assert_eq!(map(Architecture::Llama, "rope_freqs.weight"), None);
        assert_eq!(map(Architecture::Llama, "blk.x.attn_q.weight"), None);
    }
}
