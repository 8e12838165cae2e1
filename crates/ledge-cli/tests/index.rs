//! `ledge index` and `ledge search` as a person or a script runs them: the real binary, a
//! temporary `LEDGE_HOME`, real documents (Debian's licence texts) in a temporary folder.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn ledge(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledge"))
        .args(args)
        .env("LEDGE_HOME", home)
        .env_remove("LEDGE_LOG")
        // No embedding model: these tests are about words, files and the catalog.
        .env_remove("LEDGE_MODEL_PATH")
        .output()
        .expect("run ledge")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        stdout(&output),
        stderr(&output)
    );
    output
}

/// `docs/` with four licence texts and a secret; returns (temp, home, docs).
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let docs = temp.path().join("docs");
    fs::create_dir_all(docs.join("licenses")).unwrap();
    fs::create_dir_all(docs.join("project")).unwrap();
    for name in ["Apache-2.0", "GPL-3", "MPL-2.0", "BSD"] {
        fs::copy(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/common-licenses"
            ))
            .join(name),
            docs.join("licenses").join(name),
        )
        .unwrap();
    }
    fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/common-licenses/BSD"
        ),
        docs.join("project/.env"),
    )
    .unwrap();
    let home = temp.path().join("home");
    let docs = docs.canonicalize().unwrap();
    (temp, home, docs)
}

#[test]
fn add_search_list_status_and_remove() {
    let (_temp, home, docs) = setup();
    let docs_arg = docs.to_str().unwrap();

    let added = ok(ledge(&home, &["index", "add", docs_arg]));
    let text = stdout(&added);
    assert!(text.contains(docs_arg), "{text}");
    assert!(text.contains("4 files found: 4 indexed"), "{text}");
    assert!(
        home.join("index/catalog.sqlite3").is_file(),
        "the index lives in the data folder"
    );

    let found = ok(ledge(
        &home,
        &[
            "search",
            "--json",
            "--limit",
            "3",
            "\"irrevocable copyright license\"",
        ],
    ));
    let hits: Value = serde_json::from_str(&stdout(&found)).unwrap();
    let hits = hits.as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3);
    for hit in hits {
        let path = PathBuf::from(hit["path"].as_str().unwrap());
        assert_eq!(path, docs.join("licenses/Apache-2.0"));
        let (start, end) = (
            hit["line_start"].as_u64().unwrap() as usize,
            hit["line_end"].as_u64().unwrap() as usize,
        );
        let lines = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = lines
            .lines()
            .skip(start - 1)
            .take(end - start + 1)
            .collect();
        let joined = lines
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(joined.contains("irrevocable copyright license"), "{joined}");
    }

    let human = ok(ledge(&home, &["search", "licensing", "terms"]));
    let text = stdout(&human);
    assert!(text.starts_with("1. "), "{text}");
    assert!(text.contains("/licenses/"), "{text}");
    let secret = ok(ledge(&home, &["search", "--json", "Redistribution"]));
    assert!(
        !stdout(&secret).contains(".env"),
        "a secret was indexed: {}",
        stdout(&secret)
    );

    let listed = ok(ledge(&home, &["index", "list", "--json"]));
    let folders: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(folders[0]["path"], docs_arg);
    assert_eq!(folders[0]["files_indexed"], 4);

    let status = ok(ledge(&home, &["index", "status", "--json"]));
    let status: Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(status["consistent"], true);
    assert!(status["chunks"].as_u64().unwrap() > 10);
    assert_eq!(status["chunks"], status["fulltext_docs"]);
    ok(ledge(&home, &["index", "status"]));

    // A second add reads nothing again.
    let again = ok(ledge(&home, &["index", "add", docs_arg]));
    assert!(stdout(&again).contains("4 unchanged"), "{}", stdout(&again));
    ok(ledge(&home, &["index", "refresh"]));

    ok(ledge(&home, &["index", "remove", docs_arg]));
    let found = ok(ledge(&home, &["search", "--json", "license"]));
    assert_eq!(stdout(&found).trim(), "[]");
    for name in ["Apache-2.0", "GPL-3", "MPL-2.0", "BSD"] {
        assert!(
            docs.join("licenses").join(name).is_file(),
            "removing deleted files"
        );
    }
}

