//! `ledge models download` as a person runs it, against a local stand-in for the Hugging Face
//! hub (`tests/reference/mock_hub.py`, the hub's real HTTP API on 127.0.0.1) serving the
//! real SmolLM2 model as a Hugging Face folder. The official `huggingface_hub` client
//! downloads from the same server, which shows the stand-in speaks the hub's protocol.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

const REPO: &str = "HuggingFaceTB/SmolLM2-135M-Instruct";
const NAME: &str = "SmolLM2-135M-Instruct";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn ledge(home: &Path, endpoint: &str, args: &[&str]) -> Output {
    ledge_with(home, endpoint, args, &[])
}

fn ledge_with(home: &Path, endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ledge"));
    command
        .args(args)
        .env("LEDGE_HOME", home)
        .env("HF_ENDPOINT", endpoint)
        // Never the developer's own token or cache.
        .env("HF_HOME", home.join("no-hf-home"))
        .env_remove("HF_TOKEN")
        .env_remove("LEDGE_MODEL")
        .env_remove("LEDGE_MODEL_PATH")
        .env_remove("LEDGE_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run ledge")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: &Output) -> String {
    assert!(output.status.success(), "ledge failed:\n{}", stderr(output));
    stdout(output)
}

/// Fails with exit code 1 and a message containing every one of `needles`.
fn fails_saying(output: &Output, needles: &[&str]) {
    assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
    let message = stderr(output);
    for needle in needles {
        assert!(
            message.contains(needle),
            "`{needle}` missing from: {message}"
        );
    }
}

/// The real SmolLM2 as the Hugging Face folder a hub repository holds: the GGUF from
/// `models/` imported once (bf16) into the test target folder, plus files a download must
/// leave behind (a README, an ONNX export, `.gitattributes`).
fn smollm_folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hub-fixture-v1");
        let folder = base.join(NAME);
        if folder.join("model.safetensors").is_file() {
            return folder;
        }
        let gguf = root().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
        assert!(gguf.is_file(), "run `scripts/setup.sh models`");
        let home = base.join("home");
        let _ = fs::remove_dir_all(&home);
        succeeded(&ledge(
            &home,
            "http://127.0.0.1:9",
            &["models", "import", gguf.to_str().unwrap(), "--name", NAME],
        ));
        let imported = home.join("models").join(NAME);
        fs::write(imported.join("README.md"), "# SmolLM2-135M-Instruct\n").unwrap();
        fs::write(
            imported.join(".gitattributes"),
            "*.safetensors filter=lfs\n",
        )
        .unwrap();
        fs::create_dir_all(imported.join("onnx")).unwrap();
        fs::write(imported.join("onnx/model.onnx"), vec![7u8; 4096]).unwrap();
        fs::rename(&imported, &folder).unwrap();
        folder
    })
}

/// The mock hub, stopped when dropped.
struct Hub {
    child: Child,
    endpoint: String,
    log: PathBuf,
}

