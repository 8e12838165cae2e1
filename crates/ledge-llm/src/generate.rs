//! Text generation: the loop that feeds a prompt to a [`LanguageModel`], samples one token at
//! a time and streams the text out, until an end-of-text token, a stop string, the token
//! limit, the end of the context, or cancellation.
//!
//! A [`Generator`] keeps the KV cache of its last run together with the tokens in it. The next
//! prompt that starts with the same tokens (the same system prompt, or the conversation so far
//! plus a follow-up question) only runs its new tokens through the model, so a follow-up's time
//! to first token does not grow with the length of the conversation.
//!
//! The loop is synchronous: MLX work is CPU-bound and belongs on a blocking thread.
//! [`stream`] runs it there and hands the text to async code over a tokio channel; dropping the
//! receiver or cancelling the [`CancelToken`] stops it at the next token.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mlx_rs::Array;
use mlx_rs::ops::indexing::IndexOp;
use tokio::sync::mpsc;

use crate::model::{KvCache, LanguageModel};
use crate::runtime::exclusive;
use crate::sampling::{Sampler, SamplingParams};
use crate::text_stream::{Detokenizer, StopMatcher};
use crate::tokenizer::ModelTokenizer;
use crate::{Error, Result};

/// Prompts are run through the model in pieces of this many tokens, which bounds the memory
/// the attention scores of a long prompt take.
pub(crate) const PREFILL_CHUNK: usize = 512;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationParams {
    /// At most this many new tokens.
    pub max_tokens: usize,
    /// How each token is chosen.
    pub sampling: SamplingParams,
    /// Generation ends before any of these strings would be shown.
    pub stop: Vec<String>,
}

impl Default for GenerationParams {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            sampling: SamplingParams::default(),
            stop: Vec::new(),
        }
    }
}

/// Why a generation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The model produced an end-of-text token.
    EndOfText,
    /// One of the stop strings came up (it is not part of the text).
    StopString(String),
    /// The token limit was reached.
    MaxTokens,
    /// The model's context window is full.
    ContextFull,
    /// The caller cancelled.
    Cancelled,
}

/// Figures of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationStats {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Of those, how many were already in the KV cache from the previous run.
    pub reused_tokens: usize,
    /// New tokens generated (including one that ended the generation).
    pub generated_tokens: usize,
    /// From the call to the first new token.
    pub time_to_first_token: Duration,
    /// Time spent on the tokens after the first.
    pub decode_time: Duration,
    /// Why it ended.
    pub stop: StopReason,
}

impl GenerationStats {
    /// Prompt tokens processed per second (those not reused), up to the first new token.
    pub fn prefill_tokens_per_second(&self) -> f64 {
        let computed = self.prompt_tokens - self.reused_tokens;
        computed as f64 / self.time_to_first_token.as_secs_f64().max(1e-9)
    }

    /// New tokens per second after the first.
    pub fn decode_tokens_per_second(&self) -> f64 {
        self.generated_tokens.saturating_sub(1) as f64 / self.decode_time.as_secs_f64().max(1e-9)
    }
}

/// The outcome of [`Generator::generate`].
#[derive(Debug, Clone)]
pub struct Generation {
    /// The generated text, as it was streamed.
    pub text: String,
    /// The generated token ids.
    pub tokens: Vec<u32>,
    /// How it went.
    pub stats: GenerationStats,
}

/// Stops a running generation from another thread.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the generation to stop at the next token.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A loaded model with its tokenizer and the KV cache of its last generation.
#[derive(Debug)]
pub struct Generator {
    model: LanguageModel,
    tokenizer: ModelTokenizer,
    cache: KvCache,
    /// The tokens whose keys and values `cache` holds, in order.
    cached: Vec<u32>,
}

impl Generator {
    /// Loads the model folder `dir`: weights, configuration and tokenizer.
    pub fn load(dir: &Path) -> Result<Self> {
        let (model, tokenizer) = load_model(dir)?;
        Ok(Self::new(model, tokenizer))
    }

    /// A generator over an already loaded model and tokenizer.
    pub fn new(model: LanguageModel, tokenizer: ModelTokenizer) -> Self {
        let cache = model.new_cache();
        Self {
            model,
            tokenizer,
            cache,
            cached: Vec::new(),
        }
    }

    /// The model.
    pub fn model(&self) -> &LanguageModel {
        &self.model
    }

    /// The tokenizer and chat template.
    pub fn tokenizer(&self) -> &ModelTokenizer {
        &self.tokenizer
    }

    /// The model's context window, in tokens.
    pub fn context_length(&self) -> usize {
        self.model.config().max_position_embeddings
    }

