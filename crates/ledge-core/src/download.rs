//! Downloading a model from a Hugging Face hub and installing it.
//!
//! This is the only place Ledge reaches the internet on its own, and only when the person
//! asks (`ledge models download REPO`). It uses the hub's own Rust client (`hf-hub`, sync
//! API over `ureq`) and the hub's public HTTP API:
//!
//! 1. `GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true` names the commit the
//!    revision points at and the repository's files with their sizes (and, for files kept in
//!    LFS, their sha256). Only the files a model folder import keeps are chosen
//!    ([`ledge_llm::import::is_model_file`]); when `model.safetensors.index.json` is there,
//!    only the weight files its `weight_map` names.
//! 2. Each file comes from `{endpoint}/{repo}/resolve/{commit}/{file}` into a staging folder
//!    in the data folder, laid out like the Hugging Face cache (`blobs/`, `snapshots/`). A
//!    file cut short stays there as `blobs/{etag}.part` and the next attempt, in the same run
//!    (a few retries) or the next, asks for the rest with a `Range` request.
//! 3. Every file is checked against what the hub promised: the sha256 of an LFS file (its
//!    `X-Linked-Etag`, which is also its blob's name), the git blob id (sha1) of a small file.
//!    A file that does not match is deleted and the download refused.
//! 4. The snapshot is installed exactly as `ledge models import FOLDER` installs a folder:
//!    copied under a hidden name in the models folder, loaded once, renamed into place
//!    ([`ledge_llm::import::import_folder`]). The staged download is then removed.
//!
//! The endpoint and the token are the caller's to choose (the CLI reads `HF_ENDPOINT` and
//! `HF_TOKEN`); this module reads no environment.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use hf_hub::api::sync::{Api, ApiBuilder, ApiError, ApiRepo};
use hf_hub::{Cache, Repo, RepoType};
use ledge_llm::generate::CancelToken;
use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The public Hugging Face hub.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Attempts per file after the first one fails mid-way (each resumes where the last stopped).
const RETRIES: usize = 3;

/// What can go wrong while downloading a model. Each variant names something the person can
/// act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// The person cancelled it.
    #[error(
        "the download of {repo} was cancelled; what was fetched is kept, and downloading it again resumes"
    )]
    Cancelled {
        /// The repository id.
        repo: String,
    },
    /// The repository id is not `owner/name`.
    #[error(
        "`{repo}` is not a model id: write it as OWNER/NAME, e.g. HuggingFaceTB/SmolLM2-135M-Instruct"
    )]
    InvalidRepoId {
        /// What was given.
        repo: String,
    },
    /// The hub knows no such repository (or it is private and no token may see it).
    #[error("the hub has no model `{repo}` (check the spelling; a private model needs HF_TOKEN)")]
    RepoNotFound {
        /// The repository id.
        repo: String,
    },
    /// The repository has no such branch, tag or commit.
    #[error("the model `{repo}` has no revision `{revision}`")]
    RevisionNotFound {
        /// The repository id.
        repo: String,
        /// The revision asked for.
        revision: String,
    },
    /// The repository is gated or private and the token (if any) may not read it.
    #[error(
        "the model `{repo}` needs permission (HTTP {status}): accept its terms on its hub page, \
         then set HF_TOKEN to a token of that account"
    )]
    AccessDenied {
        /// The repository id.
        repo: String,
        /// 401 or 403.
        status: u16,
    },
    /// The hub could not be reached at all.
    #[error("cannot reach the model hub at {endpoint}: {reason} (no network? HF_ENDPOINT wrong?)")]
    Unreachable {
        /// The endpoint tried.
        endpoint: String,
        /// What failed.
        reason: String,
    },
    /// The connection failed in the middle of a file, even after retries. What arrived is
    /// kept: running the command again resumes.
    #[error(
        "the download of {file} was interrupted ({reason}); run the same command again to resume"
    )]
    Interrupted {
        /// The file being downloaded.
        file: String,
        /// What failed.
        reason: String,
    },
    /// The hub answered with an unexpected status.
    #[error("the model hub answered HTTP {status} for {what}")]
    Http {
        /// What was asked for.
        what: String,
        /// The status.
        status: u16,
    },
    /// The hub's answer was not what its API promises.
    #[error("unexpected answer from the model hub for {what}: {reason}")]
    Protocol {
        /// What was asked for.
        what: String,
        /// What was wrong.
        reason: String,
    },
    /// The repository holds nothing Ledge can install as a model folder.
    #[error("`{repo}` has no safetensors model Ledge can install{}", hint(gguf))]
    NoModelFiles {
        /// The repository id.
        repo: String,
        /// GGUF files it holds instead, if any.
        gguf: Vec<String>,
    },
    /// A downloaded file is not what the hub said it is; it was deleted.
    #[error(
        "{file} arrived damaged (expected {algorithm} {expected}, got {actual}); it was deleted, \
         nothing was installed"
    )]
    ChecksumMismatch {
        /// The file in the repository.
        file: String,
        /// `sha256` or `git sha1`.
        algorithm: &'static str,
        /// What the hub promised.
        expected: String,
        /// What arrived.
        actual: String,
    },
    /// A model of that name is already installed.
    #[error("a model named `{name}` is already installed at {}; choose another with --name", path.display())]
    AlreadyInstalled {
        /// The name.
        name: String,
        /// Where it is.
        path: PathBuf,
    },
    /// Writing to the disk failed (full, read-only, no permission).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The files arrived intact but do not make a model Ledge can load.
    #[error("the downloaded model does not load: {0}")]
    Install(#[source] ledge_llm::Error),
}

