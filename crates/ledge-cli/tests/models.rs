//! `ledge models import|list` and `ledge generate` as a person runs them: a temporary
//! `LEDGE_HOME`, the real SmolLM2 GGUF from `models/`, real MLX.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ledge_llm::generate::{CancelToken, GenerationParams, Generator};
use serde_json::Value;

fn repo_models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../models")
        .canonicalize()
        .unwrap()
}

fn smollm_gguf() -> PathBuf {
    let path = repo_models().join("smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        path.is_file(),
        "{} missing: run `scripts/setup.sh models`",
        path.display()
    );
    path
}

fn ledge(home: &Path, model_path: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ledge"));
    command
        .args(args)
        .env("LEDGE_HOME", home)
        .env_remove("LEDGE_MODEL")
        .env_remove("LEDGE_LOG");
    match model_path {
        Some(path) => command.env("LEDGE_MODEL_PATH", path),
        None => command.env_remove("LEDGE_MODEL_PATH"),
    };
    command.output().expect("run ledge")
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "ledge failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn import_list_and_generate_with_a_real_model() {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("home");

    let none = ledge(&home, None, &["generate", "Hello"]);
    assert!(!none.status.success());
    assert!(
        stderr(&none).contains("ledge models import"),
        "{}",
        stderr(&none)
    );

    let gguf = smollm_gguf();
    let imported = succeeded(&ledge(
        &home,
        None,
        &[
            "models",
            "import",
            gguf.to_str().unwrap(),
            "--name",
            "smollm2",
            "--dtype",
            "f32",
        ],
    ));
    let folder = home.join("models/smollm2");
    assert!(imported.contains(folder.to_str().unwrap()), "{imported}");
    for file in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }

    // The repository's models folder adds the GGUF files and the embedding model to the list;
    // only the imported folder is a language model ready to run.
    let listed: Value = serde_json::from_str(&succeeded(&ledge(
        &home,
        Some(&repo_models()),
        &["models", "list", "--json"],
    )))
    .unwrap();
    let entries = listed.as_array().unwrap();
    let smollm = entries.iter().find(|m| m["name"] == "smollm2").unwrap();
    assert_eq!(smollm["format"], "safetensors");
    assert_eq!(smollm["architecture"], "llama");
    assert!(smollm["problem"].is_null(), "{smollm}");
    let gguf_entry = entries
        .iter()
        .find(|m| m["format"] == "gguf" && m["path"] == gguf.to_str().unwrap())
        .unwrap();
    assert!(gguf_entry["problem"].as_str().unwrap().contains("import"));

    // Greedy generation from the command line prints what the library generates.
    let prompt = "The capital of France is";
    let printed = succeeded(&ledge(
        &home,
        Some(&repo_models()),
        &["generate", "--max-tokens", "12", "-q", prompt],
    ));
    let mut generator = Generator::load(&folder).unwrap();
    let ids = generator.tokenizer().encode(prompt, true).unwrap();
    let expected = generator
        .generate(
            &ids,
            &GenerationParams {
                max_tokens: 12,
                ..GenerationParams::default()
            },
            &CancelToken::new(),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(printed.trim_end_matches('\n'), expected.text);
    assert!(!expected.text.trim().is_empty());

    // A chat with a seed is repeatable, and the figures go to stderr.
    let chat = |seed: &str| {
        ledge(
            &home,
            None,
            &[
                "generate",
                "--model",
                "smollm2",
                "--chat",
                "--system",
                "Be brief.",
                "--temperature",
                "0.8",
                "--top-p",
                "0.9",
                "--seed",
                seed,
                "--max-tokens",
                "16",
                "Name a fruit.",
            ],
        )
    };
    let first = chat("5");
    let text = succeeded(&first);
    assert!(!text.trim().is_empty());
    assert_eq!(text, succeeded(&chat("5")));
    assert!(stderr(&first).contains("tok/s"), "{}", stderr(&first));

    // Bad settings are refused before any work.
    let bad = ledge(&home, None, &["generate", "--top-p", "2", "Hi"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("top-p"), "{}", stderr(&bad));
}

#[test]
fn a_broken_model_folder_is_refused_and_leaves_nothing_behind() {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("home");
    let gguf = smollm_gguf();
    succeeded(&ledge(
        &home,
        None,
        &["models", "import", gguf.to_str().unwrap(), "--name", "good"],
    ));
    let good = home.join("models/good");

    // A copy of a working folder imports under a new name.
    succeeded(&ledge(
        &home,
        None,
        &["models", "import", good.to_str().unwrap(), "--name", "copy"],
    ));
    assert!(home.join("models/copy/model.safetensors").is_file());

    // The same folder with its weights cut short is refused, naming the file in the source.
    let broken = temp.path().join("broken");
    fs::create_dir(&broken).unwrap();
    for entry in fs::read_dir(&good).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), broken.join(entry.file_name())).unwrap();
    }
    let weights = broken.join("model.safetensors");
    let length = fs::metadata(&weights).unwrap().len();
    fs::File::options()
        .write(true)
        .open(&weights)
        .unwrap()
        .set_len(length / 2)
        .unwrap();
    let refused = ledge(
        &home,
        None,
        &[
            "models",
            "import",
            broken.to_str().unwrap(),
            "--name",
            "broken",
        ],
    );
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(message.contains(weights.to_str().unwrap()), "{message}");

    // An unknown architecture is named too.
    let config = broken.join("config.json");
    let mut value: Value = serde_json::from_str(&fs::read_to_string(&config).unwrap()).unwrap();
    value["model_type"] = "mamba".into();
    fs::write(&config, value.to_string()).unwrap();
    let refused = ledge(
        &home,
        None,
        &[
            "models",
            "import",
            broken.to_str().unwrap(),
            "--name",
            "broken",
        ],
    );
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("mamba"), "{}", stderr(&refused));

    // Nothing half-written stays in the models folder, and an existing name is kept.
    let mut names: Vec<String> = fs::read_dir(home.join("models"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["copy", "good"]);
    let again = ledge(
        &home,
        None,
        &["models", "import", good.to_str().unwrap(), "--name", "copy"],
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already installed"),
        "{}",
        stderr(&again)
    );
}