impl Hub {
    fn start(dir: &Path, args: &[String]) -> Hub {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let log = dir.join(format!(
            "hub-{}.log",
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_file(&log);
        let mut child = Command::new("python3")
            .arg(root().join("tests/reference/mock_hub.py"))
            .args(args)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the mock hub");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("PORT ").expect("the hub's port");
        Hub {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn serving(dir: &Path, extra: &[&str]) -> Hub {
        let mut args = vec![
            "--repo".to_owned(),
            format!("{REPO}={}", smollm_folder().display()),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Hub::start(dir, &args)
    }

    /// Every request so far: (method, path, Range header).
    fn requests(&self) -> Vec<(String, String, Option<String>)> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let value: Value = serde_json::from_str(line).unwrap();
                (
                    value["method"].as_str().unwrap().to_owned(),
                    value["path"].as_str().unwrap().to_owned(),
                    value["range"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    /// The `Range` starts of the full downloads (not the 0-0 probes) of the CDN object
    /// `sha256`.
    fn resumed_from(&self, sha256: &str) -> Vec<u64> {
        self.requests()
            .into_iter()
            .filter(|(method, path, _)| method == "GET" && path.ends_with(sha256))
            .filter_map(|(_, _, range)| {
                let range = range?;
                let (start, end) = range.strip_prefix("bytes=")?.split_once('-')?;
                end.is_empty().then(|| start.parse().unwrap())
            })
            .collect()
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256_of(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Relative path -> sha256 of every file under `dir` (following links, as the HF cache's are).
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(relative, sha256_of(&path));
            }
        }
    }
    files
}

/// What a model download must install: the folder minus what a model does not need.
fn model_files() -> BTreeMap<String, String> {
    let mut files = tree(smollm_folder());
    for left_out in [
        "README.md",
        ".gitattributes",
        "onnx/model.onnx",
        "ledge-import.json",
    ] {
        assert!(files.remove(left_out).is_some() || left_out == "ledge-import.json");
    }
    files
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_download_installs_a_model_that_answers_like_the_original() {
    let temp = tempfile::tempdir().unwrap();
    let hub = Hub::serving(temp.path(), &[]);
    let home = temp.path().join("home");

    let printed = succeeded(&ledge(&home, &hub.endpoint, &["models", "download", REPO]));
    let installed = home.join("models").join(NAME);
    assert!(printed.contains(installed.to_str().unwrap()), "{printed}");
    assert_eq!(tree(&installed), model_files());
    // Only what a model needs was asked for, and the staged download is gone.
    for (_, path, _) in hub.requests() {
        assert!(
            !path.contains("README.md")
                && !path.contains("onnx")
                && !path.contains(".gitattributes"),
            "{path} should not have been downloaded"
        );
    }
    assert_eq!(entries(&home.join("downloads")), Vec::<String>::new());

    let listed: Value = serde_json::from_str(&succeeded(&ledge(
        &home,
        &hub.endpoint,
        &["models", "list", "--json"],
    )))
    .unwrap();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == NAME)
        .unwrap()
        .clone();
    assert_eq!(entry["role"], "chat", "{entry}");
    assert_eq!(entry["architecture"], "llama", "{entry}");
    assert!(entry["problem"].is_null(), "{entry}");

    // Greedy text from the downloaded model is the original folder's.
    let generate = |model: &str| {
        succeeded(&ledge(
            &home,
            &hub.endpoint,
            &[
                "generate",
                "--model",
                model,
                "--max-tokens",
                "10",
                "-q",
                "The capital of France is",
            ],
        ))
    };
    let text = generate(NAME);
    assert!(!text.trim().is_empty());
    assert_eq!(text, generate(smollm_folder().to_str().unwrap()));

    // The official client downloads the same bytes from the same server (all files).
    let python = root().join(".deps/venv-ref/bin/python");
    assert!(python.is_file(), "run `scripts/setup.sh reference`");
    let hf_home = temp.path().join("hf-home");
    let output = Command::new(python)
        .arg(root().join("tests/reference/hf_snapshot.py"))
        .arg(REPO)
        .env("HF_ENDPOINT", &hub.endpoint)
        .env("HF_HOME", &hf_home)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env_remove("HF_TOKEN")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let snapshot: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let official: BTreeMap<String, String> =
        serde_json::from_value(snapshot["files"].clone()).unwrap();
    assert_eq!(official, tree(smollm_folder()));
    for (file, sha256) in model_files() {
        assert_eq!(official[&file], sha256, "{file}");
    }

    // What the official client put in its cache is found there and imports from it.
    let user = temp.path().join("user");
    let env = [
        ("HF_HOME", hf_home.to_str().unwrap()),
        ("HOME", user.to_str().unwrap()),
    ];
    let listed: Value = serde_json::from_str(&succeeded(&ledge_with(
        &home,
        &hub.endpoint,
        &["models", "found", "--json"],
        &env,
    )))
    .unwrap();
    let cached = &listed.as_array().unwrap()[0];
    assert_eq!(cached["origin"], "hf-cache", "{listed}");
    assert_eq!(cached["id"], REPO, "{listed}");
    assert_eq!(cached["format"], "safetensors", "{listed}");
    assert_eq!(cached["path"], snapshot["path"], "{listed}");
    assert!(cached["problem"].is_null(), "{listed}");
    succeeded(&ledge_with(
        &home,
        &hub.endpoint,
        &[
            "models",
            "import",
            "--from",
            "hf-cache",
            REPO,
            "--name",
            "from-cache",
        ],
        &env,
    ));
    assert_eq!(tree(&home.join("models/from-cache")), model_files());

    // The same name again is refused before any download.
    let before = hub.requests().len();
    fails_saying(
        &ledge(&home, &hub.endpoint, &["models", "download", REPO]),
        &["already installed", "--name"],
    );
    assert_eq!(hub.requests().len(), before);
}

#[test]
fn an_interrupted_download_resumes_where_it_stopped() {
    let weights = smollm_folder().join("model.safetensors");
    let sha256 = sha256_of(&weights);
    let length = fs::metadata(&weights).unwrap().len();
    let temp = tempfile::tempdir().unwrap();

    // The server hangs up once in the middle of the weights: the same run picks up there.
    let cut = length / 3;
    let hub = Hub::serving(
        temp.path(),
        &["--drop", &format!("model.safetensors={cut}")],
    );
    let home = temp.path().join("home");
    succeeded(&ledge(&home, &hub.endpoint, &["models", "download", REPO]));
    let starts = hub.resumed_from(&sha256);
    assert_eq!(starts.len(), 2, "{:?}", hub.requests());
    assert_eq!(starts[0], 0);
    assert!(starts[1] > 0 && starts[1] <= cut, "{starts:?}");
    assert_eq!(tree(&home.join("models").join(NAME)), model_files());
    drop(hub);

    // What an earlier run left (a partial blob, as the hub's cache keeps it) is continued.
    let hub = Hub::serving(temp.path(), &[]);
    let home = temp.path().join("home2");
    let blobs = home.join("downloads/models--HuggingFaceTB--SmolLM2-135M-Instruct/blobs");
    fs::create_dir_all(&blobs).unwrap();
    let half = (length / 2) as usize;
    fs::write(
        blobs.join(format!("{sha256}.part")),
        &fs::read(&weights).unwrap()[..half],
    )
    .unwrap();
    succeeded(&ledge(&home, &hub.endpoint, &["models", "download", REPO]));
    assert_eq!(hub.resumed_from(&sha256), vec![half as u64]);
    assert_eq!(tree(&home.join("models").join(NAME)), model_files());
}

#[test]
fn a_damaged_file_is_refused_and_nothing_is_installed() {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("home");
    let hub = Hub::serving(temp.path(), &["--corrupt", "model.safetensors"]);
    fails_saying(
        &ledge(&home, &hub.endpoint, &["models", "download", REPO]),
        &[
            "model.safetensors arrived damaged",
            "sha256",
            "nothing was installed",
        ],
    );
    assert_eq!(entries(&home.join("models")), Vec::<String>::new());
    let blobs = home.join("downloads/models--HuggingFaceTB--SmolLM2-135M-Instruct/blobs");
    let sha256 = sha256_of(&smollm_folder().join("model.safetensors"));
    assert!(
        !entries(&blobs)
            .iter()
            .any(|name| *name == sha256 || *name == format!("{sha256}.part")),
        "{:?}",
        entries(&blobs)
    );
    drop(hub);

    // A damaged small file is caught by its git blob id just the same.
    let hub = Hub::serving(temp.path(), &["--corrupt", "config.json"]);
    let other_home = temp.path().join("home2");
    fails_saying(
        &ledge(&other_home, &hub.endpoint, &["models", "download", REPO]),
        &["config.json arrived damaged", "git sha1"],
    );
    assert_eq!(entries(&other_home.join("models")), Vec::<String>::new());
    drop(hub);

    // Once the hub serves good files, the same command installs the model.
    let hub = Hub::serving(temp.path(), &[]);
    succeeded(&ledge(&home, &hub.endpoint, &["models", "download", REPO]));
    assert_eq!(tree(&home.join("models").join(NAME)), model_files());
}

#[test]
fn hub_problems_are_named_plainly() {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("home");
    let minilm = root().join("models/all-MiniLM-L6-v2");
    let gguf_only = root().join("models/smollm2-135m-instruct");
    let hub = Hub::start(
        temp.path(),
        &[
            "--gated".into(),
            format!(
                "sentence-transformers/all-MiniLM-L6-v2={}",
                minilm.display()
            ),
            "--token".into(),
            "hf_secret".into(),
            "--repo".into(),
            format!("someone/SmolLM2-GGUF={}", gguf_only.display()),
        ],
    );
    let download = |args: &[&str], env: &[(&str, &str)]| {
        let mut full = vec!["models", "download"];
        full.extend(args);
        ledge_with(&home, &hub.endpoint, &full, env)
    };

    fails_saying(
        &download(&["nobody/nothing"], &[]),
        &["the hub has no model `nobody/nothing`"],
    );
    fails_saying(&download(&["just-a-name"], &[]), &["OWNER/NAME"]);
    fails_saying(
        &download(&["someone/SmolLM2-GGUF", "--revision", "v9"], &[]),
        &["has no revision `v9`"],
    );
    fails_saying(
        &download(&["someone/SmolLM2-GGUF"], &[]),
        &[
            "no safetensors model",
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            "ledge models import",
        ],
    );
    let gated = "sentence-transformers/all-MiniLM-L6-v2";
    fails_saying(
        &download(&[gated], &[]),
        &["needs permission", "HTTP 401", "HF_TOKEN"],
    );
    fails_saying(
        &download(&[gated], &[("HF_TOKEN", "hf_wrong")]),
        &["needs permission", "HTTP 403"],
    );
    let unreachable = ledge(&home, "http://127.0.0.1:9", &["models", "download", REPO]);
    fails_saying(
        &unreachable,
        &["cannot reach the model hub at http://127.0.0.1:9"],
    );
    assert_eq!(entries(&home.join("models")), Vec::<String>::new());

    // With the right token (here from the file `huggingface-cli login` writes) it installs,
    // as an embedding model.
    let hf_home = temp.path().join("hf");
    fs::create_dir_all(&hf_home).unwrap();
    fs::write(hf_home.join("token"), "hf_secret\n").unwrap();
    succeeded(&download(
        &[gated, "--name", "minilm"],
        &[("HF_HOME", hf_home.to_str().unwrap())],
    ));
    let listed: Value = serde_json::from_str(&succeeded(&ledge(
        &home,
        &hub.endpoint,
        &["models", "list", "--json"],
    )))
    .unwrap();
    let minilm_entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "minilm")
        .unwrap();
    assert_eq!(minilm_entry["role"], "embedding", "{minilm_entry}");
    assert!(home.join("models/minilm/1_Pooling/config.json").is_file());

    // A data folder that cannot be written is named.
    let blocked = temp.path().join("blocked");
    fs::create_dir_all(&blocked).unwrap();
    fs::write(blocked.join("downloads"), "a file where a folder should be").unwrap();
    fails_saying(
        &ledge(&blocked, &hub.endpoint, &["models", "download", REPO]),
        &["cannot write", "downloads"],
    );
}

#[test]
fn models_lm_studio_keeps_are_found_and_imported() {
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("home");
    let user = temp.path().join("user");
    // LM Studio's folder with the real Gemma GGUF (and a vision projector beside it), and its
    // older folder with the real SmolLM2 GGUF; links, as a person's own set-up might have.
    let gemma_dir = user.join(".lmstudio/models/ggml-org/gemma-3-270m-GGUF");
    fs::create_dir_all(&gemma_dir).unwrap();
    let gemma = root().join("models/gemma-3-270m/gemma-3-270m-q4_k_m.gguf");
    std::os::unix::fs::symlink(&gemma, gemma_dir.join("gemma-3-270m-q4_k_m.gguf")).unwrap();
    fs::write(gemma_dir.join("mmproj-model-f16.gguf"), b"GGUF").unwrap();
    let smol_dir = user.join(".cache/lm-studio/models/bartowski/SmolLM2-135M-Instruct-GGUF");
    fs::create_dir_all(&smol_dir).unwrap();
    let smol = root().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
    std::os::unix::fs::symlink(&smol, smol_dir.join("SmolLM2-135M-Instruct.Q4_1.gguf")).unwrap();

    let no_cache = temp.path().join("no-cache");
    let env = [
        ("HOME", user.to_str().unwrap()),
        ("HF_HUB_CACHE", no_cache.to_str().unwrap()),
    ];
    let run = |args: &[&str]| ledge_with(&home, "http://127.0.0.1:9", args, &env);
    let listed: Value =
        serde_json::from_str(&succeeded(&run(&["models", "found", "--json"]))).unwrap();
    let ids: Vec<(&str, &str, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap(),
                m["name"].as_str().unwrap(),
                m["problem"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            (
                "ggml-org/gemma-3-270m-GGUF/gemma-3-270m-q4_k_m.gguf",
                "gemma-3-270m-GGUF",
                true
            ),
            (
                "ggml-org/gemma-3-270m-GGUF/mmproj-model-f16.gguf",
                "gemma-3-270m-GGUF",
                false
            ),
            (
                "bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf",
                "SmolLM2-135M-Instruct-GGUF",
                true
            ),
        ]
    );
    let human = succeeded(&run(&["models", "found"]));
    assert!(
        human.contains("ledge models import --from lm-studio"),
        "{human}"
    );

    fails_saying(
        &run(&["models", "import", "--from", "lm-studio", "nobody/nothing"]),
        &["no model `nobody/nothing` in LM Studio's models folder"],
    );
    // All of them: the projector is named and left out, the two models are imported.
    let imported = run(&["models", "import", "--from", "lm-studio"]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stderr(&imported).contains("vision projector"),
        "{}",
        stderr(&imported)
    );
    let listed: Value =
        serde_json::from_str(&succeeded(&run(&["models", "list", "--json"]))).unwrap();
    let installed: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap(),
                m["architecture"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        installed,
        [
            ("SmolLM2-135M-Instruct-GGUF", "llama"),
            ("gemma-3-270m-GGUF", "gemma3_text")
        ]
    );
    let again = succeeded(&run(&[
        "models",
        "import",
        "--from",
        "lm-studio",
        "ggml-org/gemma-3-270m-GGUF",
    ]));
    assert!(again.contains("already installed"), "{again}");
}

#[test]
fn the_catalog_says_what_fits_and_downloads_an_entry_by_its_id() {
    let temp = tempfile::tempdir().unwrap();
    let hub = Hub::serving(temp.path(), &[]);
    let home = temp.path().join("home");

    let listed = |args: &[&str]| -> Value {
        serde_json::from_str(&succeeded(&ledge(&home, &hub.endpoint, args))).unwrap()
    };
    let catalog = listed(&["models", "catalog", "--json"]);
    // This machine: the CPU, its memory read from the system.
    assert_eq!(catalog["machine"]["platform"], "cpu");
    assert!(catalog["machine"]["memory_bytes"].as_u64().unwrap() > 1 << 30);
    let models = catalog["models"].as_array().unwrap();
    // Only models for this platform without --all; one chat and one embedding recommended.
    assert!(
        models.iter().all(|m| m["platform"] != "apple-silicon"),
        "{models:?}"
    );
    let recommended: Vec<_> = models
        .iter()
        .filter(|m| m["recommended"] == true)
        .map(|m| (m["kind"].as_str().unwrap(), m["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        recommended,
        [
            ("chat", "Qwen2.5-Coder-0.5B-Instruct"),
            ("embedding", "all-MiniLM-L6-v2")
        ]
    );
    let every = listed(&["models", "catalog", "--json", "--all"]);
    assert!(
        every["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["platform"] == "apple-silicon" && m["fit"] == "other-platform")
    );
    let text = succeeded(&ledge(&home, &hub.endpoint, &["models", "catalog"]));
    assert!(
        text.contains("recommended") && text.contains("Apache-2.0"),
        "{text}"
    );

    // `download ID` fetches the entry's repository from the hub, and the catalog then says so.
    let entry = models.iter().find(|m| m["id"] == NAME).unwrap();
    assert_eq!(entry["repo"], REPO);
    assert_eq!(entry["installed"], false);
    succeeded(&ledge(&home, &hub.endpoint, &["models", "download", NAME]));
    assert_eq!(tree(&home.join("models").join(NAME)), model_files());
    let after = listed(&["models", "catalog", "--json"]);
    let entry = after["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == NAME)
        .unwrap();
    assert_eq!(entry["installed"], true);

    // An id the catalog does not have is refused before any network use.
    let before = hub.requests().len();
    fails_saying(
        &ledge(
            &home,
            &hub.endpoint,
            &["models", "download", "no-such-model"],
        ),
        &["no-such-model", "ledge models catalog"],
    );
    assert_eq!(hub.requests().len(), before);
}
