//! Decoder language models on MLX: Llama and Mistral, Qwen 2 and 3, Gemma 3 (text), Phi-3.
//!
//! [`LanguageModel::load`] reads a Hugging Face / MLX model folder: `config.json`
//! ([`ModelConfig`]; its `model_type` picks the family) and the weights, one
//! `model.safetensors` or the shards of `model.safetensors.index.json`, in F32, F16 or BF16,
//! or MLX-quantized (a `quantization` block in the config; `uint32` weights with `scales` and
//! `biases`, run with MLX's quantized matmul and a dequantizing embedding lookup). On a GPU
//! the weights stay in the type they are stored in, so the model computes in that type as
//! mlx-lm does; on the CPU F16/BF16 weights are widened to F32 at load, because MLX's CPU
//! F16/BF16 kernels are 2–4x slower than its F32 BLAS path ([`ComputeDtype`]).
//!
//! [`LanguageModel::forward`] runs tokens after what a [`KvCache`] holds and returns their
//! logits; the whole pass is one lazy MLX graph evaluated once, together with the cache's new
//! keys and values. The families are written against mlx-lm's implementations and checked
//! logit for logit against it (`tests/it/model.rs`).
//!
//! Files: `config` (the config), `weights` (safetensors reading), `cache` (the KV cache),
//! `layers` (linear, norm, RoPE, masks), `transformer` (the shared decoder and the switches
//! the families flip), and one file per family: `llama`, `qwen`, `gemma3`, `phi3`.
//!
//! MLX computes on its default device: call [`crate::Runtime::init`] first.

mod cache;
mod config;
mod gemma3;
mod layers;
mod llama;
mod phi3;
mod qwen;
mod transformer;
mod weights;

use std::path::Path;
use std::time::Instant;

use mlx_rs::Array;

pub use cache::KvCache;
pub use config::{Architecture, ModelConfig, Quantization};
use transformer::Decoder;
use weights::Weights;

use crate::{Error, Result};

/// The floating-point type a model computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ComputeDtype {
    /// F32 when MLX runs on the CPU, the stored type on a GPU. MLX's CPU kernels for F16 and
    /// BF16 are much slower than its F32 path through BLAS: decoding Gemma 3 270M on two
    /// cores runs at about 1.3 tokens/s in F16, 3.7 in BF16 and 7–8 in F32.
    #[default]
    Auto,
    /// The type the weights are stored in (F16/BF16 weights compute in F16/BF16, as mlx-lm
    /// does).
    Stored,
    /// Always F32 (F16/BF16 weights are widened once, at load).
    F32,
}

/// A loaded decoder language model.
///
/// `Send`, so it can be moved to the blocking thread that runs it: it holds only plain data
/// and `mlx_rs::Array`s, which mlx-rs declares `Send`. That is sound because an MLX array is a
/// handle to reference-counted, immutable data (MLX never changes an array's contents in
/// place behind a handle), and this type never hands out its arrays: moving the whole model
/// to another thread moves every handle with it. It is not `Sync`; one thread uses it at a
/// time.
pub struct LanguageModel {
    config: ModelConfig,
    decoder: Decoder,
}

impl std::fmt::Debug for LanguageModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanguageModel")
            .field("model_type", &self.config.model_type)
            .field("layers", &self.config.num_hidden_layers)
            .field("hidden_size", &self.config.hidden_size)
            .field("vocab_size", &self.config.vocab_size)
            .field("quantization", &self.config.quantization)
            .finish_non_exhaustive()
    }
}