/// Every number in `value`, with its path.
fn numbers(value: &Value, path: &str, out: &mut Vec<(String, f64)>) {
    match value {
        Value::Number(n) => out.push((path.to_owned(), n.as_f64().unwrap())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                numbers(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                numbers(item, &format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn bench_measures_ledge_and_mlx_lm_on_the_same_model() {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("home");
    let gguf = smollm_gguf();
    succeeded(&ledge(
        &home,
        None,
        &[
            "models",
            "import",
            gguf.to_str().unwrap(),
            "--name",
            "smollm2",
            "--dtype",
            "f32",
        ],
    ));
    let embedder = repo_models().join("all-MiniLM-L6-v2");
    let output = succeeded(&ledge(
        &home,
        None,
        &[
            "bench",
            "--quick",
            "--json",
            "--texts",
            "8",
            "--embedder",
            embedder.to_str().unwrap(),
        ],
    ));
    let report: Value = serde_json::from_str(&output).unwrap();

    // Both sides ran the same prompt lengths and decode length.
    let (ledge_side, mlx) = (&report["ledge"], &report["mlx_lm"]);
    assert!(mlx.get("skipped").is_none(), "mlx-lm did not run: {mlx}");
    for side in [ledge_side, mlx] {
        for field in ["load_seconds", "peak_rss_mib"] {
            assert!(side[field].is_number(), "{field} missing: {side}");
        }
        let prefill = side["prefill"].as_array().unwrap();
        assert_eq!(prefill.len(), 1, "{side}");
        assert_eq!(prefill[0]["prompt_tokens"], 128);
        assert!(prefill[0]["time_to_first_token_ms"].is_number());
        assert_eq!(side["decode"]["tokens"], 16);
        assert!(side["decode"]["tokens_per_second"].is_number());
        assert!(!side["blas"].as_str().unwrap().is_empty());
    }
    assert!(
        ledge_side["blas"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("openblas"),
        "{ledge_side}"
    );
    let embedding = &report["embedding"]["ledge"];
    assert_eq!(embedding["texts"], 8);
    assert_eq!(embedding["tokens_per_text"], 256);
    assert!(embedding["texts_per_second"].is_number());
    // The same texts through MLX's own element-wise kernels (on the CPU, where the host
    // kernels are the default), and the compute bound's parts: all-MiniLM-L6-v2's products at
    // 256 tokens are 6.04 GFLOP (6 layers of 2·256·(4·384² + 2·384·1536 + 2·256·384)).
    assert!(embedding["graph_texts_per_second"].as_f64().unwrap() > 0.0);
    let flops = embedding["flops_per_text"].as_f64().unwrap();
    assert!((flops / 6.04e9 - 1.0).abs() < 0.01, "{flops}");
    assert!(embedding["matmul_gflops"].as_f64().unwrap() > 0.0);
    // The independent anchor embedded the same texts (ONNX Runtime on the int8 export of the
    // same model) and its vectors agree with Ledge's: the bench refuses an anchor below 0.98.
    let onnx = &report["embedding"]["anchor"];
    assert!(
        onnx.get("skipped").is_none(),
        "ONNX Runtime did not run: {onnx}"
    );
    assert!(
        onnx["runtime"]
            .as_str()
            .unwrap()
            .starts_with("onnxruntime "),
        "{onnx}"
    );
    assert_eq!(onnx["tokens_per_text"], 256);
    assert!(onnx["texts_per_second"].as_f64().unwrap() > 0.0);
    let cosine = onnx["lowest_cosine"].as_f64().unwrap();
    assert!((0.98..=1.0001).contains(&cosine), "{cosine}");

    // Every figure is a positive number.
    let mut found = Vec::new();
    numbers(&report, "", &mut found);
    assert!(found.len() >= 20, "{found:?}");
    for (path, number) in &found {
        assert!(*number > 0.0, "{path} is {number}");
    }

    // The table names both sides and the ratio.
    let table = succeeded(&ledge(
        &home,
        None,
        &[
            "bench",
            "--quick",
            "--no-reference",
            "--texts",
            "1",
            "--embedder",
            embedder.to_str().unwrap(),
        ],
    ));
    assert!(table.contains("decode, 16 tokens"), "{table}");
    assert!(table.contains("mlx-lm: left out"), "{table}");
    assert!(table.contains("anchor (ONNX Runtime): left out"), "{table}");
}