    /// Tokens held in the KV cache: the last prompt and what was generated after it.
    pub fn context_used(&self) -> usize {
        self.cached.len()
    }

    /// Forgets the KV cache: the next prompt is computed from scratch.
    pub fn reset(&mut self) {
        self.cache = self.model.new_cache();
        self.cached.clear();
    }

    /// Generates a continuation of `prompt` (token ids), calling `on_text` with each piece
    /// of text as soon as it is final.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        params: &GenerationParams,
        cancel: &CancelToken,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        params.sampling.validate().map_err(Error::InvalidSetting)?;
        let context = self.context_length();
        if prompt.is_empty() {
            return Err(Error::InvalidSetting("the prompt is empty".into()));
        }
        if prompt.len() >= context {
            return Err(Error::PromptTooLong {
                tokens: prompt.len(),
                context,
            });
        }
        let started = Instant::now();
        let (reused, mut logits) = exclusive(|| {
            let reused = self.reuse_prefix(prompt);
            self.prefill(&prompt[reused..])
                .map(|logits| (reused, logits))
        })?;

        let mut sampler = Sampler::new(params.sampling.clone());
        let mut history = prompt.to_vec();
        let mut tokens = Vec::new();
        let mut text = String::new();
        let mut detokenizer = Detokenizer::new(self.tokenizer.inner());
        let mut stops = StopMatcher::new(params.stop.iter().cloned());
        let mut time_to_first_token = None;
        let mut emit = |piece: &str, text: &mut String| {
            if !piece.is_empty() {
                text.push_str(piece);
                on_text(piece);
            }
        };

        let stop = loop {
            if cancel.is_cancelled() {
                break StopReason::Cancelled;
            }
            if tokens.len() >= params.max_tokens {
                break StopReason::MaxTokens;
            }
            let token = sampler.sample(&mut logits, &history);
            time_to_first_token.get_or_insert_with(|| started.elapsed());
            tokens.push(token);
            history.push(token);
            if self.tokenizer.eos_ids().contains(&token) {
                break StopReason::EndOfText;
            }
            let matched = stops.push(&detokenizer.push(token)?);
            emit(&matched.text, &mut text);
            if let Some(stop) = matched.stop {
                break StopReason::StopString(stop);
            }
            if self.cached.len() + 1 >= context {
                break StopReason::ContextFull;
            }
            if tokens.len() >= params.max_tokens || cancel.is_cancelled() {
                continue; // ends at the checks above without computing a token not needed
            }
            logits = step(&self.model, &mut self.cache, &mut self.cached, &[token])?;
        };
        if !matches!(stop, StopReason::StopString(_)) {
            let tail = detokenizer.finish()?;
            let matched = stops.push(&tail);
            emit(&matched.text, &mut text);
            emit(&stops.finish(), &mut text);
        }

        let time_to_first_token = time_to_first_token.unwrap_or_else(|| started.elapsed());
        let stats = GenerationStats {
            prompt_tokens: prompt.len(),
            reused_tokens: reused,
            generated_tokens: tokens.len(),
            time_to_first_token,
            decode_time: started.elapsed().saturating_sub(time_to_first_token),
            stop,
        };
        tracing::debug!(?stats, "generation finished");
        Ok(Generation {
            text,
            tokens,
            stats,
        })
    }

    /// How many of `prompt`'s tokens the cache already holds (what [`generate`] would not
    /// compute again).
    ///
    /// [`generate`]: Generator::generate
    pub fn reusable(&self, prompt: &[u32]) -> usize {
        self.cached
            .iter()
            .zip(prompt)
            .take_while(|(a, b)| a == b)
            .count()
            .min(prompt.len().saturating_sub(1))
    }

    /// Computes `prefix` into the cache without generating (a prompt's start, ahead of the
    /// rest); returns how many tokens it computed and how long that took: a measure of this
    /// machine's prefill speed that costs nothing later, since the prompt reuses it.
    pub fn warm(&mut self, prefix: &[u32]) -> Result<(usize, Duration)> {
        if prefix.len() >= self.context_length() {
            return Err(Error::PromptTooLong {
                tokens: prefix.len(),
                context: self.context_length(),
            });
        }
        if prefix.is_empty() {
            return Ok((0, Duration::ZERO));
        }
        let started = Instant::now();
        let reused = exclusive(|| {
            let reused = self.reuse_prefix(prefix);
            self.prefill(&prefix[reused..]).map(|_| reused)
        })?;
        Ok((prefix.len() - reused, started.elapsed()))
    }

    /// Keeps the cached tokens `prompt` starts with and drops the rest; returns how many were
    /// kept. At least one prompt token is always left to compute, since its logits choose the
    /// first new token.
    fn reuse_prefix(&mut self, prompt: &[u32]) -> usize {
        let shared = self
            .cached
            .iter()
            .zip(prompt)
            .take_while(|(a, b)| a == b)
            .count()
            .min(prompt.len() - 1);
        if shared == self.cached.len() {
            return shared;
        }
        if self.cache.truncate(shared) {
            self.cached.truncate(shared);
            shared
        } else {
            self.reset();
            0
        }
    }

    /// Runs the prompt's uncached tokens; returns the last position's logits.
    fn prefill(&mut self, tokens: &[u32]) -> Result<Vec<f32>> {
        let mut last = Vec::new();
        for piece in tokens.chunks(PREFILL_CHUNK) {
            last = step(&self.model, &mut self.cache, &mut self.cached, piece)?;
        }
        Ok(last)
    }
}

