//! The real app driven through its real webview: `tauri-driver` (from `scripts/setup.sh
//! driver`) in front of Debian's WebKitWebDriver starts the built `ledge-app` in a virtual
//! X display, over a data folder holding the real SmolLM2 model and an indexed folder of
//! licence texts. The test then uses the app the way a person does:
//!
//! * the global hotkey (pressed with `xdotool`) shows the popup;
//! * a question typed into it is answered by the real core: sources listed with the file
//!   names of the indexed folder, streamed text, the status line saying it is answered;
//! * "Ask about this file" (a second start with a path, as the file-manager action runs it)
//!   pins that file in the popup of the running app;
//! * `ledge-app --settings` opens the settings in the main window, which lists the folder.
//!
//! Screenshots of each screen, taken by the webview itself, go to
//! `target/desktop-screenshots/webdriver-*.png`.

// WebKitWebDriver (tauri-driver): macOS has no WebDriver for its webview.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use ledge_core::{AssistantSettings, DataDir, DataDirSource};
use ledge_desktop::session::ONBOARDED_SETTING;
use ledge_desktop::{Events, IndexingState, ModelState, Session, SessionConfig};
use ledge_llm::import::{ImportOptions, import_gguf};
use serde_json::{Value, json};
use support::{Desktop, read_log, spawn_logged, wait_for};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Quiet;

impl Events for Quiet {
    fn indexing(&self, _: &IndexingState) {}
    fn model(&self, _: &ModelState) {}
}

/// A data folder as a person's would be after onboarding: SmolLM2 installed as the chat
/// model, a folder of licence texts indexed.
fn prepare_data_folder(ledge_home: &Path, docs: &Path) {
    std::fs::create_dir_all(docs).unwrap();
    for name in ["Apache-2.0", "MPL-2.0", "GPL-3"] {
        std::fs::copy(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/data/common-licenses"
            ))
            .join(name),
            docs.join(format!("{name}.txt")),
        )
        .unwrap();
    }
    let data_dir = DataDir::open(ledge_home.to_path_buf(), DataDirSource::LedgeHome).unwrap();
    ledge_llm::Runtime::init().unwrap();
    let gguf = repo().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        gguf.is_file(),
        "test model missing: run `scripts/setup.sh models`"
    );
    let options = ImportOptions {
        name: Some("smollm2".into()),
        ..ImportOptions::default()
    };
    import_gguf(&gguf, &data_dir.models_dir(), &options, |_| {}).unwrap();
    let session = Session::open(
        SessionConfig {
            data_dir,
            extra_model_dirs: Vec::new(),
            settings: AssistantSettings::default(),
        },
        Arc::new(Quiet),
    )
    .unwrap();
    session.add_folder(docs).unwrap();
    assert!(
        session.wait_indexed(Duration::from_secs(300)),
        "indexing did not finish"
    );
    session.set_setting(ONBOARDED_SETTING, Some("1")).unwrap();
}

/// A W3C WebDriver session, spoken over plain HTTP to tauri-driver on loopback.
struct WebDriver {
    agent: ureq::Agent,
    base: String,
    session: String,
}

impl WebDriver {
    fn agent() -> ureq::Agent {
        let config = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build();
        ureq::Agent::new_with_config(config)
    }

    fn request(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Value {
        let response = match (method, body) {
            ("POST", body) => agent
                .post(url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
            ("DELETE", _) => agent.delete(url).call(),
            _ => agent.get(url).call(),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status();
        let text = response.body_mut().read_to_string().unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {url}: HTTP {status}: {text}");
        value["value"].clone()
    }

    /// Starts the app through the driver.
    fn start(port: u16, application: &Path) -> WebDriver {
        let agent = Self::agent();
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "tauri:options": { "application": application, "args": [] }
            }}
        });
        let value = Self::request(
            &agent,
            "POST",
            &format!("{base}/session"),
            Some(capabilities),
        );
        let session = value["sessionId"].as_str().unwrap().to_owned();
        WebDriver {
            agent,
            base,
            session,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        Self::request(&self.agent, method, &url, body)
    }

