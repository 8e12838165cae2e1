//! GGUF reading, checked against the Python `gguf` package (llama.cpp's own reader) on the
//! real test models: every tensor, every storage type, bit for bit.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use ledge_llm::Error;
use ledge_llm::gguf::GgufFile;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{model, repo};

/// Starts the reference dequantization in the background; `reference_digests` collects it.
fn start_reference(path: &Path) -> Child {
    let python = repo().join(".deps/venv-ref/bin/python");
    assert!(
        python.is_file(),
        "reference Python missing: run `scripts/setup.sh reference`"
    );
    Command::new(python)
        .arg(repo().join("tests/reference/gguf_digest.py"))
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn reference_digests(child: Child) -> BTreeMap<String, Value> {
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn check_every_tensor_matches_the_reference(relative: &str) -> BTreeMap<String, usize> {
    let path = model(relative);
    let reference = start_reference(&path);

    let mut file = GgufFile::open(&path).unwrap();
    let mut ours = BTreeMap::new();
    for info in file.tensors() {
        let tensor = file.dequantize(&info.name).unwrap();
        assert_eq!(tensor.shape, info.shape, "{}", info.name);
        // f32 values as little-endian bytes, as the reference hashes them.
        const { assert!(cfg!(target_endian = "little")) };
        let digest: String = Sha256::digest(bytemuck::cast_slice::<f32, u8>(&tensor.data))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        ours.insert(info.name.clone(), (info, digest));
    }

    let reference = reference_digests(reference);
    assert_eq!(ours.len(), reference.len());
    let mut per_type = BTreeMap::new();
    for (name, (info, digest)) in ours {
        let expected = &reference[&name];
        assert_eq!(expected["type"], info.dtype.as_str(), "{name}");
        let shape: Vec<usize> = expected["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(info.shape, shape, "{name}");
        assert_eq!(
            digest,
            expected["sha256"].as_str().unwrap(),
            "{name} ({}) differs",
            info.dtype
        );
        *per_type.entry(info.dtype).or_insert(0) += 1;
    }
    per_type
}

#[test]
fn gemma_tensors_dequantize_exactly_as_the_reference() {
    let per_type =
        check_every_tensor_matches_the_reference("gemma-3-270m/gemma-3-270m-q4_k_m.gguf");
    // All five storage types of the file were exercised.
    let expected: BTreeMap<String, usize> = [
        ("F32", 109),
        ("Q4_K", 27),
        ("Q5_0", 81),
        ("Q6_K", 9),
        ("Q8_0", 10),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .into();
    assert_eq!(per_type, expected);
}

#[test]
fn smollm_tensors_dequantize_exactly_as_the_reference() {
    let per_type = check_every_tensor_matches_the_reference(
        "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
    );
    let expected: BTreeMap<String, usize> = [("F32", 61), ("Q4_1", 210), ("Q8_0", 1)]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
    assert_eq!(per_type, expected);
}

#[test]
fn reads_typed_metadata() {
    let file = GgufFile::open(&model("gemma-3-270m/gemma-3-270m-q4_k_m.gguf")).unwrap();
    assert_eq!(file.architecture().unwrap(), "gemma3");
    assert_eq!(file.integer("gemma3.block_count").unwrap(), 18);
    assert_eq!(
        file.integer("gemma3.attention.sliding_window").unwrap(),
        512
    );
    assert_eq!(file.float("gemma3.rope.freq_base").unwrap(), 1e6);
    assert_eq!(file.string("tokenizer.ggml.model").unwrap(), "llama");
    assert!(file.boolean("tokenizer.ggml.add_bos_token").unwrap());
    assert_eq!(
        file.strings("tokenizer.ggml.tokens").unwrap().len(),
        262_144
    );
    assert_eq!(file.floats("tokenizer.ggml.scores").unwrap().len(), 262_144);
    assert!(matches!(
        file.string("gemma3.block_count"),
        Err(Error::InvalidModel { .. })
    ));
    assert!(matches!(
        file.integer("no.such.key"),
        Err(Error::InvalidModel { .. })
    ));
}

#[test]
fn a_truncated_download_is_refused_by_name_before_any_work() {
    let source = std::fs::read(model(
        "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
    ))
    .unwrap();
    let temp = tempfile::tempdir().unwrap();
    let truncated = temp.path().join("SmolLM2.gguf");
    std::fs::write(&truncated, &source[..source.len() / 2]).unwrap();
    let error = GgufFile::open(&truncated).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::InvalidModel { .. }));
    assert!(
        message.contains("SmolLM2.gguf") && message.contains("truncated: tensor "),
        "{message}"
    );
}

#[test]
fn a_file_that_is_not_gguf_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let fake = temp.path().join("model.gguf");
    std::fs::write(&fake, b"<html>404 Not Found</html>").unwrap();
    let message = GgufFile::open(&fake).unwrap_err().to_string();
    assert!(
        message.contains("model.gguf") && message.contains("not a readable GGUF file"),
        "{message}"
    );
    let missing = GgufFile::open(&temp.path().join("absent.gguf")).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
}
