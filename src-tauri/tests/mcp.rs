//! `ledge-app --mcp`: the app's own binary serves Ledge's MCP tools on stdio, as the
//! configuration Settings shows tells an MCP client to launch it. No window, no display, no
//! hand-over to a running app. (The tools themselves are tested with the official MCP Python
//! SDK in `crates/ledge-cli/tests/mcp.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[test]
fn the_app_binary_with_mcp_serves_the_tools_on_stdio_and_exits_when_the_client_leaves() {
    let temp = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_ledge-app"))
        .arg("--mcp")
        .env("LEDGE_HOME", temp.path().join("home"))
        // No display: the MCP mode must not need one.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = server.stdin.take().unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut send = move |message: Value| {
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    };
    let mut receive = || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str::<Value>(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    };

    send(json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}
        }
    }));
    let initialized = receive();
    assert_eq!(initialized["id"], 1, "{initialized}");
    assert_eq!(initialized["result"]["serverInfo"]["name"], "ledge");
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let listed = receive();
    let mut tools: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    tools.sort_unstable();
    assert_eq!(tools, ["ask", "list_folders", "read", "search"]);
    // Nothing indexed yet: the tool says so in words.
    send(json!({
        "jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "list_folders", "arguments": {}}
    }));
    let folders = receive();
    let text = folders["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("No folder is indexed yet"), "{text}");

    // The client leaves: the server ends on its own.
    drop(send);
    let status = server.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