fn hint(gguf: &[String]) -> String {
    if gguf.is_empty() {
        String::new()
    } else {
        format!(
            " (it holds GGUF files: {}; download one and run `ledge models import FILE.gguf`)",
            gguf.join(", ")
        )
    }
}

/// Which hub to ask, and as whom.
#[derive(Debug, Clone)]
pub struct Hub {
    /// The hub's base URL, e.g. [`DEFAULT_ENDPOINT`] or a mirror's.
    pub endpoint: String,
    /// A Hugging Face access token, for gated and private models.
    pub token: Option<String>,
}

impl Hub {
    /// The hub as Hugging Face's own tools find it: `HF_ENDPOINT` (a mirror, or a test's
    /// local server) or the public hub, with `HF_TOKEN` or the token `hf auth login` saved
    /// (`$HF_HOME/token`, see [`hf_home`]).
    pub fn from_env() -> Hub {
        let endpoint = std::env::var("HF_ENDPOINT")
            .ok()
            .filter(|value| !value.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let token = std::env::var("HF_TOKEN")
            .ok()
            .or_else(|| fs::read_to_string(hf_home()?.join("token")).ok())
            .map(|token| token.trim().to_owned())
            .filter(|token| !token.is_empty());
        Hub { endpoint, token }
    }
}

/// The Hugging Face home folder: `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else
/// `~/.cache/huggingface`.
pub fn hf_home() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(home) = var("HF_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(cache) = var("XDG_CACHE_HOME") {
        return Some(PathBuf::from(cache).join("huggingface"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".cache").join("huggingface"))
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            token: None,
        }
    }
}

/// One download.
#[derive(Debug, Clone)]
pub struct DownloadRequest {
    /// `owner/name` on the hub.
    pub repo: String,
    /// A branch, tag or commit; default `main`.
    pub revision: Option<String>,
    /// The installed model's name; default: the repository's name.
    pub name: Option<String>,
    /// Stops the download when cancelled (within one read of the network); what was fetched
    /// stays staged, so asking again resumes.
    pub cancel: CancelToken,
}

/// What a download is doing, for a progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum DownloadProgress {
    /// The revision was resolved and the files chosen.
    Planned {
        /// The commit downloaded.
        commit: String,
        /// The files, in download order.
        files: Vec<String>,
        /// Their total size in bytes, when the hub said.
        bytes_total: u64,
    },
    /// Bytes arrived (or were found already there, for a resumed file).
    Bytes {
        /// The file.
        file: String,
        /// Bytes of all files done so far, this one included.
        bytes_done: u64,
        /// Their total.
        bytes_total: u64,
    },
    /// A file arrived and matches its checksum.
    Verified {
        /// The file.
        file: String,
    },
    /// All files are here; the model is being copied into place and loaded once.
    Installing,
}

/// The outcome of a download.
#[derive(Debug, Clone, PartialEq)]
pub struct Downloaded {
    /// Where the model is installed.
    pub path: PathBuf,
    /// The commit it came from.
    pub commit: String,
    /// The files installed.
    pub files: Vec<String>,
    /// Bytes of those files.
    pub bytes: u64,
}

