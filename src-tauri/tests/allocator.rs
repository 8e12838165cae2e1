//! The app's allocator keeps off transparent huge pages on Linux (`allocator_options` in
//! src/main.rs): mimalloc, told so before it starts, disables them for the process, which the
//! kernel reports as `THP_enabled: 0`. A person's own `MIMALLOC_ALLOW_THP` wins. The app's
//! binary is started in its headless MCP mode, which runs the same `main`.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::json;

/// Starts the app's binary with `extra` in its environment, waits until it answers, and
/// returns what its `/proc/PID/status` says of transparent huge pages.
fn huge_pages_of_the_app(extra: &[(&str, &str)]) -> String {
    let temp = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ledge-app"));
    command
        .arg("--mcp")
        .env("LEDGE_HOME", temp.path().join("home"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("MIMALLOC_ALLOW_THP")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut app = command.spawn().unwrap();
    let mut stdin = app.stdin.take().unwrap();
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}
        }
    });
    writeln!(stdin, "{initialize}").unwrap();
    stdin.flush().unwrap();
    let mut line = String::new();
    BufReader::new(app.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(answer["id"], 1, "{line}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", app.id())).unwrap();
    drop(stdin);
    app.wait().unwrap();
    status
        .lines()
        .find(|l| l.starts_with("THP_enabled:"))
        .expect("the kernel reports THP_enabled (Linux 5.0 and later)")
        .to_owned()
}

#[test]
fn the_app_keeps_its_allocator_off_huge_pages_unless_the_person_says_otherwise() {
    let own = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(
        own.contains("THP_enabled:\t1"),
        "this test process must start with huge pages allowed for the check to mean anything"
    );
    assert_eq!(huge_pages_of_the_app(&[]), "THP_enabled:\t0");
    assert_eq!(
        huge_pages_of_the_app(&[("MIMALLOC_ALLOW_THP", "1")]),
        "THP_enabled:\t1"
    );
}