/// Runs `tokens` after the `cached` ones; returns the last position's logits. (A free
/// function so that the generation loop can hold the tokenizer while it runs the model.)
/// Each step is one unit of [`exclusive`] MLX work: between two tokens, another thread's
/// (the indexer's embeddings) may run.
fn step(
    model: &LanguageModel,
    cache: &mut KvCache,
    cached: &mut Vec<u32>,
    tokens: &[u32],
) -> Result<Vec<f32>> {
    exclusive(|| step_now(model, cache, cached, tokens))
}

fn step_now(
    model: &LanguageModel,
    cache: &mut KvCache,
    cached: &mut Vec<u32>,
    tokens: &[u32],
) -> Result<Vec<f32>> {
    let logits = match model.forward_last(tokens, cache) {
        Ok(logits) => logits,
        Err(error) => {
            // The cache may hold part of this step: start over next time.
            *cache = model.new_cache();
            cached.clear();
            return Err(error);
        }
    };
    cached.extend_from_slice(tokens);
    last_row(&logits)
}

/// The last row of a `[positions, vocabulary]` logits array, as f32 values.
/// Loads the model folder `dir`: its weights on this thread and, side by side on a second
/// one, its tokenizer. Gemma 3's tokenizer (262,144 tokens, half a million merges) takes
/// about as long to parse as its 1 GB of weights takes to read from the page cache.
pub fn load_model(dir: &Path) -> Result<(LanguageModel, ModelTokenizer)> {
    std::thread::scope(|scope| {
        let tokenizer = scope.spawn(|| ModelTokenizer::load(dir));
        let model = LanguageModel::load(dir);
        let tokenizer = tokenizer.join().unwrap_or_else(|_| {
            Err(Error::InvalidModel {
                path: dir.join("tokenizer.json"),
                reason: "reading the tokenizer failed unexpectedly".into(),
            })
        });
        Ok((model?, tokenizer?))
    })
}

pub(crate) fn last_row(logits: &Array) -> Result<Vec<f32>> {
    let row = logits.index(-1).as_type::<f32>()?;
    match row.try_as_slice::<f32>() {
        Ok(values) => Ok(values.to_vec()),
        Err(mlx_rs::error::AsSliceError::NotContiguous) => {
            let row = row.contiguous()?;
            Ok(row.try_as_slice::<f32>()?.to_vec())
        }
        Err(error) => Err(error.into()),
    }
}

/// What [`stream`] sends.
#[derive(Debug)]
pub enum StreamEvent {
    /// The next piece of text.
    Text(String),
    /// The end: the figures, or what went wrong.
    Done(Result<GenerationStats>),
}

/// Runs a generation on a blocking thread and streams its text. The generation stops early
/// when `cancel` is cancelled or the receiver is dropped. Must be called within a tokio
/// runtime.
pub fn stream(
    generator: Arc<Mutex<Generator>>,
    prompt: Vec<u32>,
    params: GenerationParams,
    cancel: CancelToken,
) -> mpsc::Receiver<StreamEvent> {
    let (sender, receiver) = mpsc::channel(64);
    tokio::task::spawn_blocking(move || {
        let outcome = match generator.lock() {
            Ok(mut generator) => {
                let mut on_text = |piece: &str| {
                    if sender
                        .blocking_send(StreamEvent::Text(piece.to_owned()))
                        .is_err()
                    {
                        // Nobody is listening any more.
                        cancel.cancel();
                    }
                };
                generator
                    .generate(&prompt, &params, &cancel, &mut on_text)
                    .map(|generation| generation.stats)
            }
            Err(_) => Err(Error::InvalidSetting(
                "the model is unusable: an earlier generation panicked".into(),
            )),
        };
        let _ = sender.blocking_send(StreamEvent::Done(outcome));
    });
    receiver
}
