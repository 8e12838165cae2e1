//! Sentence embeddings from a BERT-family encoder (all-MiniLM, bge, gte, e5 of the BERT
//! shape), on MLX.
//!
//! An [`Embedder`] loads a sentence-transformers folder: `config.json` (`model_type`
//! `"bert"`), `model.safetensors`, `tokenizer.json`, and when present `1_Pooling/config.json`
//! (mean or CLS pooling; mean when absent) and `sentence_bert_config.json` (`max_seq_length`,
//! the longest input in tokens; otherwise the model's position table). [`Embedder::embed`]
//! turns texts into unit-length vectors:
//!
//! 1. Tokenize with the folder's `tokenizer.json`, special tokens added. Its own padding is
//!    turned off (all-MiniLM's pads every input to 128 tokens, which poisons mean pooling) and
//!    truncation is set to [`Embedder::max_tokens`], special tokens included.
//! 2. Sort the texts by length and run them in batches of [`BATCH`], each padded to its
//!    longest text. An additive attention mask (0 for real keys, −∞ for padding) keeps padding
//!    out of every real token's attention, and pooling reads real tokens only, so a text's
//!    vector does not depend on what it is batched with.
//! 3. The encoder: word + position + token-type embeddings and LayerNorm, then per layer
//!    self-attention (one fused QKV product, MLX's fused attention), output projection,
//!    residual and LayerNorm, the GELU (erf) feed-forward, residual and LayerNorm. When MLX
//!    computes on the CPU, the attention (head by head, its small products by the `gemm`
//!    crate) and the GELU run on the host instead, on every core (the `host` module says
//!    why); the projections stay MLX's (BLAS).
//! 4. Pool (mean over real tokens, or the `[CLS]` token) and L2-normalise. Each batch is one
//!    MLX evaluation.
//!
//! Weights are accepted with or without the `bert.` prefix and with the old
//! `LayerNorm.gamma`/`beta` names; F32, F16 and BF16 tensors are computed in F32. Heads that
//! sentence embeddings do not use (`pooler.*`, `cls.*`) are ignored.
//!
//! MLX computes on its default device: call [`crate::Runtime::init`] first (on machines
//! without Metal it makes that the CPU).

use std::collections::HashMap;
use std::f32::consts::FRAC_1_SQRT_2;
use std::path::Path;
use std::time::Instant;

use mlx_rs::ops::indexing::IndexOp;
use mlx_rs::{Array, Device, DeviceType, Dtype, fast, ops};
use safetensors::SafeTensors;
use safetensors::tensor::{Dtype as StDtype, TensorView};
use serde::Deserialize;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::{Error, Result};

use crate::host;

/// Texts run through the model together; bounds the memory one evaluation takes.
pub const BATCH: usize = 32;

/// A batch this small (rows × longest, in tokens) is a question, not passages: its products
/// run on one BLAS thread.
const SMALL_BATCH_TOKENS: usize = 128;

/// A loaded sentence-embedding model.
///
/// `Send` (its MLX arrays are, and so is the tokenizer), so it can live on the blocking thread
/// that does the embedding work; it is not `Sync`.
pub struct Embedder {
    tokenizer: Tokenizer,
    /// The same tokenizer without truncation or special tokens' effect on windows: it cuts
    /// long texts into windows ([`Embedder::windows`]).
    whole: Tokenizer,
    model: Bert,
    pooling: Pooling,
    max_tokens: usize,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dimensions", &self.model.config.hidden_size)
            .field("layers", &self.model.layers.len())
            .field("pooling", &self.pooling)
            .field("max_tokens", &self.max_tokens)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads the sentence-transformers folder `dir`.
    ///
    /// Fails with [`Error::InvalidModel`] naming the file when a file is missing or damaged,
    /// a tensor is missing or has the wrong shape, and with
    /// [`Error::UnsupportedArchitecture`] when the model is not BERT or its pooling is
    /// neither mean nor CLS.
    pub fn load(dir: &Path) -> Result<Self> {
        let started = Instant::now();
        let config_path = dir.join("config.json");
        let config: BertConfig = read_json(&config_path)?;
        config.validate(&config_path)?;

        let pooling = Pooling::read(&dir.join("1_Pooling/config.json"))?;

        let mut max_tokens = config.max_position_embeddings;
        let st_path = dir.join("sentence_bert_config.json");
        if st_path.is_file() {
            let st: SentenceBertConfig = read_json(&st_path)?;
            if let Some(length) = st.max_seq_length {
                max_tokens = max_tokens.min(length);
            }
        }
        if max_tokens < 2 {
            return Err(Error::InvalidModel {
                path: st_path,
                reason: format!("max_seq_length {max_tokens} leaves no room for any text"),
            });
        }

        let tokenizer = load_tokenizer(&dir.join("tokenizer.json"), max_tokens)?;
        let mut whole = tokenizer.clone();
        whole
            .with_truncation(None)
            .map_err(|error| Error::Tokenizer(error.to_string()))?;
        let model =
            crate::runtime::exclusive(|| Bert::load(&dir.join("model.safetensors"), config))?;
        tracing::info!(
            dir = %dir.display(),
            layers = model.layers.len(),
            dimensions = model.config.hidden_size,
            max_tokens,
            ?pooling,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "embedding model loaded"
        );
        Ok(Self {
            tokenizer,
            whole,
            model,
            pooling,
            max_tokens,
        })
    }

