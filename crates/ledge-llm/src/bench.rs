//! Measuring the runtime: the figures `ledge bench` reports for a decoder (load time, time to
//! first token by prompt length, decode speed, peak memory) and for an embedder (texts per
//! second).
//!
//! Loading is timed from the page cache (the folder is read once first), for Ledge and for
//! the anchors that run after it alike.
//!
//! The measurements drive the model the way [`crate::generate::Generator`] does (prompts in
//! chunks of the same size, logits read back to the host, greedy choice there) but without
//! its end-of-text check, so decoding always runs the number of tokens asked for. The prompts
//! are token ids built from a fixed English text ([`prompt`]), so that an anchor run on the
//! same model (mlx-lm, in `ledge bench`) can be fed exactly the same ids.
//!
//! Nothing here compares or judges: the caller runs the anchor in the same session and prints
//! ratios. Timings on a shared machine are noisy; repeat a run before trusting a difference.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::embed::Embedder;
use crate::generate::{PREFILL_CHUNK, last_row, load_model};
use crate::model::{KvCache, LanguageModel};
use crate::tokenizer::ModelTokenizer;
use crate::{Error, Result};

/// The text prompts are made of, repeated as often as a length needs.
const PROSE: &str = "The lighthouse keeper kept a log of every ship that passed the point, \
    the weather at dawn and at dusk, and the small repairs the old lamp needed. Over forty \
    years the pages filled a shelf: storms that lasted a week, a winter when the bay froze, \
    the first steamer with a steel hull, letters from the families of sailors who had been \
    saved. When the light was automated, the log went to the town library, where students \
    still read it to learn how the coast, the trade and the people of the harbour changed. ";

/// What to measure on a decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderBenchOptions {
    /// Prompt lengths to time the first token for; lengths that do not fit the model's
    /// context (with room for the decode run) are left out.
    pub prompt_lengths: Vec<usize>,
    /// Tokens to generate for the decode figure.
    pub decode_tokens: usize,
    /// Prompt length before the decode run.
    pub decode_prompt_tokens: usize,
}

/// The time to the first token for one prompt length.
#[derive(Debug, Clone, Serialize)]
pub struct PrefillFigure {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// From the call to the first new token, in milliseconds.
    pub time_to_first_token_ms: f64,
    /// Prompt tokens per second up to the first new token.
    pub tokens_per_second: f64,
}

/// Decode speed.
#[derive(Debug, Clone, Serialize)]
pub struct DecodeFigure {
    /// Tokens in the prompt before the run.
    pub prompt_tokens: usize,
    /// Tokens generated (greedy, end-of-text ignored).
    pub tokens: usize,
    /// Tokens per second after the first.
    pub tokens_per_second: f64,
}

/// The figures of one decoder.
#[derive(Debug, Clone, Serialize)]
pub struct DecoderBench {
    /// Loading the weights and the tokenizer, in seconds.
    pub load_seconds: f64,
    /// Time to first token by prompt length.
    pub prefill: Vec<PrefillFigure>,
    /// The same prompts with the attention in MLX's own graph instead of on the host
    /// ([`LanguageModel::set_host_attention`]): measured on the CPU only, where the two
    /// differ.
    pub graph_prefill: Vec<PrefillFigure>,
    /// Decode speed.
    pub decode: DecodeFigure,
    /// The process's peak resident memory after the runs, in MiB (where the platform says).
    pub peak_rss_mib: Option<f64>,
    /// Bytes one decode step reads from memory, halfway through the decode run (see
    /// [`LanguageModel::bytes_per_token`]).
    pub bytes_per_token: u64,
}

/// The prompts a decoder benchmark ran, for feeding the same ids to an anchor.
#[derive(Debug, Clone, Serialize)]
pub struct BenchPrompts {
    /// A short prompt run first, untimed, so that one-time costs stay out of the figures.
    pub warmup: Vec<u32>,
    /// One prompt per timed length.
    pub prompts: Vec<Vec<u32>>,
    /// The prompt before the decode run.
    pub decode_prompt: Vec<u32>,
    /// Tokens the decode run generates.
    pub decode_tokens: usize,
}

/// The prompt lengths of `requested` that leave room for `decode_tokens` more in a context of
/// `context` tokens.
pub fn fitting_lengths(requested: &[usize], context: usize, decode_tokens: usize) -> Vec<usize> {
    requested
        .iter()
        .copied()
        .filter(|&length| length > 0 && length + decode_tokens < context)
        .collect()
}

