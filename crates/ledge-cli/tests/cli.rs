//! The `ledge` binary as a person or a script runs it: a temporary `LEDGE_HOME`, the real
//! models that `scripts/setup.sh` installed, real MLX.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn ledge(home: &Path, args: &[&str]) -> Output {
    ledge_command(home, args).output().expect("run ledge")
}

fn ledge_command(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ledge"));
    command
        .args(args)
        .env("LEDGE_HOME", home)
        .env("LEDGE_MODEL_PATH", repo_models())
        .env_remove("LEDGE_LOG");
    command
}

fn repo_models() -> PathBuf {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    assert!(
        models.join("gemma-3-270m").is_dir(),
        "test models missing: run `scripts/setup.sh models` (make test does)"
    );
    models.canonicalize().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn help_names_the_commands() {
    let home = tempfile::tempdir().unwrap();
    let output = ledge(home.path(), &["--help"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("private assistant"), "{text}");
    assert!(text.contains("doctor"), "{text}");
    assert!(text.contains("LEDGE_HOME"), "{text}");
}

#[test]
fn doctor_reports_device_blas_data_folder_and_models() {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("fresh-home");
    let output = ledge(&home, &["doctor", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();

    assert_eq!(report["problems"], Value::Array(vec![]));
    let data_dir = &report["data_dir"];
    assert_eq!(
        data_dir["path"],
        home.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(data_dir["source"], "LEDGE_HOME");
    assert_eq!(data_dir["created_now"], true);
    assert_eq!(data_dir["private"], true);
    assert_eq!(data_dir["mode"], "0700");

    let mlx = &report["mlx"];
    assert_eq!(mlx["version"], "0.32.2");
    assert_eq!(mlx["device"], "cpu");
    assert_eq!(mlx["blas"], "OpenBLAS");
    assert_eq!(mlx["blas_optimized"], true);
    assert!(mlx["matmul_gflops"].as_f64().unwrap() > 0.0);

    let models = report["models"].as_array().unwrap();
    let find = |name: &str| {
        models
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {models:?}"))
    };
    let gemma = find("gemma-3-270m-q4_k_m.gguf");
    assert_eq!(gemma["format"], "gguf");
    assert_eq!(gemma["bytes"], 253_113_024);
    assert_eq!(gemma["problem"], Value::Null);
    assert_eq!(find("SmolLM2-135M-Instruct.Q4_1.gguf")["bytes"], 98_362_432);
    assert_eq!(find("all-MiniLM-L6-v2")["format"], "safetensors");

    // A second run finds the folder it created and leaves it as it is.
    let again: Value = serde_json::from_str(&stdout(&ledge(&home, &["doctor", "--json"]))).unwrap();
    assert_eq!(again["data_dir"]["created_now"], false);
}

#[test]
fn doctor_prints_a_readable_report() {
    let home = tempfile::tempdir().unwrap();
    let output = ledge(home.path(), &["doctor"]);
    assert!(output.status.success());
    let text = stdout(&output);
    for expected in [
        "MLX          0.32.2 on cpu",
        "BLAS         OpenBLAS",
        "gemma-3-270m-q4_k_m.gguf",
        "Ledge can run here.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn doctor_fails_clearly_and_touches_nothing_when_the_data_folder_is_a_file() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("notes.txt");
    std::fs::write(&file, "the user's notes").unwrap();
    let output = ledge(&file, &["doctor", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let problems = report["problems"].to_string();
    assert!(problems.contains("is not a folder"), "{problems}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "the user's notes");
}

/// The BLAS check reads the dynamic linker, so it must notice when the slow reference BLAS
/// bundled in the MLX wheel wins the symbol lookup (here forced with LD_PRELOAD).
#[cfg(target_os = "linux")]
#[test]
fn doctor_notices_when_the_slow_reference_blas_serves_mlx() {
    let wheel_libs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.deps/mlx-cpu/mlx_cpu.libs");
    let reference = std::fs::read_dir(&wheel_libs)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("libblas")
        })
        .expect("the MLX wheel bundles a reference libblas");
    let home = tempfile::tempdir().unwrap();
    let output = ledge_command(home.path(), &["doctor", "--json"])
        .env("LD_PRELOAD", &reference)
        .output()
        .unwrap();
    // Slow is a warning, not a failure: Ledge still works.
    assert!(output.status.success());
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["mlx"]["blas"], "reference BLAS");
    assert_eq!(report["mlx"]["blas_optimized"], false);
    assert!(
        report["warnings"].to_string().contains("30x slower"),
        "{}",
        report["warnings"]
    );
}

#[test]
fn backends_are_added_listed_made_default_and_removed_with_clear_refusals() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = ledge(home.path(), args);
        let text = format!(
            "{}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    };
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");

    let (ok, text) = run(&["backends", "add", "box", &address]);
    assert!(!ok, "a server that does not answer is not added: {text}");
    assert!(text.contains("--no-check"), "{text}");
    let (ok, text) = run(&["backends", "add", "far", "8.8.8.8:8080", "--no-check"]);
    assert!(!ok && text.contains("public"), "{text}");
    let (ok, text) = run(&[
        "backends",
        "add",
        "box",
        &address,
        "--no-check",
        "--fallback",
        "--default",
    ]);
    assert!(ok && text.contains("the default"), "{text}");

    let output = ledge(
        home.path(),
        &["backends", "list", "--json", "--no-discover"],
    );
    assert!(output.status.success());
    let list: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let backends = list["backends"].as_array().unwrap();
    assert_eq!(backends.len(), 2, "{list}");
    assert_eq!(backends[0]["name"], "local");
    assert_eq!(backends[0]["default"], false);
    assert_eq!(backends[1]["name"], "box");
    assert_eq!(backends[1]["default"], true);
    assert_eq!(backends[1]["fallback_local"], true);
    assert_eq!(backends[1]["placement"], "this machine");

    let (ok, text) = run(&["backends", "test", "box"]);
    assert!(
        !ok && text.contains("FAIL box") && text.contains("cannot reach"),
        "{text}"
    );
    let (ok, text) = run(&["backends", "default", "nowhere"]);
    assert!(!ok && text.contains("no backend `nowhere`"), "{text}");
    let (ok, text) = run(&["backends", "remove", "box"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["backends", "default"]);
    assert!(
        ok && text.trim() == "local",
        "the default goes back to the built-in model: {text}"
    );
}