    /// Whether the attention and the GELU run on the host CPU (the default when MLX computes
    /// on the CPU, where its own element-wise kernels are slow) or in MLX's graph
    /// (the default on Metal). Both give the same vectors to f32 rounding; switching is for
    /// measurements and for checking one path against the other.
    pub fn set_host_kernels(&mut self, on: bool) {
        self.model.host_kernels = on;
    }

    /// Floating-point operations to embed one text of `tokens` tokens: two per multiply-add
    /// of the QKV, output and feed-forward products and of the attention's scores and mix,
    /// in every layer (what the matrix units must do; the element-wise work is left out).
    pub fn flops_per_text(&self, tokens: usize) -> f64 {
        let config = &self.model.config;
        let (hidden, inner) = (config.hidden_size as f64, config.intermediate_size as f64);
        let tokens = tokens as f64;
        let per_token = 4.0 * hidden * hidden + 2.0 * hidden * inner + 2.0 * tokens * hidden;
        2.0 * per_token * tokens * config.num_hidden_layers as f64
    }

    /// Length of each vector.
    pub fn dimensions(&self) -> usize {
        self.model.config.hidden_size
    }

    /// The longest input, in tokens including `[CLS]` and `[SEP]`; longer texts are truncated.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The texts to embed for a passage of `text` under `heading` so that none of it is cut
    /// off: the heading, a blank line and one window of the text each, every window as long
    /// as fits [`max_tokens`](Self::max_tokens) beside the heading (which is itself cut to a
    /// quarter of it). A text that fits gives one window (the same text as
    /// `heading\n\ntext`); a longer one is cut at token boundaries, the last window ending
    /// where the text ends (so it overlaps the one before rather than being a short scrap),
    /// and at most `max_windows` windows are made (the rest of a very long text is left to
    /// the first window's truncation, as before).
    pub fn windows(&self, heading: &str, text: &str, max_windows: usize) -> Result<Vec<String>> {
        let joined = |window: &str| {
            if heading.is_empty() {
                window.to_owned()
            } else {
                format!("{heading}\n\n{window}")
            }
        };
        if max_windows <= 1 {
            return Ok(vec![joined(text)]);
        }
        let encode = |s: &str| {
            self.whole
                .encode(s, false)
                .map_err(|error| Error::Tokenizer(error.to_string()))
        };
        let heading_tokens = if heading.is_empty() {
            0
        } else {
            encode(heading)?.len().min(self.max_tokens / 4)
        };
        // [CLS] and [SEP] take two places.
        let room = self
            .max_tokens
            .saturating_sub(2 + heading_tokens)
            .max(self.max_tokens / 2);
        let encoding = encode(text)?;
        let offsets = encoding.get_offsets();
        if offsets.len() <= room {
            return Ok(vec![joined(text)]);
        }
        let mut starts: Vec<usize> = (0..offsets.len()).step_by(room).take(max_windows).collect();
        if let Some(last) = starts.last_mut()
            && *last + room > offsets.len()
        {
            *last = offsets.len() - room;
        }
        let mut windows = Vec::with_capacity(starts.len());
        for start in starts {
            let end = (start + room).min(offsets.len());
            let from = if start == 0 { 0 } else { offsets[start].0 };
            let to = offsets[end - 1].1;
            // Offsets are byte positions of `text`; a tokenizer that does not map back to it
            // exactly leaves the text whole rather than cutting it wrong.
            match text.get(from..to) {
                Some(window) => windows.push(joined(window)),
                None => return Ok(vec![joined(text)]),
            }
        }
        Ok(windows)
    }