/// A prompt of exactly `length` token ids: the tokenizer's encoding of a fixed English text
/// (special tokens included, as a prompt would have them), repeated as often as needed.
pub fn prompt(tokenizer: &ModelTokenizer, length: usize) -> Result<Vec<u32>> {
    let mut text = String::from(PROSE);
    loop {
        let ids = tokenizer.encode(&text, true)?;
        if ids.len() >= length {
            return Ok(ids[..length].to_vec());
        }
        text.push_str(PROSE);
    }
}

/// Loads the decoder in `dir` and measures it. Returns the figures and the prompts it ran.
///
/// MLX must be set up first ([`crate::Runtime::init`]).
pub fn decoder(dir: &Path, options: &DecoderBenchOptions) -> Result<(DecoderBench, BenchPrompts)> {
    if options.decode_tokens < 2 {
        return Err(Error::InvalidSetting(
            "the decode run needs at least 2 tokens".into(),
        ));
    }
    warm_page_cache(dir)?;
    let started = Instant::now();
    let (mut model, tokenizer) = load_model(dir)?;
    let load_seconds = started.elapsed().as_secs_f64();

    let context = model.config().max_position_embeddings;
    let lengths = fitting_lengths(&options.prompt_lengths, context, options.decode_tokens);
    let decode_prompt_tokens = options
        .decode_prompt_tokens
        .min(context.saturating_sub(options.decode_tokens + 1))
        .max(1);
    let prompts = BenchPrompts {
        warmup: prompt(&tokenizer, 16.min(decode_prompt_tokens))?,
        prompts: lengths
            .iter()
            .map(|&length| prompt(&tokenizer, length))
            .collect::<Result<_>>()?,
        decode_prompt: prompt(&tokenizer, decode_prompt_tokens)?,
        decode_tokens: options.decode_tokens,
    };

    first_token(&model, &prompts.warmup)?;
    let time_prefill = |model: &LanguageModel| -> Result<Vec<PrefillFigure>> {
        let mut figures = Vec::with_capacity(prompts.prompts.len());
        for ids in &prompts.prompts {
            let (elapsed, _) = first_token(model, ids)?;
            let seconds = elapsed.as_secs_f64().max(1e-9);
            figures.push(PrefillFigure {
                prompt_tokens: ids.len(),
                time_to_first_token_ms: seconds * 1000.0,
                tokens_per_second: ids.len() as f64 / seconds,
            });
        }
        Ok(figures)
    };
    let prefill = time_prefill(&model)?;
    let decode = decode(&model, &prompts.decode_prompt, options.decode_tokens)?;
    // Before the graph's runs, which hold whole score matrices.
    let peak_rss_mib = peak_rss_bytes().map(mib);
    let graph_prefill = if crate::Runtime::init()?.device() == crate::ComputeDevice::Cpu {
        model.set_host_attention(false);
        let figures = time_prefill(&model)?;
        model.set_host_attention(true);
        figures
    } else {
        Vec::new()
    };
    let bench = DecoderBench {
        load_seconds,
        prefill,
        graph_prefill,
        peak_rss_mib,
        bytes_per_token: model.bytes_per_token(decode.prompt_tokens + decode.tokens / 2),
        decode,
    };
    Ok((bench, prompts))
}

/// Reads every file of the model folder once, so that the timed load reads from the page
/// cache, as every start but the first after a reboot does. The anchors, run after Ledge,
/// then find the same warm cache: without this, whoever runs first pays for the disk.
fn warm_page_cache(dir: &Path) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.is_file() {
            let mut file = std::fs::File::open(&path).map_err(io(&path))?;
            std::io::copy(&mut file, &mut std::io::sink()).map_err(io(&path))?;
        }
    }
    Ok(())
}

/// Runs `ids` into a fresh cache as the generator does and picks the first token: the time it
/// took, and the cache and token to go on from.
fn first_token(model: &LanguageModel, ids: &[u32]) -> Result<(Duration, (KvCache, u32))> {
    let started = Instant::now();
    let mut cache = model.new_cache();
    let mut logits = Vec::new();
    for piece in ids.chunks(PREFILL_CHUNK) {
        logits = last_row(&model.forward_last(piece, &mut cache)?)?;
    }
    let token = argmax(&logits)?;
    Ok((started.elapsed(), (cache, token)))
}

