//! GGUF import: the folder it writes is checked by mlx-lm, the reference MLX implementation.
//! mlx-lm must load it strictly (every weight present, every shape right) and the model must
//! still complete simple facts. That fails if a tensor was mapped, un-permuted or shifted
//! wrongly: with Gemma's norm weights left as llama.cpp stores them, the same prompts give
//! `~`, `!` and `denominated`.

use std::path::Path;
use std::process::Command;

use ledge_llm::Error;
use ledge_llm::import::{ImportOptions, WeightDtype, import_gguf};
use serde_json::Value;

use crate::support::{model, repo};

/// Each prompt is vocabulary pieces separated by spaces; returns mlx-lm's JSON answer.
fn mlx_lm_next_tokens(folder: &Path, gguf: &Path, prompts: &[&str]) -> Value {
    let python = repo().join(".deps/venv-ref/bin/python");
    assert!(
        python.is_file(),
        "reference Python missing: run `scripts/setup.sh reference`"
    );
    let output = Command::new(python)
        .arg(repo().join("tests/reference/mlx_lm_next_token.py"))
        .arg(folder)
        .arg(gguf)
        .args(prompts)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "mlx-lm failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn imported_smollm_is_loaded_by_mlx_lm_and_knows_paris() {
    let gguf = model("smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
    let models = tempfile::tempdir().unwrap();
    let mut reports = 0;
    let folder = import_gguf(&gguf, models.path(), &ImportOptions::default(), |_| {
        reports += 1
    })
    .unwrap();
    assert_eq!(folder, models.path().join("SmolLM2-135M-Instruct.Q4_1"));
    assert_eq!(reports, 272, "one progress report per tensor");

    let config = read_json(&folder.join("config.json"));
    assert_eq!(config["model_type"], "llama");
    assert_eq!(config["num_hidden_layers"], 30);
    assert_eq!(config["num_key_value_heads"], 3);
    assert_eq!(config["vocab_size"], 49_152);
    assert_eq!(config["torch_dtype"], "bfloat16");
    assert_eq!(
        read_json(&folder.join("ledge-import.json"))["source_format"],
        "gguf"
    );

    let answer = mlx_lm_next_tokens(
        &folder,
        &gguf,
        &[
            "The Ġcapital Ġof ĠFrance Ġis",
            "one , Ġtwo , Ġthree , Ġfour ,",
        ],
    );
    assert_eq!(answer["answers"][0]["top5"][0], "ĠParis", "{answer}");
    assert_eq!(answer["answers"][1]["top5"][0], "Ġfive", "{answer}");
    // SmolLM2-135M has 134.5M parameters (embeddings tied).
    assert_eq!(answer["parameters"], 134_515_008);
}

#[test]
fn imported_gemma_is_loaded_by_mlx_lm_and_knows_paris() {
    let gguf = model("gemma-3-270m/gemma-3-270m-q4_k_m.gguf");
    let models = tempfile::tempdir().unwrap();
    let options = ImportOptions {
        dtype: WeightDtype::F16,
        name: Some("gemma".to_owned()),
    };
    let folder = import_gguf(&gguf, models.path(), &options, |_| {}).unwrap();

    let config = read_json(&folder.join("config.json"));
    assert_eq!(config["model_type"], "gemma3_text");
    assert_eq!(config["head_dim"], 256);
    assert_eq!(config["sliding_window"], 512);
    assert_eq!(config["rope_theta"], 1_000_000.0);

    assert_eq!(config["torch_dtype"], "float16");

    let answer = mlx_lm_next_tokens(
        &folder,
        &gguf,
        &[
            "The ▁capital ▁of ▁France ▁is ▁the ▁city ▁of",
            "Paris ▁is ▁the ▁capital ▁of",
            "one , ▁two , ▁three , ▁four ,",
        ],
    );
    let firsts: Vec<&str> = (0..3)
        .map(|i| answer["answers"][i]["top5"][0].as_str().unwrap())
        .collect();
    assert_eq!(firsts, ["▁Paris", "▁France", "▁five"], "{answer}");
}

#[test]
fn a_failed_import_leaves_nothing_behind_and_an_existing_model_is_kept() {
    let models = tempfile::tempdir().unwrap();
    // Truncated: refused before anything is written.
    let source = std::fs::read(model(
        "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
    ))
    .unwrap();
    let truncated = models.path().join("half.gguf");
    std::fs::write(&truncated, &source[..source.len() / 3]).unwrap();
    let target = models.path().join("installed");
    let error = import_gguf(&truncated, &target, &ImportOptions::default(), |_| {}).unwrap_err();
    assert!(matches!(error, Error::InvalidModel { .. }), "{error}");
    assert!(
        !target.exists(),
        "nothing may be created for a file that cannot be imported"
    );

    // A name that is taken: refused, the existing folder untouched, no partial folder left.
    std::fs::create_dir_all(target.join("SmolLM2")).unwrap();
    std::fs::write(target.join("SmolLM2/keep.txt"), "mine").unwrap();
    let options = ImportOptions {
        name: Some("SmolLM2".to_owned()),
        ..ImportOptions::default()
    };
    let gguf = model("smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
    let error = import_gguf(&gguf, &target, &options, |_| {}).unwrap_err();
    assert!(matches!(error, Error::ModelExists { .. }), "{error}");
    assert_eq!(
        std::fs::read_to_string(target.join("SmolLM2/keep.txt")).unwrap(),
        "mine"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("SmolLM2")]);
}