    /// Embeds a batch: mean pooling over real tokens (attention mask), L2-normalised; texts
    /// longer than [`max_tokens`](Self::max_tokens) are truncated. (A model whose
    /// `1_Pooling/config.json` asks for CLS pooling gets its `[CLS]` vector instead.)
    ///
    /// One vector per text, in order. Texts are run in batches of [`BATCH`] of similar
    /// lengths, each padded to its longest; padding does not change any vector.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|error| Error::Tokenizer(error.to_string()))?;
        if encodings.iter().any(|e| e.get_ids().is_empty()) {
            // BERT tokenizers always add [CLS] and [SEP]; a text with no tokens has nothing to
            // pool (and a fully masked row would make NaNs).
            return Err(Error::Tokenizer(
                "a text gave no tokens: the tokenizer adds no [CLS]/[SEP]".into(),
            ));
        }
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].get_ids().len()));

        let mut vectors = vec![Vec::new(); texts.len()];
        let mut total_tokens = 0;
        for chunk in order.chunks(BATCH) {
            let batch: Vec<Sequence<'_>> = chunk
                .iter()
                .map(|&i| Sequence {
                    ids: encodings[i].get_ids(),
                    type_ids: encodings[i].get_type_ids(),
                })
                .collect();
            total_tokens += batch.iter().map(|s| s.ids.len()).sum::<usize>();
            let batch_vectors = self.embed_batch(&batch)?;
            for (&i, vector) in chunk.iter().zip(batch_vectors) {
                vectors[i] = vector;
            }
        }
        tracing::debug!(
            texts = texts.len(),
            tokens = total_tokens,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "embedded"
        );
        Ok(vectors)
    }

    /// One padded batch through the model and pooling: a single MLX evaluation.
    /// One batch is one unit of [`crate::runtime::exclusive`] MLX work.
    /// A batch of at most [`SMALL_BATCH_TOKENS`] tokens (a question) runs its products on one
    /// BLAS thread (`runtime::blas::on_one_blas_thread` says why).
    fn embed_batch(&self, batch: &[Sequence<'_>]) -> Result<Vec<Vec<f32>>> {
        let tokens = batch.len() * batch.iter().map(|s| s.ids.len()).max().unwrap_or(0);
        crate::runtime::exclusive(|| {
            if tokens <= SMALL_BATCH_TOKENS {
                crate::runtime::on_one_blas_thread(|| self.embed_batch_now(batch))
            } else {
                self.embed_batch_now(batch)
            }
        })
    }

    fn embed_batch_now(&self, batch: &[Sequence<'_>]) -> Result<Vec<Vec<f32>>> {
        let rows = batch.len();
        let length = batch.iter().map(|s| s.ids.len()).max().unwrap_or(0);
        let hidden = self.dimensions();
        let mut ids = vec![0u32; rows * length];
        let mut type_ids = vec![0u32; rows * length];
        let mut mask = vec![0.0f32; rows * length];
        let mut additive = vec![f32::NEG_INFINITY; rows * length];
        for (row, sequence) in batch.iter().enumerate() {
            let start = row * length;
            let n = sequence.ids.len();
            ids[start..start + n].copy_from_slice(sequence.ids);
            type_ids[start..start + n].copy_from_slice(sequence.type_ids);
            mask[start..start + n].fill(1.0);
            additive[start..start + n].fill(0.0);
        }
        let (rows_i, length_i) = (dim(rows)?, dim(length)?);
        let ids = Array::from_slice(&ids, &[rows_i, length_i]);
        let type_ids = Array::from_slice(&type_ids, &[rows_i, length_i]);
        let mask = Array::from_slice(&mask, &[rows_i, length_i]);
        // 0 where a key is a real token, −∞ where it is padding; broadcast over heads and queries.
        let additive = Array::from_slice(&additive, &[rows_i, 1, 1, length_i]);
        let lengths: Vec<usize> = batch.iter().map(|s| s.ids.len()).collect();

        let states = self.model.forward(&ids, &type_ids, &lengths, &additive)?; // (rows, length, hidden)
        let pooled = match self.pooling {
            Pooling::Mean => {
                let weights = mask.reshape(&[rows_i, length_i, 1])?;
                let sums = states.multiply(&weights)?.sum_axis(1, false)?;
                let counts = weights.sum_axis(1, false)?; // ≥ 1: [CLS] and [SEP] are real
                sums.divide(&counts)?
            }
            Pooling::Cls => states.index((.., 0, ..)),
        };
        let norms = ops::maximum(
            pooled.square()?.sum_axis(-1, true)?.sqrt()?,
            Array::from_f32(1e-12),
        )?;
        let unit = pooled.divide(&norms)?;
        unit.eval()?;
        let values = unit.try_as_slice::<f32>()?;
        Ok(values.chunks(hidden).map(<[f32]>::to_vec).collect())
    }
}

/// One tokenized text.
struct Sequence<'a> {
    ids: &'a [u32],
    type_ids: &'a [u32],
}

