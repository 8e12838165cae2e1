//! Ledge's MCP tools driven by the official MCP Python SDK (`mcp` on PyPI), over both
//! transports a person wires up: `ledge mcp` on stdio, launched by the SDK as a desktop client
//! launches it, and `/mcp` inside `ledge serve`. The real binary, real models, Debian's
//! licence texts indexed; what the client receives is checked against the files themselves.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{command, ok, repo, serve, setup};

const QUESTION: &str = "When do the patent licenses terminate under the Apache License?";
const QUERY: &str = "patent litigation";

/// The licence home of `support::setup`, its folder indexed and embedded.
fn indexed() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (temp, home, docs) = setup();
    ok(command(&home, &["index", "add", docs.to_str().unwrap()])
        .output()
        .unwrap());
    (temp, home, docs.canonicalize().unwrap())
}

/// Runs the SDK client script and returns what it saw.
fn client(args: &[&str]) -> Value {
    let python = repo().join(".deps/venv-ref/bin/python");
    assert!(
        python.is_file(),
        "reference Python missing: run `scripts/setup.sh reference`"
    );
    let output = Command::new(python)
        .arg(repo().join("tests/reference/mcp_client.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the MCP client failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// What both transports must show.
fn check_session(seen: &Value, docs: &Path) {
    let apache = docs.join("Apache-2.0.txt");
    assert_eq!(seen["server_name"], "ledge");
    assert_eq!(
        seen["tools"],
        serde_json::json!(["ask", "list_folders", "read", "search"])
    );
    assert_eq!(
        seen["schemas"]["search"]["required"],
        serde_json::json!(["query"])
    );
    assert!(seen["instructions"].as_str().unwrap().contains("smollm2"));

    // list_folders: the one folder, its three files, every passage embedded.
    let folders = &seen["folders"];
    assert_eq!(folders["is_error"], false);
    let folder = &folders["structured"]["folders"][0];
    assert_eq!(folder["path"], docs.to_str().unwrap());
    assert_eq!(folder["files_indexed"], 3);
    let passages = folder["chunks"].as_u64().unwrap();
    assert_eq!(folders["structured"]["embedded"]["passages"], passages);
    assert_eq!(folders["structured"]["embedded"]["current"], passages);
    assert!(folders["text"].as_str().unwrap().contains("3 files"));

    // search: ranked passages, Apache's grant of patent licence first, each one the file's
    // own bytes at the place it names.
    let search = &seen["search"];
    assert_eq!(search["is_error"], false);
    let found = search["structured"]["passages"].as_array().unwrap();
    assert_eq!(found.len(), 3);
    for passage in found {
        let chunk = &passage["chunk"];
        let bytes = std::fs::read(chunk["path"].as_str().unwrap()).unwrap();
        let range = chunk["byte_start"].as_u64().unwrap() as usize
            ..chunk["byte_end"].as_u64().unwrap() as usize;
        assert_eq!(
            String::from_utf8_lossy(&bytes[range]),
            chunk["text"].as_str().unwrap()
        );
    }
    assert_eq!(found[0]["chunk"]["path"], apache.to_str().unwrap());
    assert!(
        search["text"]
            .as_str()
            .unwrap()
            .contains("Grant of Patent License")
    );

    // read: lines 1-5 are the file's own lines 1-5.
    let read = &seen["read"];
    assert_eq!(read["is_error"], false);
    let file = std::fs::read_to_string(&apache).unwrap();
    let want: Vec<&str> = file.lines().take(5).map(str::trim_end).collect();
    let got: Vec<&str> = read["structured"]["text"]
        .as_str()
        .unwrap()
        .split('\n')
        .map(str::trim_end)
        .collect();
    assert_eq!(got, want);
    assert!(read["text"].as_str().unwrap().contains("lines 1-5 of 202"));

    // ask: the extractive answer quotes Apache's termination clause with its line, the
    // model's sentences are each cited, matched or marked, and progress was reported.
    let ask = &seen["ask"];
    assert_eq!(ask["is_error"], false, "{}", ask["text"]);
    let answer = &ask["structured"];
    let quote = &answer["quotes"][0];
    assert!(
        quote["text"]
            .as_str()
            .unwrap()
            .contains("shall terminate as of the date such litigation is filed"),
        "{quote}"
    );
    let line = quote["line"].as_u64().unwrap() as usize;
    assert!(
        file.lines()
            .nth(line - 1)
            .unwrap()
            .trim_end()
            .ends_with("If You")
    );
    let text = ask["text"].as_str().unwrap();
    assert!(text.starts_with("From your files:\n"), "{text}");
    assert!(
        text.contains(&format!("Apache-2.0.txt, line {line}")),
        "{text}"
    );
    assert!(text.contains("\nSources:\n"), "{text}");
    for sentence in answer["sentences"].as_array().unwrap() {
        if sentence["support"] == "unsupported" {
            assert!(text.contains("[⚠ unverified]"), "{text}");
        }
    }
    let progress = seen["ask_progress"].as_array().unwrap();
    assert_eq!(progress.len(), 3, "{progress:?}");
    assert_eq!(progress[2]["step"], 3.0);

    // A follow-up continues the conversation the first answer gave.
    assert_eq!(seen["follow_up"]["is_error"], false);
    assert_eq!(
        seen["follow_up"]["structured"]["conversation"],
        answer["conversation"]
    );

    // Bad input: refused with a message that says why; nothing outside the index is read.
    let bad = &seen["bad"];
    for (case, says) in [
        ("unknown_tool", "not found"),
        ("wrong_type", "three"),
        ("missing_argument", "question"),
        ("huge_question", "4000"),
        ("limit_out_of_range", "between 1 and 50"),
        ("not_indexed", "not in Ledge's index"),
        ("not_indexed_in_ask", "Not in Ledge's index"),
        ("line_past_end", "past its end"),
    ] {
        assert_eq!(bad[case]["refused"], true, "{case}: {}", bad[case]);
        let message = bad[case]["message"].as_str().unwrap();
        assert!(message.contains(says), "{case}: {message}");
        assert!(!message.contains("root:x:0:0"), "{case} leaked /etc/passwd");
    }
}

#[test]
fn an_mcp_client_over_stdio_searches_reads_and_gets_cited_answers() {
    let (_temp, home, docs) = indexed();
    let seen = client(&[
        "stdio",
        env!("CARGO_BIN_EXE_ledge"),
        home.to_str().unwrap(),
        QUESTION,
        QUERY,
        docs.join("Apache-2.0.txt").to_str().unwrap(),
    ]);
    check_session(&seen, &docs);
}

#[test]
fn an_mcp_client_over_http_needs_the_token_and_survives_a_client_leaving_mid_answer() {
    let (_temp, home, docs) = indexed();
    let (mut server, first) = serve(&home, &["--port", "0"]);
    let url = format!("{}/mcp", first.trim().trim_end_matches("/v1"));
    let token = std::fs::read_to_string(home.join("api-token")).unwrap();
    let seen = client(&[
        "http",
        &url,
        token.trim(),
        QUESTION,
        QUERY,
        docs.join("Apache-2.0.txt").to_str().unwrap(),
    ]);
    server.kill().unwrap();
    server.wait().unwrap();
    check_session(&seen, &docs);
    for case in ["wrong_token", "no_token"] {
        let outcome = seen[case].as_str().unwrap();
        assert!(outcome.starts_with("refused"), "{case}: {outcome}");
    }
    assert_eq!(seen["raw_wrong_token_status"], 401);
    assert_eq!(seen["raw_origin_status"], 403);
    assert_eq!(seen["disconnect"], "left mid-answer");
    assert_eq!(seen["after_disconnect"]["is_error"], false);
}