/// Greedy decoding of `tokens` tokens after `ids`, end-of-text ignored.
fn decode(model: &LanguageModel, ids: &[u32], tokens: usize) -> Result<DecodeFigure> {
    let (_, (mut cache, mut token)) = first_token(model, ids)?;
    let started = Instant::now();
    for _ in 1..tokens {
        let logits = last_row(&model.forward_last(&[token], &mut cache)?)?;
        token = argmax(&logits)?;
    }
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    Ok(DecodeFigure {
        prompt_tokens: ids.len(),
        tokens,
        tokens_per_second: (tokens - 1) as f64 / seconds,
    })
}

fn argmax(logits: &[f32]) -> Result<u32> {
    let best = logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(index, _)| index)
        .ok_or_else(|| Error::InvalidSetting("the model returned no logits".into()))?;
    u32::try_from(best).map_err(|_| Error::InvalidSetting("vocabulary too large".into()))
}

/// What to measure on an embedder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedBenchOptions {
    /// Texts to embed (after one untimed batch).
    pub texts: usize,
    /// Tokens per text (capped by the model's longest input).
    pub tokens_per_text: usize,
}

/// The figures of one embedder.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedBench {
    /// Loading the weights and the tokenizer, in seconds.
    pub load_seconds: f64,
    /// Texts embedded.
    pub texts: usize,
    /// Tokens in each text, special tokens included.
    pub tokens_per_text: usize,
    /// Texts run through the model together.
    pub batch: usize,
    /// Texts per second.
    pub texts_per_second: f64,
    /// Tokens per second.
    pub tokens_per_second: f64,
    /// Texts per second with the softmax and GELU in MLX's graph instead of on the host, on
    /// the same texts (measured only where the host kernels are the default: the CPU).
    pub graph_texts_per_second: Option<f64>,
    /// Floating-point operations of the products for one text.
    pub flops_per_text: f64,
    /// A 1024 × 1024 product's speed in this run, GFLOP/s: the compute this machine gives.
    pub matmul_gflops: f64,
    /// The vectors of the first [`SAMPLE_VECTORS`] texts, to check an anchor computes the
    /// same thing.
    #[serde(skip)]
    pub sample_vectors: Vec<Vec<f32>>,
}

impl EmbedBench {
    /// Texts per second if every product ran at the measured matmul speed and nothing else
    /// took time: the compute bound.
    pub fn bound_texts_per_second(&self) -> f64 {
        self.matmul_gflops * 1e9 / self.flops_per_text.max(1.0)
    }
}

/// Loads the sentence embedder in `dir` and measures it on texts of
/// `options.tokens_per_text` tokens. MLX must be set up first.
pub fn embedder(dir: &Path, options: &EmbedBenchOptions) -> Result<EmbedBench> {
    if options.texts == 0 {
        return Err(Error::InvalidSetting("no texts to embed".into()));
    }
    warm_page_cache(dir)?;
    let started = Instant::now();
    let embedder = Embedder::load(dir)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let tokens_per_text = options.tokens_per_text.min(embedder.max_tokens());
    let texts = embedding_texts(options.texts, tokens_per_text);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let warmup = crate::embed::BATCH.min(texts.len());
    let timed = |embedder: &Embedder| -> Result<(f64, Vec<Vec<f32>>)> {
        embedder.embed(&texts[..warmup])?;
        let started = Instant::now();
        let vectors = embedder.embed(&texts)?;
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        if vectors.len() != texts.len() {
            return Err(Error::InvalidSetting("the embedder lost texts".into()));
        }
        Ok((seconds, vectors))
    };
    let runtime = crate::Runtime::init()?;
    let matmul_gflops = runtime.probe_matmul(1024, 3)?.gflops();
    let flops_per_text = embedder.flops_per_text(tokens_per_text);
    let (seconds, mut vectors) = timed(&embedder)?;
    vectors.truncate(SAMPLE_VECTORS);
    let graph_texts_per_second = if runtime.device() == crate::ComputeDevice::Cpu {
        let mut embedder = embedder;
        embedder.set_host_kernels(false);
        Some(texts.len() as f64 / timed(&embedder)?.0)
    } else {
        None
    };
    Ok(EmbedBench {
        load_seconds,
        texts: texts.len(),
        tokens_per_text,
        batch: crate::embed::BATCH,
        texts_per_second: texts.len() as f64 / seconds,
        tokens_per_second: (texts.len() * tokens_per_text) as f64 / seconds,
        graph_texts_per_second,
        flops_per_text,
        matmul_gflops,
        sample_vectors: vectors,
    })
}