/// How token vectors become one sentence vector (`1_Pooling/config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooling {
    Mean,
    Cls,
}

impl Pooling {
    fn read(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Ok(Pooling::Mean);
        }
        let config: HashMap<String, serde_json::Value> = read_json(path)?;
        let enabled: Vec<&str> = config
            .iter()
            .filter(|(key, value)| key.starts_with("pooling_mode") && value.as_bool() == Some(true))
            .map(|(key, _)| key.as_str())
            .collect();
        match enabled.as_slice() {
            ["pooling_mode_mean_tokens"] => Ok(Pooling::Mean),
            ["pooling_mode_cls_token"] => Ok(Pooling::Cls),
            other => Err(Error::UnsupportedArchitecture {
                path: path.to_owned(),
                architecture: format!("pooling {other:?} (only mean or CLS pooling)"),
            }),
        }
    }
}

/// The fields of a BERT `config.json` the encoder needs.
#[derive(Debug, Clone, Deserialize)]
struct BertConfig {
    model_type: String,
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_type_vocab_size")]
    type_vocab_size: usize,
    #[serde(default = "default_layer_norm_eps")]
    layer_norm_eps: f32,
    #[serde(default = "default_hidden_act")]
    hidden_act: String,
    #[serde(default = "default_position_embedding_type")]
    position_embedding_type: String,
}

fn default_type_vocab_size() -> usize {
    2
}
fn default_layer_norm_eps() -> f32 {
    1e-12
}
fn default_hidden_act() -> String {
    "gelu".into()
}
fn default_position_embedding_type() -> String {
    "absolute".into()
}

