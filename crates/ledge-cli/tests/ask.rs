//! `ledge ask`, `ledge chat` and `ledge serve` as a person runs them: the real binary, a
//! temporary `LEDGE_HOME` with the real test models imported, Debian's licence texts indexed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use support::{command, ledge, ok, serve, setup};

#[test]
fn index_then_ask_answers_with_sources_and_follow_ups_continue() {
    let (_temp, home, docs) = setup();
    let listed: Value =
        serde_json::from_slice(&ok(ledge(&home, &["models", "list", "--json"])).stdout).unwrap();
    let roles: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [("all-MiniLM-L6-v2", "embedding"), ("smollm2", "chat")]
    );

    // Indexing embeds the passages because an embedding model is installed.
    let added = ok(ledge(&home, &["index", "add", docs.to_str().unwrap()]));
    let stderr = String::from_utf8_lossy(&added.stderr);
    assert!(
        stderr.contains("passages embedded with all-MiniLM-L6-v2"),
        "{stderr}"
    );

    let asked = ok(ledge(
        &home,
        &[
            "ask",
            "--json",
            "--max-tokens",
            "24",
            "When do patent licenses terminate under the Apache License?",
        ],
    ));
    let answer: Value = serde_json::from_slice(&asked.stdout).unwrap();
    assert_eq!(answer["grounded"], true);
    assert_eq!(answer["model"], "smollm2");
    let sources = answer["sources"].as_array().unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("Apache-2.0.txt"))
    );
    // The extractive answer and each sentence's check are in the JSON too.
    let quotes = answer["quotes"].as_array().unwrap();
    assert!(!quotes.is_empty(), "{answer}");
    assert!(
        quotes[0]["text"].as_str().unwrap().contains("terminate"),
        "{answer}"
    );
    assert!(quotes[0]["line"].as_u64().unwrap() >= 1);
    let sentences = answer["sentences"].as_array().unwrap();
    for sentence in sentences {
        let support = sentence["support"].as_str().unwrap();
        assert!(
            ["supported", "unsupported", "no_claim"].contains(&support),
            "{sentence}"
        );
    }
    assert_eq!(
        answer["support"]["supported"].as_u64().unwrap()
            + answer["support"]["unsupported"].as_u64().unwrap()
            + answer["support"]["no_claim"].as_u64().unwrap(),
        sentences.len() as u64
    );
    let conversation = answer["conversation"].as_i64().unwrap().to_string();

    // Plain output streams the text and lists the sources with their lines.
    let follow_up = ok(ledge(
        &home,
        &[
            "ask",
            "--conversation",
            &conversation,
            "--max-tokens",
            "16",
            "What about the BSD licence?",
        ],
    ));
    let printed = String::from_utf8_lossy(&follow_up.stdout);
    assert!(printed.contains("\nSources:\n"), "{printed}");
    // The model's answer is announced after the quotes (when there are any).
    let answer_at = printed
        .find("Answer (smollm2):")
        .expect("the answer's heading");
    if let Some(quotes_at) = printed.find("From your files:") {
        assert!(quotes_at < answer_at, "{printed}");
    }
    assert!(printed.contains("BSD.txt (lines "), "{printed}");
    let stderr = String::from_utf8_lossy(&follow_up.stderr);
    assert!(
        stderr.contains(&format!("conversation {conversation}")),
        "{stderr}"
    );

    // Nothing in the files: said plainly, exit code 2.
    let nothing = ledge(&home, &["ask", "quokka xylophone zeppelin recipe"]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nothing.stdout).contains("could not find anything"));

    // `ledge chat` reads one question per line and keeps them in one conversation.
    let mut chat = command(&home, &["chat", "--max-tokens", "8"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    chat.stdin
        .take()
        .unwrap()
        .write_all(b"What is a Larger Work?\nAnd who may create one?\n")
        .unwrap();
    let chatted = ok(chat.wait_with_output().unwrap());
    let printed = String::from_utf8_lossy(&chatted.stdout);
    assert_eq!(printed.matches("\nSources:\n").count(), 2, "{printed}");
    assert!(String::from_utf8_lossy(&chatted.stderr).contains("conversation"));

    // The default model is a setting; an unknown name is refused with the installed ones.
    ok(ledge(&home, &["models", "default", "smollm2"]));
    let shown = ok(ledge(&home, &["models", "default"]));
    assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), "smollm2");
    let refused = ledge(&home, &["models", "default", "gpt-5"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("smollm2"));
}

#[test]
fn ask_needs_no_network_at_all() {
    // A network namespace with no interfaces but a down loopback: Ledge must not care.
    let probe = Command::new("unshare").args(["-n", "true"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot create a network namespace here (unshare -n needs privileges)");
        return;
    }
    let (_temp, home, docs) = setup();
    let isolated = |args: &[&str]| {
        let mut all = vec!["-n", env!("CARGO_BIN_EXE_ledge")];
        all.extend_from_slice(args);
        Command::new("unshare")
            .args(&all)
            .env("LEDGE_HOME", &home)
            .env_remove("LEDGE_MODEL_PATH")
            .env_remove("LEDGE_LOG")
            .output()
            .unwrap()
    };
    ok(isolated(&["index", "add", docs.to_str().unwrap()]));
    let asked = ok(isolated(&[
        "ask",
        "--json",
        "--max-tokens",
        "8",
        "What is a Larger Work?",
    ]));
    let answer: Value = serde_json::from_slice(&asked.stdout).unwrap();
    assert_eq!(answer["grounded"], true);
}

#[test]
fn serve_listens_on_loopback_only() {
    let (_temp, home, _docs) = setup();
    let refused = ledge(&home, &["serve", "--host", "0.0.0.0", "--no-vectors"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback"));

    let (mut server, first) = serve(&home, &["--port", "0", "--no-vectors"]);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(first.starts_with("http://127.0.0.1:"), "{first}");
    // The token file was made private.
    let token = home.join("api-token");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(token).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