impl LanguageModel {
    /// Loads the model folder `dir`.
    ///
    /// Fails with [`Error::UnsupportedArchitecture`] for a `model_type` Ledge cannot run, and
    /// with [`Error::InvalidModel`] naming the file for a config or weights file that is
    /// damaged or truncated, a tensor that is missing or has the wrong shape or type.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with(dir, ComputeDtype::Auto)
    }

    /// Loads the model folder `dir`, computing in the type `compute` says.
    pub fn load_with(dir: &Path, compute: ComputeDtype) -> Result<Self> {
        crate::runtime::exclusive(|| Self::load_now(dir, compute))
    }

    fn load_now(dir: &Path, compute: ComputeDtype) -> Result<Self> {
        let started = Instant::now();
        let upcast = match compute {
            ComputeDtype::Stored => false,
            ComputeDtype::F32 => true,
            ComputeDtype::Auto => {
                matches!(
                    mlx_rs::Device::try_default()?.get_type()?,
                    mlx_rs::DeviceType::Cpu
                )
            }
        };
        let config = ModelConfig::read(dir)?;
        let plan = match config.architecture {
            Architecture::Llama => llama::plan(&config)?,
            Architecture::Qwen2 => qwen::plan_qwen2(&config)?,
            Architecture::Qwen3 => qwen::plan_qwen3(&config)?,
            Architecture::Gemma3 => gemma3::plan(&config)?,
            Architecture::Phi3 => phi3::plan(&config)?,
        };
        let mut weights = Weights::read(dir, upcast)?;
        let decoder = Decoder::load(&config, plan, &mut weights)?;
        let unused: Vec<&str> = weights
            .remaining()
            .into_iter()
            .filter(|name| !name.ends_with("rotary_emb.inv_freq"))
            .collect();
        if !unused.is_empty() {
            tracing::warn!(
                dir = %dir.display(),
                count = unused.len(),
                first = unused[0],
                "model folder holds tensors the model does not use"
            );
        }
        tracing::info!(
            dir = %dir.display(),
            model_type = %config.model_type,
            layers = config.num_hidden_layers,
            quantization = ?config.quantization,
            f32 = upcast,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded language model"
        );
        Ok(Self { config, decoder })
    }

    /// The model's configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Bytes one decode step reads from memory with `position` tokens already in the cache:
    /// the parameters it uses (one row of an untied embedding table) and the cached keys and
    /// values it attends to. Decoding is bound by memory, so this over the machine's memory
    /// bandwidth is the fastest a token can be made.
    pub fn bytes_per_token(&self, position: usize) -> u64 {
        self.decoder.bytes_per_token(position)
    }

    /// Whether a prompt's attention runs on the host CPU (the default when MLX computes on
    /// the CPU, where its own softmax and mask kernels are slow; see the `host` module) or
    /// in MLX's graph (the default on Metal, and always for a single decoded token). Both
    /// give the same logits to f32 rounding; switching is for measurements and for checking
    /// one path against the other.
    pub fn set_host_attention(&mut self, on: bool) {
        self.decoder.set_host_attention(on);
    }

    /// An empty KV cache for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.decoder.windows())
    }

    /// Runs `tokens` (appended after what `cache` holds) and returns logits as an F32 MLX
    /// array of shape `[tokens.len(), vocab]`; advances the cache.
    ///
    /// On an error found before the pass runs (bad tokens, a cache of another model) the
    /// cache is unchanged; if evaluating the pass fails, the cache is emptied.
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Array> {
        self.run(tokens, cache, false)
    }

    /// Like [`forward`](Self::forward), but returns only the last position's logits,
    /// `[1, vocab]`: a prompt's prefill then skips the output projection for every other
    /// position (with a 262k vocabulary that is most of the work).
    pub fn forward_last(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Array> {
        self.run(tokens, cache, true)
    }

    fn run(&self, tokens: &[u32], cache: &mut KvCache, last_only: bool) -> Result<Array> {
        if tokens.is_empty() {
            return Err(Error::InvalidSetting("no tokens to run".to_owned()));
        }
        if let Some(&bad) = tokens
            .iter()
            .find(|&&t| t as usize >= self.config.vocab_size)
        {
            return Err(Error::InvalidSetting(format!(
                "token {bad} is outside the vocabulary of {}",
                self.config.vocab_size
            )));
        }
        if cache.layers() != self.config.num_hidden_layers {
            return Err(Error::InvalidSetting(
                "the KV cache belongs to another model".to_owned(),
            ));
        }
        let (logits, states) = self.decoder.forward(tokens, cache, last_only)?;
        // Committed before evaluation: the pass then holds the only references to the old
        // buffers, so MLX writes the new entries into them in place.
        cache.commit(states, tokens.len());
        if let Err(error) =
            mlx_rs::transforms::eval(std::iter::once(&logits).chain(cache.buffers()))
        {
            // The old buffers may be half updated: forget them.
            cache.clear();
            return Err(error.into());
        }
        Ok(logits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_model_and_its_cache_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<LanguageModel>();
        assert_send::<KvCache>();
    }
}
