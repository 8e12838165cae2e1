//! What the `ledge` tests share: the real binary run in a temporary `LEDGE_HOME`, and a home
//! with the real test models imported beside a folder of Debian's licence texts.

#![allow(dead_code)] // each test crate uses its own part of it

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `ledge ARGS` with `home` as its data folder and none of the person's own settings.
pub fn command(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ledge"));
    command
        .args(args)
        .env("LEDGE_HOME", home)
        .env_remove("LEDGE_LOG")
        .env_remove("LEDGE_MODEL")
        .env_remove("LEDGE_MODEL_PATH");
    command
}

pub fn ledge(home: &Path, args: &[&str]) -> Output {
    command(home, args).output().expect("run ledge")
}

/// `output`, after checking the command succeeded (else everything it printed is shown).
pub fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A home with SmolLM2 and all-MiniLM-L6-v2 imported, and a folder (not yet indexed) of
/// three licence texts named `Apache-2.0.txt`, `BSD.txt`, `MPL-2.0.txt`: the temporary
/// folder, the home, the documents.
pub fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("home");
    let docs = temp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    for name in ["Apache-2.0", "BSD", "MPL-2.0"] {
        std::fs::copy(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/common-licenses"
            ))
            .join(name),
            docs.join(format!("{name}.txt")),
        )
        .unwrap();
    }
    let gguf = repo().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
    let embedder = repo().join("models/all-MiniLM-L6-v2");
    ok(ledge(
        &home,
        &[
            "models",
            "import",
            gguf.to_str().unwrap(),
            "--name",
            "smollm2",
        ],
    ));
    ok(ledge(
        &home,
        &["models", "import", embedder.to_str().unwrap()],
    ));
    (temp, home, docs)
}

/// `ledge serve ARGS` started in `home`, with the first line it prints (its address).
pub fn serve(home: &Path, args: &[&str]) -> (Child, String) {
    let mut server = command(home, &[&["serve"], args].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    (server, first)
}