/// The repository description the hub's API answers with (the fields used here).
#[derive(Debug, Deserialize)]
struct RepoInfo {
    sha: String,
    #[serde(default)]
    siblings: Vec<Sibling>,
}

#[derive(Debug, Deserialize)]
struct Sibling {
    rfilename: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Debug, Deserialize)]
struct LfsInfo {
    sha256: String,
}

/// The weight map of `model.safetensors.index.json`.
#[derive(Debug, Deserialize)]
struct WeightIndex {
    weight_map: std::collections::BTreeMap<String, String>,
}

/// Downloads `request.repo` from `hub` into `downloads_dir` (resuming what an earlier attempt
/// left there), checks every file, and installs the model into `models_dir`. MLX must have
/// been started ([`ledge_llm::Runtime::init`]): the installed copy is loaded once.
pub fn download_model(
    hub: &Hub,
    request: &DownloadRequest,
    downloads_dir: &Path,
    models_dir: &Path,
    mut progress: impl FnMut(&DownloadProgress),
) -> Result<Downloaded, DownloadError> {
    let repo_id = request.repo.trim().trim_matches('/').to_owned();
    let Some((_, repo_name)) = repo_id
        .split_once('/')
        .filter(|(owner, name)| valid_part(owner) && valid_part(name))
    else {
        return Err(DownloadError::InvalidRepoId {
            repo: request.repo.clone(),
        });
    };
    let name = request.name.clone().unwrap_or_else(|| repo_name.to_owned());
    let destination = models_dir.join(&name);
    if destination.exists() {
        return Err(DownloadError::AlreadyInstalled {
            name,
            path: destination,
        });
    }
    let revision = request.revision.clone().unwrap_or_else(|| "main".into());
    fs::create_dir_all(downloads_dir).map_err(|source| DownloadError::Write {
        path: downloads_dir.to_path_buf(),
        source,
    })?;

    let cache = Cache::new(downloads_dir.to_path_buf());
    let api = ApiBuilder::from_cache(cache.clone())
        .with_endpoint(hub.endpoint.trim_end_matches('/').to_owned())
        .with_token(hub.token.clone())
        .with_progress(false)
        .with_retries(RETRIES)
        .with_user_agent("ledge", env!("CARGO_PKG_VERSION"))
        .build()
        .map_err(|error| DownloadError::Protocol {
            what: "the HTTP client".into(),
            reason: error.to_string(),
        })?;

    let info = repo_info(&api, hub, &repo_id, &revision)?;
    let commit = info.sha.clone();
    tracing::info!(repo = %repo_id, %revision, %commit, "resolved the revision");
    let repo = api.repo(Repo::with_revision(
        repo_id.clone(),
        RepoType::Model,
        commit.clone(),
    ));
    let snapshot = cache
        .repo(Repo::with_revision(
            repo_id.clone(),
            RepoType::Model,
            commit.clone(),
        ))
        .pointer_path(&commit);
    let on_hub = |file: &str| FileFailure {
        repo: &repo_id,
        endpoint: &hub.endpoint,
        file: file.to_owned(),
        downloads_dir,
    };

    // The files an import keeps; with a sharded checkpoint, only the shards its index names
    // (a repository may also hold a consolidated copy of the same weights).
    let mut files: Vec<&Sibling> = info
        .siblings
        .iter()
        .filter(|sibling| ledge_llm::import::is_model_file(&sibling.rfilename))
        .collect();
    if let Some(index) = files
        .iter()
        .find(|sibling| sibling.rfilename == "model.safetensors.index.json")
    {
        let path = fetch_verified(
            &repo,
            &snapshot,
            index,
            &on_hub(&index.rfilename),
            &request.cancel,
            &mut |_| {},
        )?;
        let text = fs::read_to_string(&path).map_err(|source| DownloadError::Write {
            path: path.clone(),
            source,
        })?;
        let weights: WeightIndex =
            serde_json::from_str(&text).map_err(|error| DownloadError::Protocol {
                what: index.rfilename.clone(),
                reason: error.to_string(),
            })?;
        let shards: BTreeSet<&str> = weights.weight_map.values().map(String::as_str).collect();
        files.retain(|sibling| {
            !sibling.rfilename.ends_with(".safetensors") || shards.contains(&*sibling.rfilename)
        });
    }
    let has_weights = files.iter().any(|f| f.rfilename.ends_with(".safetensors"));
    if !has_weights || !files.iter().any(|f| f.rfilename == "config.json") {
        return Err(DownloadError::NoModelFiles {
            repo: repo_id,
            gguf: info
                .siblings
                .iter()
                .filter(|s| s.rfilename.ends_with(".gguf"))
                .map(|s| s.rfilename.clone())
                .collect(),
        });
    }
    // Small files first: a repository whose configuration is broken fails before gigabytes.
    files.sort_by_key(|sibling| (sibling.size.unwrap_or(u64::MAX), sibling.rfilename.clone()));
    let bytes_total: u64 = files.iter().filter_map(|sibling| sibling.size).sum();
    progress(&DownloadProgress::Planned {
        commit: commit.clone(),
        files: files.iter().map(|f| f.rfilename.clone()).collect(),
        bytes_total,
    });

    let mut bytes_before = 0;
    for sibling in &files {
        if request.cancel.is_cancelled() {
            return Err(DownloadError::Cancelled { repo: repo_id });
        }
        let file = sibling.rfilename.clone();
        fetch_verified(
            &repo,
            &snapshot,
            sibling,
            &on_hub(&file),
            &request.cancel,
            &mut |done| {
                progress(&DownloadProgress::Bytes {
                    file: file.clone(),
                    bytes_done: bytes_before + done,
                    bytes_total,
                });
            },
        )?;
        bytes_before += sibling.size.unwrap_or(0);
        progress(&DownloadProgress::Verified { file });
    }

    progress(&DownloadProgress::Installing);
    let path = ledge_llm::import::import_folder(&snapshot, models_dir, Some(&name), |_| {})
        .map_err(|error| match error {
            ledge_llm::Error::ModelExists { path } => DownloadError::AlreadyInstalled {
                name: name.clone(),
                path,
            },
            other => DownloadError::Install(other),
        })?;
    // Installed: the staged copy has served its purpose.
    let staged = repo_cache_dir(downloads_dir, &repo_id);
    if let Err(error) = fs::remove_dir_all(&staged) {
        tracing::warn!(path = %staged.display(), %error, "cannot remove the finished download");
    }
    tracing::info!(repo = %repo_id, path = %path.display(), "model installed");
    Ok(Downloaded {
        path,
        commit,
        files: files.iter().map(|f| f.rfilename.clone()).collect(),
        bytes: bytes_total,
    })
}