#[test]
fn exit_codes_tell_usage_errors_from_failures() {
    let (_temp, home, docs) = setup();
    assert_eq!(ledge(&home, &["search"]).status.code(), Some(2));
    assert_eq!(ledge(&home, &["index", "add"]).status.code(), Some(2));
    assert_eq!(
        ledge(&home, &["index", "frobnicate"]).status.code(),
        Some(2)
    );

    let missing = ledge(&home, &["index", "add", "/nonexistent/folder"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("not a folder"),
        "{}",
        stderr(&missing)
    );
    let unknown = ledge(&home, &["index", "remove", docs.to_str().unwrap()]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("not an indexed folder"));
}

/// The chunk paths and lines `ledge search --json QUERY` prints.
fn search_results(home: &Path, query: &str) -> Vec<(String, u64)> {
    let found = ok(ledge(home, &["search", "--json", "--limit", "20", query]));
    let hits: Value = serde_json::from_str(&stdout(&found)).unwrap();
    hits.as_array()
        .unwrap()
        .iter()
        .map(|hit| {
            (
                hit["path"].as_str().unwrap().to_owned(),
                hit["line_start"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn rebuild_restores_search_after_the_fulltext_index_is_lost_or_damaged() {
    let (temp, home, docs) = setup();
    let docs_arg = docs.to_str().unwrap();
    ok(ledge(&home, &["index", "add", docs_arg]));
    let before = search_results(&home, "irrevocable copyright license");
    assert!(!before.is_empty());
    let fulltext = home.join("index/fulltext");

    for damage in ["deleted", "garbage"] {
        fs::remove_dir_all(&fulltext).unwrap();
        if damage == "garbage" {
            fs::create_dir_all(&fulltext).unwrap();
            fs::write(fulltext.join("meta.json"), "{ not tantivy").unwrap();
        }
        let rebuilt = ok(ledge(&home, &["index", "rebuild", "--json"]));
        let reports: Value = serde_json::from_str(&stdout(&rebuilt)).unwrap();
        assert_eq!(reports[0]["indexed"], 4, "{reports}");
        assert_eq!(reports[0]["unchanged"], 0, "{reports}");
        assert_eq!(
            search_results(&home, "irrevocable copyright license"),
            before
        );
        let status = ok(ledge(&home, &["index", "status", "--json"]));
        let status: Value = serde_json::from_str(&stdout(&status)).unwrap();
        assert_eq!(status["consistent"], true);
        assert_eq!(status["chunks"], status["fulltext_docs"]);
    }

    // One folder by name, and a folder that is not indexed.
    let human = ok(ledge(&home, &["index", "rebuild", docs_arg]));
    assert!(stdout(&human).contains("4 indexed"), "{}", stdout(&human));
    let unknown = ledge(&home, &["index", "rebuild", temp.path().to_str().unwrap()]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("is not an indexed folder"),
        "{}",
        stderr(&unknown)
    );
}

/// Up to `limit` real documents: the packages' copyright files under /usr/share/doc.
fn copyright_corpus(docs: &Path, limit: usize) -> usize {
    let mut packages: Vec<PathBuf> = fs::read_dir("/usr/share/doc")
        .unwrap()
        .map(|e| e.unwrap().path().join("copyright"))
        .filter(|p| p.is_file())
        .collect();
    packages.sort();
    packages.truncate(limit);
    for file in &packages {
        let package = file.parent().unwrap().file_name().unwrap();
        let target = docs.join(package).join("copyright");
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(file, target).unwrap();
    }
    packages.len()
}

#[test]
fn killing_indexing_at_any_moment_leaves_a_consistent_index() {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("home");
    let docs = temp.path().join("docs");
    let files = copyright_corpus(&docs, 600);
    if files < 50 {
        println!("skipped: only {files} copyright files under /usr/share/doc");
        return;
    }
    let docs_arg = docs.to_str().unwrap();
    for delay_ms in [150, 400, 700, 1000, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ledge"))
            .args(["index", "add", docs_arg])
            .env("LEDGE_HOME", &home)
            .env_remove("LEDGE_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL: no chance to clean up
        child.wait().unwrap();

        // Opening repairs whatever the kill interrupted.
        let status = ok(ledge(&home, &["index", "status", "--json"]));
        let status: Value = serde_json::from_str(&stdout(&status)).unwrap();
        assert_eq!(status["consistent"], true, "after a kill at {delay_ms} ms");
        assert_eq!(
            status["chunks"], status["fulltext_docs"],
            "after a kill at {delay_ms} ms: catalog and full-text index disagree"
        );
    }
    let finished = ok(ledge(&home, &["index", "add", "--json", docs_arg]));
    let report: Value = serde_json::from_str(&stdout(&finished)).unwrap();
    let report = &report[0];
    let files = files as u64;
    assert_eq!(report["files_found"].as_u64().unwrap(), files);
    let again = ok(ledge(&home, &["index", "refresh", "--json"]));
    let again: Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(again[0]["unchanged"].as_u64().unwrap(), files, "{again}");
    let status = ok(ledge(&home, &["index", "status", "--json"]));
    let status: Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(status["chunks"], status["fulltext_docs"]);
    let indexed = status["folders"][0]["files_indexed"].as_u64().unwrap()
        + status["folders"][0]["files_skipped"].as_u64().unwrap();
    assert_eq!(indexed, files, "nothing lost");
}
