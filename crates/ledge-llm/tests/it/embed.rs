//! The sentence embedder against our own NumPy BERT (`tests/reference/bert_embed.py`, f64, each
//! text on its own with no padding) and against vectors sentence-transformers published for
//! all-MiniLM-L6-v2; plus the properties retrieval relies on: padding and batch neighbours do
//! not change a vector, truncation at `max_tokens`, unit length, and typed errors naming the
//! broken file.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use ledge_llm::embed::Embedder;
use ledge_llm::{ComputeDevice, Error, Runtime};
use serde_json::Value;

use crate::support::repo;

fn model_dir() -> PathBuf {
    let dir = repo().join("models/all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} missing: run `scripts/setup.sh models`",
        dir.display()
    );
    dir
}

/// One embedder for the whole test binary (loading takes a moment).
fn embedder() -> &'static Mutex<Embedder> {
    static EMBEDDER: OnceLock<Mutex<Embedder>> = OnceLock::new();
    EMBEDDER.get_or_init(|| {
        Runtime::init().unwrap();
        Mutex::new(Embedder::load(&model_dir()).unwrap())
    })
}

fn embed(texts: &[&str]) -> Vec<Vec<f32>> {
    embedder().lock().unwrap().embed(texts).unwrap()
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt())
}

/// The NumPy reference's vectors and token counts.
fn reference(texts: &[&str]) -> Vec<(Vec<f32>, usize)> {
    let python = repo().join(".deps/venv-ref/bin/python");
    assert!(
        python.is_file(),
        "reference Python missing: run `scripts/setup.sh reference`"
    );
    let mut child = Command::new(python)
        .arg(repo().join("tests/reference/bert_embed.py"))
        .arg(model_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), texts).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "reference failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    answer
        .iter()
        .map(|item| {
            let vector = item["vector"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            (vector, item["tokens"].as_u64().unwrap() as usize)
        })
        .collect()
}