/// A part of a repository id: letters, digits, `-`, `_`, `.`, not starting with a dot.
fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && !part.starts_with('.')
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// The staging folder of one repository (the Hugging Face cache's naming).
fn repo_cache_dir(downloads_dir: &Path, repo_id: &str) -> PathBuf {
    downloads_dir.join(format!("models--{}", repo_id.replace('/', "--")))
}

/// Asks the hub's API what the revision is and which files it holds.
fn repo_info(
    api: &Api,
    hub: &Hub,
    repo_id: &str,
    revision: &str,
) -> Result<RepoInfo, DownloadError> {
    let what = format!("the model `{repo_id}`");
    let repo = api.repo(Repo::with_revision(
        repo_id.to_owned(),
        RepoType::Model,
        revision.to_owned(),
    ));
    let response = repo
        .info_request()
        .query("blobs", "true")
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .map_err(|error| unreachable_or(error, hub, &what))?;
    let status = response.status().as_u16();
    // The hub names the problem in a header; a missing repository answers 401 to a client
    // without a token, so that private repositories cannot be probed.
    let code = response
        .headers()
        .get("x-error-code")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let repo = repo_id.to_owned();
    match (status, code.as_str()) {
        (200, _) => {}
        (_, "RepoNotFound" | "RepositoryNotFound") | (404, "") => {
            return Err(DownloadError::RepoNotFound { repo });
        }
        (_, "RevisionNotFound") => {
            return Err(DownloadError::RevisionNotFound {
                repo,
                revision: revision.to_owned(),
            });
        }
        (401 | 403, _) => return Err(DownloadError::AccessDenied { repo, status }),
        (status, _) => return Err(DownloadError::Http { what, status }),
    }
    let mut body = response.into_body();
    let info: RepoInfo = body.read_json().map_err(|error| DownloadError::Protocol {
        what: what.clone(),
        reason: error.to_string(),
    })?;
    Ok(info)
}

/// A transport failure: unreachable when nothing answered, else an HTTP problem.
fn unreachable_or(error: ureq::Error, hub: &Hub, what: &str) -> DownloadError {
    match error {
        ureq::Error::StatusCode(status) => DownloadError::Http {
            what: what.to_owned(),
            status,
        },
        other => DownloadError::Unreachable {
            endpoint: hub.endpoint.clone(),
            reason: other.to_string(),
        },
    }
}