/// How many of the texts' vectors [`EmbedBench::sample_vectors`] keeps.
pub const SAMPLE_VECTORS: usize = 4;

/// The texts [`embedder`] measures: `count` texts of English prose, each starting at a
/// different word (no two alike) and longer than `tokens_per_text` tokens, so the tokenizer
/// cuts every one to that length (two of them [CLS] and [SEP]). Public so that an anchor can
/// embed the same texts.
pub fn embedding_texts(count: usize, tokens_per_text: usize) -> Vec<String> {
    let words: Vec<&str> = PROSE.split_whitespace().collect();
    (0..count)
        .map(|i| {
            (0..tokens_per_text + 8)
                .map(|j| words[(i + j) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// This machine's memory read bandwidth in bytes per second: one thread per core sums its
/// share of a 512 MiB buffer (far larger than any cache); the best of five passes.
///
/// Decoding reads every weight once per token, so bandwidth over
/// [`DecoderBench::bytes_per_token`] is the fastest decode this machine allows. Run it after
/// reading the peak memory of a model run: the buffer adds to the process's peak.
pub fn memory_bandwidth() -> f64 {
    const BYTES: usize = 512 << 20;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Non-zero, so that every page is really allocated before the first timed pass.
    let data = vec![1.0f32; BYTES / std::mem::size_of::<f32>()];
    let share = data.len().div_ceil(threads);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let total: f32 = std::thread::scope(|scope| {
            let parts: Vec<_> = data
                .chunks(share)
                .map(|part| scope.spawn(move || sum(part)))
                .collect();
            parts
                .into_iter()
                .map(|part| part.join().unwrap_or(0.0))
                .sum()
        });
        std::hint::black_box(total);
        best = best.min(started.elapsed().as_secs_f64());
    }
    BYTES as f64 / best.max(1e-9)
}

/// A sum the compiler can vectorise: sixteen independent lanes (a plain fold is one
/// dependent chain of additions, bound by their latency rather than by memory).
fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 16];
    let chunks = values.chunks_exact(lanes.len());
    let rest: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, value) in lanes.iter_mut().zip(chunk) {
            *lane += value;
        }
    }
    lanes.iter().sum::<f32>() + rest
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The peak resident memory of this process so far, in bytes: `VmHWM` from
/// `/proc/self/status` on Linux, `ru_maxrss` of `getrusage` elsewhere; `None` where neither
/// answers.
pub fn peak_rss_bytes() -> Option<u64> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            });
        if let Some(kib) = kib {
            return Some(kib * 1024);
        }
    }
    rusage_peak()
}

fn rusage_peak() -> Option<u64> {
    // SAFETY: getrusage writes into the zeroed struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return None;
        }
        usage
    };
    let peak = u64::try_from(usage.ru_maxrss).ok()?;
    // macOS reports bytes, Linux and the BSDs kibibytes.
    Some(if cfg!(target_os = "macos") {
        peak
    } else {
        peak * 1024
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_lengths_that_do_not_fit_the_context_are_left_out() {
        assert_eq!(
            fitting_lengths(&[128, 512, 2048], 8192, 256),
            vec![128, 512, 2048]
        );
        assert_eq!(
            fitting_lengths(&[128, 512, 2048], 1024, 256),
            vec![128, 512]
        );
        assert_eq!(fitting_lengths(&[0, 100], 1024, 256), vec![100]);
    }

    #[test]
    fn the_peak_resident_memory_is_read() {
        let before = peak_rss_bytes().expect("this platform reports peak memory");
        // Touch 64 MiB: the peak can only grow, and by at least most of that.
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let after = peak_rss_bytes().expect("this platform reports peak memory");
        assert!(after >= before);
        assert!(
            after >= 48 << 20,
            "peak {after} bytes after touching 64 MiB"
        );
        assert!(rusage_peak().is_some_and(|peak| peak > 0));
    }

    #[test]
    fn the_lane_sum_adds_every_value() {
        let values: Vec<f32> = (0..1000).map(|i| (i % 7) as f32).collect();
        let plain: f32 = values.iter().sum();
        assert_eq!(sum(&values), plain);
        assert_eq!(sum(&values[..5]), 0.0 + 1.0 + 2.0 + 3.0 + 4.0);
    }

    #[test]
    fn argmax_picks_the_largest_logit() {
        assert_eq!(argmax(&[0.5, 2.0, -1.0, 1.9]).unwrap(), 1);
        assert!(argmax(&[]).is_err());
    }
}