impl BertConfig {
    fn validate(&self, path: &Path) -> Result<()> {
        let unsupported = |what: String| {
            Err(Error::UnsupportedArchitecture {
                path: path.to_owned(),
                architecture: what,
            })
        };
        if self.model_type != "bert" {
            return unsupported(self.model_type.clone());
        }
        if self.hidden_act != "gelu" {
            return unsupported(format!("bert with hidden_act `{}`", self.hidden_act));
        }
        if self.position_embedding_type != "absolute" {
            return unsupported(format!(
                "bert with position_embedding_type `{}`",
                self.position_embedding_type
            ));
        }
        if self.num_attention_heads == 0
            || self.hidden_size == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(Error::InvalidModel {
                path: path.to_owned(),
                reason: format!(
                    "hidden_size {} is not a multiple of num_attention_heads {}",
                    self.hidden_size, self.num_attention_heads
                ),
            });
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

/// A dense layer, its weight stored transposed: `x · weight + bias`.
struct Linear {
    weight: Array, // (in, out)
    bias: Array,   // (out)
}

impl Linear {
    fn forward(&self, x: &Array) -> Result<Array> {
        Ok(ops::addmm(&self.bias, x, &self.weight, None, None)?)
    }
}

struct LayerNorm {
    weight: Array,
    bias: Array,
    eps: f32,
}

impl LayerNorm {
    fn forward(&self, x: &Array) -> Result<Array> {
        Ok(fast::layer_norm(x, &self.weight, &self.bias, self.eps)?)
    }
}

struct Layer {
    qkv: Linear,
    attention_output: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

struct Bert {
    config: BertConfig,
    word_embeddings: Array,
    position_embeddings: Array,
    token_type_embeddings: Array,
    embeddings_norm: LayerNorm,
    layers: Vec<Layer>,
    /// Softmax and GELU on the host (MLX on the CPU) rather than in MLX's graph (Metal).
    host_kernels: bool,
}

impl Bert {
    fn load(path: &Path, config: BertConfig) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => Error::InvalidModel {
                path: path.to_owned(),
                reason: "missing: the model folder has no weights".into(),
            },
            _ => Error::Io {
                path: path.to_owned(),
                source: error,
            },
        })?;
        let file = SafeTensors::deserialize(&bytes).map_err(|error| Error::InvalidModel {
            path: path.to_owned(),
            reason: format!("not a readable safetensors file: {error}"),
        })?;
        let weights = Weights::new(path, &file);

        let (hidden, inner) = (config.hidden_size, config.intermediate_size);
        let norm = |prefix: &str| -> Result<LayerNorm> {
            Ok(LayerNorm {
                weight: weights.get(&format!("{prefix}.weight"), &[hidden])?,
                bias: weights.get(&format!("{prefix}.bias"), &[hidden])?,
                eps: config.layer_norm_eps,
            })
        };
        let linear = |name: &str, inputs: usize, outputs: usize| -> Result<Linear> {
            Ok(Linear {
                weight: weights
                    .get(&format!("{name}.weight"), &[outputs, inputs])?
                    .transpose()?,
                bias: weights.get(&format!("{name}.bias"), &[outputs])?,
            })
        };

        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let [q, k, v] = ["query", "key", "value"].map(|n| format!("{p}.attention.self.{n}"));
            let weight = |n: &str| weights.get(&format!("{n}.weight"), &[hidden, hidden]);
            let bias = |n: &str| weights.get(&format!("{n}.bias"), &[hidden]);
            let qkv = Linear {
                weight: ops::concatenate(&[weight(&q)?, weight(&k)?, weight(&v)?], 0)?
                    .transpose()?,
                bias: ops::concatenate(&[bias(&q)?, bias(&k)?, bias(&v)?], 0)?,
            };
            layers.push(Layer {
                qkv,
                attention_output: linear(&format!("{p}.attention.output.dense"), hidden, hidden)?,
                attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                intermediate: linear(&format!("{p}.intermediate.dense"), hidden, inner)?,
                output: linear(&format!("{p}.output.dense"), inner, hidden)?,
                output_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        let model = Bert {
            word_embeddings: weights.get(
                "embeddings.word_embeddings.weight",
                &[config.vocab_size, hidden],
            )?,
            position_embeddings: weights.get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, hidden],
            )?,
            token_type_embeddings: weights.get(
                "embeddings.token_type_embeddings.weight",
                &[config.type_vocab_size, hidden],
            )?,
            embeddings_norm: norm("embeddings.LayerNorm")?,
            layers,
            config,
            host_kernels: matches!(
                Device::try_default().and_then(|device| device.get_type()),
                Ok(DeviceType::Cpu)
            ),
        };
        // Materialise the fused and converted weights once, not in every batch's graph.
        let mut arrays = vec![
            &model.word_embeddings,
            &model.position_embeddings,
            &model.token_type_embeddings,
            &model.embeddings_norm.weight,
            &model.embeddings_norm.bias,
        ];
        for layer in &model.layers {
            for linear in [
                &layer.qkv,
                &layer.attention_output,
                &layer.intermediate,
                &layer.output,
            ] {
                arrays.extend([&linear.weight, &linear.bias]);
            }
            for norm in [&layer.attention_norm, &layer.output_norm] {
                arrays.extend([&norm.weight, &norm.bias]);
            }
        }
        mlx_rs::transforms::eval(arrays)?;
        Ok(model)
    }