/// What a failed file download is translated with.
struct FileFailure<'a> {
    repo: &'a str,
    endpoint: &'a str,
    file: String,
    downloads_dir: &'a Path,
}

impl FileFailure<'_> {
    fn translate(&self, error: ApiError) -> DownloadError {
        let file = self.file.clone();
        match error {
            ApiError::RequestError(error) => match *error {
                ureq::Error::StatusCode(404) => DownloadError::Http {
                    what: file,
                    status: 404,
                },
                ureq::Error::StatusCode(status @ (401 | 403)) => DownloadError::AccessDenied {
                    repo: self.repo.to_owned(),
                    status,
                },
                ureq::Error::StatusCode(status) => DownloadError::Http { what: file, status },
                ureq::Error::Io(error) => self.io(error),
                ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
                    DownloadError::Unreachable {
                        endpoint: self.endpoint.to_owned(),
                        reason: error.to_string(),
                    }
                }
                other => DownloadError::Interrupted {
                    file,
                    reason: other.to_string(),
                },
            },
            ApiError::TooManyRetries(error) => self.translate(*error),
            ApiError::IoError(error) => self.io(error),
            ApiError::InvalidResume => DownloadError::Interrupted {
                file,
                reason: "the partial file is longer than the file".into(),
            },
            ApiError::LockAcquisition(path) => DownloadError::Write {
                path,
                source: std::io::Error::other("another download of this model is running"),
            },
            other => DownloadError::Protocol {
                what: file,
                reason: other.to_string(),
            },
        }
    }

    /// An I/O error: the disk's fault (full, read-only, no permission) or the network's.
    fn io(&self, error: std::io::Error) -> DownloadError {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::StorageFull
            | ErrorKind::QuotaExceeded
            | ErrorKind::ReadOnlyFilesystem
            | ErrorKind::PermissionDenied
            | ErrorKind::FileTooLarge
            | ErrorKind::WriteZero => DownloadError::Write {
                path: self.downloads_dir.to_path_buf(),
                source: error,
            },
            _ => DownloadError::Interrupted {
                file: self.file.clone(),
                reason: error.to_string(),
            },
        }
    }
}

/// Forwards `hf-hub`'s per-file progress as bytes done of the file, and stops the download
/// when it is cancelled.
struct FileProgress<'a> {
    done: u64,
    report: &'a mut dyn FnMut(u64),
    cancel: &'a CancelToken,
}

/// The unwinding payload that carries a cancellation out of `hf-hub` (see [`fetch_verified`]).
struct Cancelled;

impl hf_hub::api::Progress for FileProgress<'_> {
    fn init(&mut self, _size: usize, _filename: &str) {
        // Called at every attempt, before `update` with what a resumed attempt starts from.
        self.done = 0;
    }

    fn update(&mut self, size: usize) {
        if self.cancel.is_cancelled() {
            // `resume_unwind` runs no panic hook: nothing is printed or logged as a panic.
            std::panic::resume_unwind(Box::new(Cancelled));
        }
        self.done += size as u64;
        (self.report)(self.done);
    }

    fn finish(&mut self) {}
}

/// Downloads one file (or finds it already downloaded and intact) and checks it; returns its
/// path in the staged snapshot.
fn fetch_verified(
    repo: &ApiRepo,
    snapshot: &Path,
    sibling: &Sibling,
    failure: &FileFailure<'_>,
    cancel: &CancelToken,
    report: &mut dyn FnMut(u64),
) -> Result<PathBuf, DownloadError> {
    let file = &sibling.rfilename;
    let staged = snapshot.join(file);
    if staged.is_file() {
        match verify(&staged, sibling) {
            Ok(()) => {
                tracing::debug!(file, "already downloaded");
                report(sibling.size.unwrap_or(0));
                return Ok(staged);
            }
            Err(DownloadError::ChecksumMismatch { .. }) => {
                tracing::info!(
                    file,
                    "an earlier download of this file was damaged: fetching it again"
                );
            }
            Err(other) => return Err(other),
        }
    }
    let progress = FileProgress {
        done: 0,
        report,
        cancel,
    };
    // `hf-hub`'s blocking client has no way to stop a transfer, but it reports progress after
    // every read: a cancelled download unwinds out of that report (see `FileProgress`) and is
    // caught here. On the way out it drops what it holds (the response, the partial file, its
    // lock file's lock), so the partial file stays for a resume. Needs `panic = "unwind"`,
    // Rust's default, which the workspace keeps.
    let fetched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        repo.download_with_progress(file, progress)
    }));
    let path = match fetched {
        Ok(outcome) => outcome.map_err(|error| failure.translate(error))?,
        Err(payload) if payload.is::<Cancelled>() => {
            return Err(DownloadError::Cancelled {
                repo: failure.repo.to_owned(),
            });
        }
        Err(payload) => std::panic::resume_unwind(payload),
    };
    verify(&path, sibling)?;
    Ok(path)
}