    fn script(&self, source: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": source, "args": [] })),
        )
    }

    /// Makes the window whose page title is `title` the one commands go to; returns the
    /// titles seen when there is none.
    fn try_switch_to(&self, title: &str) -> Result<(), Vec<Value>> {
        let handles = self.call("GET", "/window/handles", None);
        let mut titles = Vec::new();
        for handle in handles.as_array().unwrap() {
            self.call("POST", "/window", Some(json!({ "handle": handle })));
            let found = self.call("GET", "/title", None);
            if found == title {
                return Ok(());
            }
            titles.push(found);
        }
        Err(titles)
    }

    /// Makes the window whose page title is `title` the one commands go to.
    fn switch_to(&self, title: &str) {
        if let Err(titles) = self.try_switch_to(title) {
            panic!("no window titled {title:?}; the titles are {titles:?}");
        }
    }

    fn element(&self, css: &str) -> String {
        let value = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        value
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap()
            .to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn screenshot(&self, name: &str) {
        let png = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = repo().join("target/desktop-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("webdriver-{name}.png")), bytes).unwrap();
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.agent.delete(&url).call();
    }
}

fn text_of(driver: &WebDriver, css: &str) -> String {
    driver
        .script(&format!(
            "const e = document.querySelector({css:?}); return e ? e.textContent : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_question_in_the_real_popup_is_answered_from_the_indexed_files() {
    let driver_bin = repo().join(".deps/tauri-driver/bin/tauri-driver");
    assert!(
        driver_bin.is_file(),
        "tauri-driver missing: run `scripts/setup.sh driver`"
    );
    let desktop = Desktop::start();
    let docs = desktop.home.path().join("Documents/licences");
    prepare_data_folder(&desktop.dir("ledge"), &docs);

    let (port, native_port) = (free_port(), free_port());
    let log = desktop.home.path().join("driver.log");
    let mut driver_command = desktop.command(&driver_bin);
    driver_command.args([
        "--port",
        &port.to_string(),
        "--native-port",
        &native_port.to_string(),
    ]);
    let _driver = spawn_logged(driver_command, &log);
    let log_text = || read_log(&log);
    wait_for(
        "tauri-driver to listen",
        Duration::from_secs(30),
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        log_text,
    );
    let driver = WebDriver::start(port, Path::new(env!("CARGO_BIN_EXE_ledge-app")));

    // The hotkey shows the popup; its input has the focus and the model gets ready. Only
    // the popup's web view exists at first: the chat window is made when first shown.
    wait_for(
        "the app to start",
        Duration::from_secs(60),
        || {
            driver
                .call("GET", "/window/handles", None)
                .as_array()
                .is_some_and(|h| h.len() == 1)
        },
        log_text,
    );
    driver.switch_to("Ask Ledge");
    desktop.key("ctrl+alt+space");
    wait_for(
        "the popup after the hotkey",
        Duration::from_secs(20),
        || !desktop.visible("Ask Ledge").is_empty(),
        log_text,
    );
    wait_for(
        "the model to be ready",
        Duration::from_secs(180),
        || text_of(&driver, "#status-text").contains("ready"),
        || {
            format!(
                "status: {}\n{}",
                text_of(&driver, "#status-text"),
                log_text()
            )
        },
    );
    driver.screenshot("popup-ready");

    // Ask; the answer comes from the core, with the indexed files as sources.
    let question = "When does the Apache License's patent license terminate?";
    driver.type_into("#ask-input", &format!("{question}\u{E007}"));
    wait_for(
        "the answer",
        Duration::from_secs(300),
        || text_of(&driver, "#status-text").starts_with("Answered"),
        || {
            format!(
                "status: {}\n{}",
                text_of(&driver, "#status-text"),
                log_text()
            )
        },
    );
    let answer = text_of(&driver, ".answer-text");
    assert!(answer.trim().len() > 10, "answer too short: {answer:?}");
    let sources = driver.script(
        "return [...document.querySelectorAll('#sources [role=option]')].map(e => e.textContent);",
    );
    let sources: Vec<String> = sources
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(!sources.is_empty(), "no sources listed");
    assert!(
        sources.iter().any(|s| s.contains("Apache-2.0.txt")),
        "the Apache licence is not among the sources: {sources:?}"
    );
    driver.screenshot("popup-answered");

    // "Ask about this file": the running app gets the path and pins it.
    let file = docs.join("MPL-2.0.txt");
    desktop.start_again(&[file.to_str().unwrap()]);
    wait_for(
        "the file pinned in the popup",
        Duration::from_secs(20),
        || text_of(&driver, ".chips.pinned").contains("MPL-2.0.txt"),
        log_text,
    );
    driver.screenshot("popup-pinned-file");

    // The settings list the indexed folder.
    desktop.start_again(&["--settings"]);
    wait_for(
        "the settings window to be made",
        Duration::from_secs(30),
        || driver.try_switch_to("Ledge Settings").is_ok(),
        log_text,
    );
    let folder = docs.display().to_string();
    wait_for(
        "the folder in the settings",
        Duration::from_secs(20),
        || text_of(&driver, "body").contains(&folder),
        || format!("page: {}\n{}", text_of(&driver, "body"), log_text()),
    );
    driver.screenshot("settings");
    // The real catalog, judged for this computer: the CPU's recommended chat model.
    wait_for(
        "the recommended models in the settings",
        Duration::from_secs(20),
        || {
            let body = text_of(&driver, "body");
            body.contains("Qwen2.5-Coder-0.5B-Instruct") && body.contains("of memory")
        },
        || format!("page: {}\n{}", text_of(&driver, "body"), log_text()),
    );
}