    /// Hidden states (rows, length, hidden) of a padded batch of texts `lengths` tokens long;
    /// `additive` (rows, 1, 1, length) is added to the attention scores in MLX's own
    /// attention: 0 for real keys, −∞ for padding.
    fn forward(
        &self,
        ids: &Array,
        type_ids: &Array,
        lengths: &[usize],
        additive: &Array,
    ) -> Result<Array> {
        let shape = ids.shape();
        let (rows, length) = (shape[0], shape[1]);
        let hidden = dim(self.config.hidden_size)?;
        let heads = dim(self.config.num_attention_heads)?;
        let head_dim = hidden / heads;

        let words = self.word_embeddings.take_axis(ids, 0)?; // (rows, length, hidden)
        let types = self.token_type_embeddings.take_axis(type_ids, 0)?;
        let positions = self.position_embeddings.index(..length); // (length, hidden)
        let x = words.add(&types)?.add(&positions)?;
        let mut x = self
            .embeddings_norm
            .forward(&x)?
            .reshape(&[rows * length, hidden])?;

        let scale = 1.0 / (head_dim as f32).sqrt();

        for layer in &self.layers {
            // (rows · length, 3 · hidden): each token's queries, keys and values.
            let qkv = layer.qkv.forward(&x)?;
            let context = if self.host_kernels {
                let shape = host::AttentionShape {
                    rows: rows as usize,
                    length: length as usize,
                    heads: heads as usize,
                    head_dim: head_dim as usize,
                };
                on_host(&qkv, &[rows * length, hidden], |qkv, context| {
                    host::attention(qkv, context, shape, lengths, scale)
                })?
            } else {
                // (3, rows, heads, length, head_dim): queries, keys, values.
                let qkv = qkv
                    .reshape(&[rows, length, 3, heads, head_dim])?
                    .transpose_axes(&[2, 0, 3, 1, 4])?;
                let (q, k, v) = (qkv.index(0), qkv.index(1), qkv.index(2));
                let mask = if lengths.iter().all(|&n| n == length as usize) {
                    // Nothing to mask: MLX's attention without a mask is the cheaper one.
                    None
                } else {
                    Some(fast::ScaledDotProductAttentionMask::Array(additive))
                };
                fast::scaled_dot_product_attention(q, k, v, scale, mask, None)?
                    .transpose_axes(&[0, 2, 1, 3])?
                    .reshape(&[rows * length, hidden])?
            };
            let attended = layer.attention_output.forward(&context)?.add(&x)?;
            x = layer.attention_norm.forward(&attended)?;

            let inner = layer.intermediate.forward(&x)?;
            let inner = if self.host_kernels {
                on_host(&inner, inner.shape(), host::gelu)?
            } else {
                gelu(&inner)?
            };
            let out = layer.output.forward(&inner)?.add(&x)?;
            x = layer.output_norm.forward(&out)?;
        }
        Ok(x.reshape(&[rows, length, hidden])?)
    }
}

/// Evaluates `input` and applies `kernel` to its values on the host, into a new array of
/// `shape` (see the `host` module for why).
fn on_host(input: &Array, shape: &[i32], kernel: impl FnOnce(&[f32], &mut [f32])) -> Result<Array> {
    input.eval()?;
    let values = input.try_as_slice::<f32>()?;
    let size = shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .product();
    let mut output = vec![0.0f32; size];
    kernel(values, &mut output);
    Ok(Array::from_slice(&output, shape))
}

/// GELU with the exact erf: x · (1 + erf(x / √2)) / 2.
fn gelu(x: &Array) -> Result<Array> {
    let erf = ops::erf(x.multiply(Array::from_f32(FRAC_1_SQRT_2))?)?;
    Ok(x.multiply(erf.add(Array::from_f32(1.0))?)?
        .multiply(Array::from_f32(0.5))?)
}

/// The tensors of one safetensors file, by their canonical names: no `bert.` prefix,
/// `LayerNorm.weight`/`bias` for the old `gamma`/`beta`.
struct Weights<'a> {
    path: &'a Path,
    tensors: HashMap<String, TensorView<'a>>,
}

impl<'a> Weights<'a> {
    fn new(path: &'a Path, file: &'a SafeTensors<'a>) -> Self {
        let tensors = file
            .tensors()
            .into_iter()
            .map(|(name, view)| (canonical_name(&name), view))
            .collect();
        Self { path, tensors }
    }