/// Checks a staged file against the hub's checksums; a damaged one is deleted (its snapshot
/// link and its blob), so that the next attempt downloads it afresh.
fn verify(path: &Path, sibling: &Sibling) -> Result<(), DownloadError> {
    let file = &sibling.rfilename;
    // The blob is named by the hub's etag: the sha256 of an LFS file, the git blob id of
    // another. The API's own LFS sha256, when given, must agree.
    let blob = fs::canonicalize(path).map_err(|source| DownloadError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    let etag = blob
        .file_name()
        .map(|name| {
            name.to_string_lossy()
                .trim_start_matches("W/")
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let expected_lfs = sibling
        .lfs
        .as_ref()
        .map(|lfs| lfs.sha256.to_ascii_lowercase());
    let check = if let Some(sha256) = expected_lfs {
        Some(("sha256", sha256))
    } else if is_hex(&etag, 64) {
        Some(("sha256", etag.clone()))
    } else if is_hex(&etag, 40) {
        Some(("git sha1", etag.clone()))
    } else {
        tracing::warn!(
            file,
            etag,
            "the hub gave no checksum this version knows; file not checked"
        );
        None
    };
    let Some((algorithm, expected)) = check else {
        return Ok(());
    };
    let actual = digest(&blob, algorithm).map_err(|source| DownloadError::Write {
        path: blob.clone(),
        source,
    })?;
    // An LFS blob is named by the etag the file was served with: it must be the same sha256.
    let etag_disagrees = algorithm == "sha256" && is_hex(&etag, 64) && etag != expected;
    if actual == expected && !etag_disagrees {
        tracing::debug!(file, algorithm, "checksum matches");
        return Ok(());
    }
    for damaged in [path, blob.as_path()] {
        if let Err(error) = fs::remove_file(damaged) {
            tracing::warn!(path = %damaged.display(), %error, "cannot remove a damaged download");
        }
    }
    Err(DownloadError::ChecksumMismatch {
        file: file.clone(),
        algorithm,
        expected,
        actual,
    })
}

fn is_hex(text: &str, length: usize) -> bool {
    text.len() == length && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The file's sha256, or its git blob id (sha1 over `blob {length}\0` and the bytes).
fn digest(path: &Path, algorithm: &str) -> std::io::Result<String> {
    let mut file = fs::File::open(path)?;
    let length = file.metadata()?.len();
    let mut buffer = vec![0u8; 1 << 20];
    let mut sha256 = Sha256::new();
    let mut sha1 = Sha1::new();
    let git = algorithm != "sha256";
    if git {
        sha1.update(format!("blob {length}\0").as_bytes());
    }
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        if git {
            sha1.update(&buffer[..read]);
        } else {
            sha256.update(&buffer[..read]);
        }
    }
    Ok(if git {
        hex(&sha1.finalize())
    } else {
        hex(&sha256.finalize())
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn git_blob_ids_and_sha256_match_git_and_sha256sum() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("f");
        fs::write(&path, b"hello\n").unwrap();
        // `printf 'hello\n' | git hash-object --stdin` and `sha256sum`.
        assert_eq!(
            digest(&path, "git sha1").unwrap(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            digest(&path, "sha256").unwrap(),
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
    }

    #[test]
    fn repository_ids_are_owner_slash_name() {
        for good in ["HuggingFaceTB", "mlx-community", "Qwen2.5-0.5B_x"] {
            assert!(valid_part(good), "{good}");
        }
        for bad in ["", ".hidden", "a b", "a/b", "..", "ä"] {
            assert!(!valid_part(bad), "{bad}");
        }
        assert_eq!(
            repo_cache_dir(Path::new("/d"), "org/name"),
            Path::new("/d/models--org--name")
        );
    }
}