/// About `words` words of plain English prose, different for each `seed`.
fn prose(seed: usize, words: usize) -> String {
    const VOCABULARY: &[&str] = &[
        "the",
        "invoice",
        "was",
        "sent",
        "to",
        "our",
        "accountant",
        "before",
        "March",
        "and",
        "she",
        "noticed",
        "that",
        "a",
        "payment",
        "from",
        "last",
        "year",
        "had",
        "never",
        "arrived",
        "so",
        "we",
        "checked",
        "bank",
        "statements",
        "found",
        "transfer",
        "stuck",
        "in",
        "review",
        "which",
        "delayed",
        "tax",
        "filing",
        "by",
        "two",
        "weeks",
        "meanwhile",
        "garden",
        "needed",
        "watering",
        "because",
        "of",
        "dry",
        "summer",
        "neighbours",
        "helped",
    ];
    (0..words)
        .map(|i| VOCABULARY[(i * 7 + seed * 13 + i * i * seed) % VOCABULARY.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn varied_texts() -> Vec<String> {
    let mut texts: Vec<String> = [
        "This is an example sentence",
        "Each sentence is converted",
        "",
        "   ",
        "Hi",
        "How do I renew my passport before travelling abroad next month?",
        "Le chat dort sur le canapé pendant que la pluie tombe.",
        "Die Rechnung wurde am 3. März bezahlt, aber die Bank hat sie zurückgebucht.",
        "東京の天気は明日晴れるでしょう。",
        "我们明天在图书馆见面讨论项目进度。",
        "Привет, как дела? Встретимся завтра в кафе.",
        "مرحبا بكم في المكتبة العامة",
        "fn main() { let v: Vec<u32> = (0..10).map(|x| x * x).collect(); println!(\"{v:?}\"); }",
        "SELECT name, SUM(total) FROM invoices WHERE paid = 0 GROUP BY name ORDER BY 2 DESC;",
        "| year | revenue |\n|------|---------|\n| 2024 | 1.2M |\n| 2025 | 1.9M |",
        "https://example.com/docs/v2/install?lang=en#linux 🚀🔥 $19.99 (approx.) 3.14159",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "UNDERSTANDING THE TERMS AND CONDITIONS OF YOUR LEASE AGREEMENT",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    texts.push(prose(1, 60));
    // Well past 256 tokens: both sides truncate.
    texts.push(prose(2, 400));
    texts.push(format!("{} {}", prose(3, 300), "this tail is cut off"));
    texts
}

#[test]
fn vectors_match_the_numpy_reference() {
    let owned = varied_texts();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let ours = embed(&texts);
    let expected = reference(&texts);
    assert_eq!(ours.len(), texts.len());

    let mut worst = (1.0f64, 0);
    for (i, (vector, (reference, tokens))) in ours.iter().zip(&expected).enumerate() {
        assert_eq!(vector.len(), 384);
        assert!(*tokens <= 256, "reference kept {tokens} tokens");
        let similarity = cosine(vector, reference);
        if similarity < worst.0 {
            worst = (similarity, i);
        }
        assert!(
            similarity > 0.999,
            "text {i} ({tokens} tokens): cosine {similarity}"
        );
    }
    // The long texts really were truncated (by the reference's own tokenizer settings).
    assert_eq!(expected[texts.len() - 2].1, 256);
    eprintln!(
        "lowest cosine to the NumPy reference: 1 - {:.2e} (text {})",
        1.0 - worst.0,
        worst.1
    );
}

#[test]
fn published_all_minilm_vectors_are_reproduced() {
    // The first components sentence-transformers prints for these inputs (model card example
    // and the R `sbert` package's test against Python sentence-transformers).
    let published: [(&str, [f32; 6]); 3] = [
        (
            "This is an example sentence",
            [
                0.06765693, 0.06349593, 0.04871314, 0.07930495, 0.03744806, 0.00265273,
            ],
        ),
        (
            "Each sentence is converted.",
            [
                0.07853645,
                0.08856265,
                -0.00209270,
                -0.00717247,
                -0.01252624,
                0.01881747,
            ],
        ),
        (
            "",
            [
                -0.11883835,
                0.04829856,
                -0.00254805,
                -0.01101118,
                0.0519507,
                0.01029179,
            ],
        ),
    ];
    let texts: Vec<&str> = published.iter().map(|(text, _)| *text).collect();
    for ((text, prefix), vector) in published.iter().zip(embed(&texts)) {
        for (ours, theirs) in vector.iter().zip(prefix) {
            assert!((ours - theirs).abs() < 1e-4, "{text:?}: {:?}", &vector[..6]);
        }
    }
}

#[test]
fn similar_texts_score_higher_than_unrelated_ones() {
    let v = embed(&[
        "This is an example sentence",
        "Each sentence is converted",
        "How do I reset my password?",
        "I forgot my login password, how can I change it?",
        "The orchestra performed Beethoven's ninth symphony last night.",
    ]);
    // The model card pair. A forward that pads to 128 and averages the padding gives 0.927 here.
    let pair = cosine(&v[0], &v[1]);
    assert!((pair - 0.4046).abs() < 0.01, "model-card pair: {pair}");
    let paraphrase = cosine(&v[2], &v[3]);
    let unrelated = cosine(&v[2], &v[4]);
    eprintln!("model-card pair {pair:.4}, paraphrase {paraphrase:.4}, unrelated {unrelated:.4}");
    assert!(
        paraphrase > 0.7 && unrelated < 0.2 && paraphrase > unrelated + 0.4,
        "paraphrase {paraphrase}, unrelated {unrelated}"
    );
}

#[test]
fn a_vector_does_not_depend_on_its_batch() {
    let short = "Where did I put the lease agreement?";
    let long = prose(4, 150);
    let alone = embed(&[short]).remove(0);
    let long_alone = embed(&[long.as_str()]).remove(0);
    // Padded to the long text in one batch, among neighbours of several lengths.
    let batch = embed(&["Hi", long.as_str(), short, "", "Le chat dort."]);
    for (a, b) in [(&alone, &batch[2]), (&long_alone, &batch[1])] {
        let worst = a
            .iter()
            .zip(b.iter())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "batching changed a vector by {worst}");
    }
    // More texts than one MLX batch: the order of results is the order of the inputs.
    let many: Vec<String> = (0..70).map(|i| prose(i, 5 + i % 40)).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let together = embed(&many);
    for i in [0, 31, 32, 33, 69] {
        let single = embed(&many[i..=i]).remove(0);
        assert!(cosine(&single, &together[i]) > 0.99999, "text {i}");
    }
}

#[test]
fn vectors_are_unit_length_and_long_texts_are_truncated() {
    let embedder = embedder().lock().unwrap();
    assert_eq!(embedder.dimensions(), 384);
    assert_eq!(embedder.max_tokens(), 256);
    assert!(embedder.embed(&[]).unwrap().is_empty());

    let long = prose(5, 400);
    let longer = format!("{long} and a tail that lies beyond the limit");
    let v = embedder
        .embed(&[&long, &longer, "short", "", "東京"])
        .unwrap();
    for vector in &v {
        assert!((dot(vector, vector).sqrt() - 1.0).abs() < 1e-5);
        assert!(vector.iter().all(|x| x.is_finite()));
    }
    assert!(
        cosine(&v[0], &v[1]) > 0.99999,
        "the tail beyond max_tokens counted"
    );
}

#[test]
fn long_passages_are_cut_into_windows_that_cover_every_word() {
    let embedder = embedder().lock().unwrap();
    let heading = "Invoices > Sending";
    let prefix = format!("{heading}\n\n");
    // A short text is one window, exactly the text a chunk was embedded as before windows.
    assert_eq!(
        embedder.windows(heading, "short text", 4).unwrap(),
        ["Invoices > Sending\n\nshort text"]
    );
    assert_eq!(embedder.windows("", "short", 4).unwrap(), ["short"]);

    // A text several windows long (numbered notes, so no stretch of it repeats): every
    // window under the heading, together covering the text from its first byte to its last,
    // each overlapping the one before or following it after whitespace.
    let text: String = (0..90)
        .map(|i| format!("Note {i}: {}.", prose(i, 5)))
        .collect::<Vec<_>>()
        .join(" ");
    let windows = embedder.windows(heading, &text, 8).unwrap();
    assert!(windows.len() >= 2, "{} windows", windows.len());
    let mut reached = 0;
    for window in &windows {
        let body = window.strip_prefix(&prefix).unwrap();
        let at = text.find(body).unwrap();
        assert!(
            text[reached.min(at)..at].trim().is_empty(),
            "words left out before byte {at}"
        );
        reached = reached.max(at + body.len());
    }
    assert_eq!(reached, text.len());
    assert!(windows[0].starts_with(&prefix) && text.starts_with(&windows[0][prefix.len()..]));

    // Every window fits the model: dropping its last word changes its vector (the embedder
    // would have cut a longer text before that word anyway).
    let vector = |s: &str| embedder.embed(&[s]).unwrap().remove(0);
    for window in &windows {
        let shorter = &window[..window.trim_end().rfind(' ').unwrap()];
        assert!(
            cosine(&vector(window), &vector(shorter)) < 0.99999,
            "a window longer than the model reads"
        );
    }
    // The whole text in one piece would lose its end.
    assert!(cosine(&vector(&text), &vector(&text[..text.len() / 2])) > 0.99999);

    // The cap holds; one window is the whole text, as before.
    assert_eq!(embedder.windows(heading, &text, 2).unwrap().len(), 2);
    assert_eq!(
        embedder.windows(heading, &text, 1).unwrap(),
        [format!("{prefix}{text}")]
    );
}

/// A copy of the model folder in which the caller breaks something.
fn model_copy() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let source = model_dir();
    for name in ["config.json", "tokenizer.json", "sentence_bert_config.json"] {
        std::fs::copy(source.join(name), copy.path().join(name)).unwrap();
    }
    std::fs::create_dir(copy.path().join("1_Pooling")).unwrap();
    std::fs::copy(
        source.join("1_Pooling/config.json"),
        copy.path().join("1_Pooling/config.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        source.join("model.safetensors"),
        copy.path().join("model.safetensors"),
    )
    .unwrap();
    copy
}

#[track_caller]
fn assert_invalid_file(error: Error, file: &str) {
    match &error {
        Error::InvalidModel { path, .. } | Error::UnsupportedArchitecture { path, .. } => {
            assert!(path.ends_with(file), "{error}")
        }
        other => panic!("expected an error naming {file}, got {other:?}"),
    }
    assert!(error.to_string().contains(file), "{error}");
}

#[test]
fn broken_folders_give_typed_errors_naming_the_file() {
    Runtime::init().unwrap();

    let dir = model_copy();
    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    let error = Embedder::load(dir.path()).unwrap_err();
    assert!(matches!(error, Error::InvalidModel { .. }), "{error}");
    assert_invalid_file(error, "tokenizer.json");

    let dir = model_copy();
    let weights = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::remove_file(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let error = Embedder::load(dir.path()).unwrap_err();
    assert!(matches!(error, Error::InvalidModel { .. }), "{error}");
    assert_invalid_file(error, "model.safetensors");

    let dir = model_copy();
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    assert_invalid_file(Embedder::load(dir.path()).unwrap_err(), "model.safetensors");

    // A config whose shapes disagree with the weights: the tensor is named.
    let dir = model_copy();
    let config_path = dir.path().join("config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["intermediate_size"] = 1024.into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    let error = Embedder::load(dir.path()).unwrap_err();
    assert!(error.to_string().contains("intermediate.dense"), "{error}");
    assert_invalid_file(error, "model.safetensors");

    let dir = model_copy();
    let config_path = dir.path().join("config.json");
    config["intermediate_size"] = 1536.into();
    config["model_type"] = "roberta".into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    let error = Embedder::load(dir.path()).unwrap_err();
    assert!(
        matches!(error, Error::UnsupportedArchitecture { .. }),
        "{error}"
    );
    assert_invalid_file(error, "config.json");

    let dir = model_copy();
    std::fs::write(
        dir.path().join("1_Pooling/config.json"),
        r#"{"pooling_mode_max_tokens": true, "pooling_mode_mean_tokens": false}"#,
    )
    .unwrap();
    let error = Embedder::load(dir.path()).unwrap_err();
    assert!(
        matches!(error, Error::UnsupportedArchitecture { .. }),
        "{error}"
    );
    assert_invalid_file(error, "1_Pooling/config.json");
}

#[test]
fn host_kernels_and_mlx_graph_give_the_same_vectors() {
    // Mixed lengths (padding and its mask), a text past the window (truncated), an empty one.
    let long = prose(7, 400);
    let texts = [
        "Where did I put the lease agreement?",
        long.as_str(),
        "",
        "Le chat dort sur le canapé.",
        "Ask about this file",
    ];
    let mut embedder = embedder().lock().unwrap();
    embedder.set_host_kernels(true);
    let host = embedder.embed(&texts).unwrap();
    embedder.set_host_kernels(false);
    let graph = embedder.embed(&texts).unwrap();
    // Back to what this machine chose, for the other tests sharing the embedder.
    let on_cpu = Runtime::init().unwrap().device() == ComputeDevice::Cpu;
    embedder.set_host_kernels(on_cpu);
    for (text, (a, b)) in texts.iter().zip(host.iter().zip(&graph)) {
        let worst = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 2e-6, "{text:?}: the two paths differ by {worst}");
    }
}

/// Throughput on document-sized chunks, with the softmax and GELU on the host and in MLX's
/// graph: run with
/// `cargo test -p ledge-llm --release --test it embed::throughput -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn throughput() {
    let chunks: Vec<String> = (0..256).map(|i| prose(i, 200)).collect();
    let chunks: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let mut embedder = embedder().lock().unwrap();
    for host in [true, false] {
        embedder.set_host_kernels(host);
        embedder.embed(&chunks[..32]).unwrap(); // warm-up
        // The anchor: the BLAS speed of this machine right now (shared machines are noisy).
        let probe = Runtime::init().unwrap().probe_matmul(1024, 3).unwrap();
        let started = Instant::now();
        let vectors = embedder.embed(&chunks).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(vectors.len(), 256);
        // Multiply-adds per token of all-MiniLM-L6-v2 at 256 tokens: QKV, output and
        // feed-forward products plus the attention scores and mix, in 6 layers.
        let (hidden, inner, tokens) = (384.0, 1536.0, 256.0);
        let per_token =
            6.0 * (4.0 * hidden * hidden + 2.0 * hidden * inner + 2.0 * tokens * hidden);
        let gflops = 2.0 * per_token * tokens * 256.0 / seconds / 1e9;
        eprintln!(
            "{}: embedded 256 chunks of ~200 words (batches of 32) in {seconds:.2} s: \
             {:.1} texts/s, {gflops:.1} GFLOP/s; 1024x1024 matmul probe just before: \
             {:.1} GFLOP/s",
            if host { "host kernels" } else { "MLX graph" },
            256.0 / seconds,
            probe.gflops()
        );
    }
    let on_cpu = Runtime::init().unwrap().device() == ComputeDevice::Cpu;
    embedder.set_host_kernels(on_cpu);
}