    /// The tensor `name`, checked to have `shape`, as an F32 array.
    fn get(&self, name: &str, shape: &[usize]) -> Result<Array> {
        let invalid = |reason: String| Error::InvalidModel {
            path: self.path.to_owned(),
            reason,
        };
        let view = self
            .tensors
            .get(name)
            .ok_or_else(|| invalid(format!("tensor `{name}` is missing")))?;
        if view.shape() != shape {
            return Err(invalid(format!(
                "tensor `{name}` has shape {:?}, expected {shape:?}",
                view.shape()
            )));
        }
        let dims = shape.iter().map(|&d| dim(d)).collect::<Result<Vec<_>>>()?;
        let data = view.data();
        let array = match view.dtype() {
            // Safetensors data is little-endian and not necessarily aligned: copy it out.
            StDtype::F32 => {
                let values: Vec<f32> = data
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                Array::from_slice(&values, &dims)
            }
            StDtype::F16 => {
                let values: Vec<half::f16> = data
                    .chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes([b[0], b[1]]))
                    .collect();
                Array::from_slice(&values, &dims).as_dtype(Dtype::Float32)?
            }
            StDtype::BF16 => {
                let values: Vec<half::bf16> = data
                    .chunks_exact(2)
                    .map(|b| half::bf16::from_le_bytes([b[0], b[1]]))
                    .collect();
                Array::from_slice(&values, &dims).as_dtype(Dtype::Float32)?
            }
            other => {
                return Err(invalid(format!(
                    "tensor `{name}` is {other:?}; expected F32, F16 or BF16"
                )));
            }
        };
        Ok(array)
    }
}

fn canonical_name(name: &str) -> String {
    let name = name.strip_prefix("bert.").unwrap_or(name);
    name.replace("LayerNorm.gamma", "LayerNorm.weight")
        .replace("LayerNorm.beta", "LayerNorm.bias")
}

/// `tokenizer.json` with its own padding off and truncation at `max_tokens`.
fn load_tokenizer(path: &Path, max_tokens: usize) -> Result<Tokenizer> {
    if !path.is_file() {
        return Err(Error::InvalidModel {
            path: path.to_owned(),
            reason: "missing: the model folder has no tokenizer".into(),
        });
    }
    let mut tokenizer = Tokenizer::from_file(path).map_err(|error| Error::InvalidModel {
        path: path.to_owned(),
        reason: format!("not a usable tokenizer: {error}"),
    })?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: max_tokens,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
            direction: TruncationDirection::Right,
        }))
        .map_err(|error| Error::InvalidModel {
            path: path.to_owned(),
            reason: format!("cannot truncate at {max_tokens} tokens: {error}"),
        })?;
    Ok(tokenizer)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => Error::InvalidModel {
            path: path.to_owned(),
            reason: "missing".into(),
        },
        _ => Error::Io {
            path: path.to_owned(),
            source: error,
        },
    })?;
    serde_json::from_str(&text).map_err(|error| Error::InvalidModel {
        path: path.to_owned(),
        reason: format!("not valid JSON for this model: {error}"),
    })
}

/// A size as an MLX dimension.
fn dim(size: usize) -> Result<i32> {
    i32::try_from(size).map_err(|_| Error::InvalidSetting(format!("dimension {size} too large")))
}

/// The embedder moves to a blocking thread: it must stay `Send`.
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<Embedder>();
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_prefixed_weight_names_map_to_one_name() {
        assert_eq!(
            canonical_name("bert.embeddings.LayerNorm.gamma"),
            "embeddings.LayerNorm.weight"
        );
        assert_eq!(
            canonical_name("encoder.layer.3.output.LayerNorm.beta"),
            "encoder.layer.3.output.LayerNorm.bias"
        );
        assert_eq!(
            canonical_name("encoder.layer.0.attention.self.query.weight"),
            "encoder.layer.0.attention.self.query.weight"
        );
    }

    #[test]
    fn pooling_modes_are_read_and_unknown_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let write = |json: &str| std::fs::write(&path, json).unwrap();
        assert_eq!(
            Pooling::read(&dir.path().join("absent")).unwrap(),
            Pooling::Mean
        );
        write(r#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#);
        assert_eq!(Pooling::read(&path).unwrap(), Pooling::Cls);
        write(r#"{"pooling_mode_max_tokens": true, "pooling_mode_mean_tokens": false}"#);
        let error = Pooling::read(&path).unwrap_err();
        assert!(
            matches!(error, Error::UnsupportedArchitecture { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("config.json"), "{error}");
    }
}
