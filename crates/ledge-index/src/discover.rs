//! Discovery: which files under an indexed folder Ledge may read.
//!
//! The walk (the `ignore` crate) honours `.gitignore`, `.ignore` and `.git/info/exclude`, even
//! outside a Git repository; hidden files and folders are skipped unless the folder's
//! [`IndexOptions::include_hidden`] says otherwise. Whatever the options, a built-in deny-list
//! of secrets ([`DENY_LIST`]: SSH and GnuPG keys, cloud credentials, keychains, password
//! stores, `.env` files, private keys, browser profiles) is never entered or read; with
//! [`IndexOptions::follow_links`] a link's target is checked against it too. The user's own
//! exclude globs come on top.
//!
//! Copies a documentation generator writes beside the pages it made are left out too
//! ([`generator_copy`]): Sphinx's `_sources/` (the reStructuredText of every HTML page) and
//! `searchindex.js` (every word of the site in one line), Doxygen's `search/` folder. Each
//! repeats the text of a page that is indexed anyway, so it only ever ranks beside or above
//! the page a person can read.
//!
//! Only regular files are returned (never FIFOs, sockets or devices, which could block a read).
//! Symlink loops, unreadable folders and paths that are not UTF-8 do not stop the walk: each
//! becomes a [`Problem`] recorded against its path.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::{CancelToken, Error, Result};

mod paths;

pub(crate) use paths::discover_paths;

/// Files larger than this are skipped unless the options say otherwise (32 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Paths that hold secrets and are never indexed, as globs matched against every path
/// component sequence (`.ssh` matches `/home/me/.ssh` and everything below it).
pub const DENY_LIST: &[&str] = &[
    // keys and credentials
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".kube",
    ".docker/config.json",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
    ".config/gh/hosts.yml",
    // keychains and password stores
    "*.keychain",
    "*.keychain-db",
    "Library/Keychains",
    ".password-store",
    "*.kdbx",
    "*.kdb",
    ".local/share/keyrings",
    // environment files and private keys
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    // browser profiles (cookies, saved passwords, history)
    ".mozilla",
    ".thunderbird",
    ".config/google-chrome",
    ".config/chromium",
    ".config/BraveSoftware",
    ".config/microsoft-edge",
    "snap/firefox",
    "Library/Application Support/Google/Chrome",
    "Library/Application Support/Firefox",
    "Library/Application Support/BraveSoftware",
    "Library/Application Support/Microsoft Edge",
    "Library/Safari",
    "Library/Cookies",
];

/// How one folder is indexed; stored with the folder and reused by every refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexOptions {
    /// Also index hidden files and folders (names starting with `.`). The deny-list still
    /// applies. Default: false.
    pub include_hidden: bool,
    /// Follow symbolic links (loops are detected and reported). Default: false, so a link can
    /// never lead the index out of the folder.
    pub follow_links: bool,
    /// The user's exclude globs. A pattern without `/` matches a file or folder name anywhere
    /// (`*.log`, `node_modules`); one with `/` matches the path relative to the folder
    /// (`drafts/**`).
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped with a recorded reason.
    pub max_file_bytes: u64,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            include_hidden: false,
            follow_links: false,
            exclude: Vec::new(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// A path the walk could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file or folder.
    pub path: PathBuf,
    /// What went wrong, in words.
    pub message: String,
}

/// A regular file found by the walk.
#[derive(Debug, Clone)]
pub(crate) struct FoundFile {
    pub path: PathBuf,
    /// The path as UTF-8, as the catalog stores it.
    pub key: String,
    pub size: u64,
    pub mtime_ns: i64,
}

/// What a walk found.
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    pub files: Vec<FoundFile>,
    pub problems: Vec<Problem>,
    /// Files and folders left out by the secrets deny-list.
    pub denied: u64,
    /// Files left out because they are links (when not following) or not regular files.
    pub not_regular: u64,
    /// Files and folders left out as a documentation generator's copies ([`generator_copy`]).
    pub generated: u64,
}

/// Whether `path` is a copy a documentation generator made of text that its pages hold
/// (see the module docs). Only entries with these exact names cost a look at their folder.
pub(crate) fn generator_copy(path: &Path, is_dir: bool) -> bool {
    let (Some(name), Some(parent)) = (path.file_name(), path.parent()) else {
        return false;
    };
    let sphinx_build = || parent.join("objects.inv").is_file() || parent.join("_static").is_dir();
    match (name.to_str(), is_dir) {
        (Some("_sources"), true) => sphinx_build(),
        (Some("searchindex.js"), false) => sphinx_build(),
        (Some("search"), true) => parent.join("doxygen.css").is_file(),
        _ => false,
    }
}

/// Builds a matcher for `patterns`, each matching a path or any path below it.
fn deny_matcher(patterns: &[&str]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        for glob in [format!("**/{pattern}"), format!("**/{pattern}/**")] {
            builder.add(compile(&glob, pattern)?);
        }
    }
    builder.build().map_err(|e| bad_pattern("deny-list", &e))
}

/// Builds the matcher for the user's exclude globs (matched against relative paths).
fn exclude_matcher(patterns: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let trimmed = pattern.trim().trim_end_matches('/');
        if trimmed.is_empty() {
            continue;
        }
        let anchored = trimmed.trim_start_matches('/');
        let globs = if trimmed.contains('/') {
            vec![anchored.to_owned(), format!("{anchored}/**")]
        } else {
            vec![format!("**/{anchored}"), format!("**/{anchored}/**")]
        };
        for glob in globs {
            builder.add(compile(&glob, pattern)?);
        }
    }
    builder.build().map_err(|e| bad_pattern("exclude list", &e))
}

fn compile(glob: &str, pattern: &str) -> Result<globset::Glob> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map_err(|e| bad_pattern(pattern, &e))
}

fn bad_pattern(pattern: &str, error: &globset::Error) -> Error {
    Error::BadExcludePattern {
        pattern: pattern.to_owned(),
        message: error.kind().to_string(),
    }
}

/// Checks the user's exclude globs without walking anything.
pub(crate) fn validate_excludes(patterns: &[String]) -> Result<()> {
    exclude_matcher(patterns).map(|_| ())
}

/// Whether the built-in deny-list covers `path` (an absolute path).
pub fn is_denied(path: &Path) -> bool {
    deny_matcher(DENY_LIST).is_ok_and(|set| set.is_match(path))
}

/// Walks `root` (absolute, canonical) and returns the files Ledge may read. `skip` lists
/// folders never to enter (Ledge's own data folder).
pub(crate) fn discover(
    root: &Path,
    options: &IndexOptions,
    skip: &[PathBuf],
    cancel: &CancelToken,
) -> Result<Discovered> {
    walk(root, root, options, skip, None, cancel)
}

/// Walks `start`, a folder at or under the indexed folder `root`, as [`discover`] walks
/// `root`; `above` holds the ignore rules of the folders between `root` and `start`, which a
/// walk beginning at `start` would not read.
fn walk(
    root: &Path,
    start: &Path,
    options: &IndexOptions,
    skip: &[PathBuf],
    above: Option<Arc<paths::IgnoreRules>>,
    cancel: &CancelToken,
) -> Result<Discovered> {
    let deny = Arc::new(deny_matcher(DENY_LIST)?);
    let exclude = Arc::new(exclude_matcher(&options.exclude)?);
    let denied = Arc::new(AtomicU64::new(0));
    let generated = Arc::new(AtomicU64::new(0));
    let mut found = Discovered::default();
    if deny.is_match(start) {
        found.denied += 1;
        return Ok(found);
    }

    let filter = {
        let (deny, exclude, denied, generated) = (
            deny.clone(),
            exclude.clone(),
            denied.clone(),
            generated.clone(),
        );
        let root = root.to_path_buf();
        let skip = skip.to_vec();
        move |entry: &ignore::DirEntry| {
            let path = entry.path();
            if deny.is_match(path) {
                denied.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            if skip.iter().any(|s| path.starts_with(s)) {
                return false;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if generator_copy(path, is_dir) {
                generated.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            if above
                .as_ref()
                .is_some_and(|rules| rules.ignores(path, is_dir))
            {
                return false;
            }
            match path.strip_prefix(&root) {
                Ok(relative) if !relative.as_os_str().is_empty() => !exclude.is_match(relative),
                _ => true,
            }
        }
    };
    let walker = ignore::WalkBuilder::new(start)
        .hidden(!options.include_hidden)
        .follow_links(options.follow_links)
        .require_git(false)
        .git_global(false)
        .parents(false)
        .filter_entry(filter)
        .build();

    for entry in walker {
        cancel.wait_while_paused();
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error_path(&error).unwrap_or_else(|| root.to_path_buf());
                tracing::debug!(path = %path.display(), %error, "walk problem");
                found.problems.push(Problem {
                    path,
                    message: error_message(&error),
                });
                continue;
            }
        };
        let Some(file_type) = entry.file_type() else {
            continue; // stdin, never produced for a folder walk
        };
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            found.not_regular += 1;
            continue;
        }
        let path = entry.path();
        if entry.path_is_symlink() {
            // Followed link: the target must not be a secret either.
            match fs::canonicalize(path) {
                Ok(target) if deny.is_match(&target) => {
                    found.denied += 1;
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    found.problems.push(Problem {
                        path: path.to_path_buf(),
                        message: error.to_string(),
                    });
                    continue;
                }
            }
        }
        let Some(key) = path.to_str() else {
            found.problems.push(Problem {
                path: path.to_path_buf(),
                message: "the path is not valid UTF-8; Ledge cannot record it".to_owned(),
            });
            continue;
        };
        match entry.metadata() {
            Ok(metadata) => found.files.push(FoundFile {
                key: key.to_owned(),
                path: path.to_path_buf(),
                size: metadata.len(),
                mtime_ns: mtime_ns(&metadata),
            }),
            Err(error) => found.problems.push(Problem {
                path: path.to_path_buf(),
                message: error_message(&error),
            }),
        }
    }
    found.denied += denied.load(Ordering::Relaxed);
    found.generated += generated.load(Ordering::Relaxed);
    found.files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found)
}

/// Modification time in nanoseconds since the epoch (0 when unknown).
pub(crate) fn mtime_ns(metadata: &fs::Metadata) -> i64 {
    metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errors) => errors.first().and_then(error_path),
        _ => None,
    }
}

fn error_message(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_message(err),
        ignore::Error::Loop { ancestor, .. } => {
            format!("symbolic link loop back to {}", ancestor.display())
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deny_list_covers_secrets_anywhere_and_nothing_ordinary() {
        for secret in [
            "/home/me/.ssh",
            "/home/me/.ssh/id_rsa",
            "/home/me/project/.env",
            "/home/me/project/.env.production",
            "/home/me/.config/gcloud/credentials.db",
            "/home/me/.docker/config.json",
            "/home/me/certs/server.pem",
            "/home/me/backup/id_rsa.pub",
            "/home/me/Passwords.kdbx",
            "/Users/me/Library/Application Support/Google/Chrome/Default/Cookies",
            "/home/me/.mozilla/firefox/abc.default/logins.json",
        ] {
            assert!(is_denied(Path::new(secret)), "{secret} must be denied");
        }
        for ordinary in [
            "/home/me/notes/ssh.md",
            "/home/me/project/env.rs",
            "/home/me/project/.environment-notes/x.txt",
            "/home/me/.docker/daemon-notes.md",
            "/home/me/keys.txt",
            "/home/me/project/README.md",
        ] {
            assert!(
                !is_denied(Path::new(ordinary)),
                "{ordinary} must be allowed"
            );
        }
    }

    #[test]
    fn exclude_patterns_match_names_anywhere_or_relative_paths() {
        let set = exclude_matcher(&["*.log".into(), "drafts/".into(), "a/b/*.md".into()]).unwrap();
        assert!(set.is_match("x/y/server.log"));
        assert!(set.is_match("drafts/one.md"));
        assert!(set.is_match("deep/drafts/one.md"));
        assert!(set.is_match("a/b/c.md"));
        assert!(!set.is_match("z/a/b/c.md"));
        assert!(!set.is_match("notes/log.md"));
        assert!(matches!(
            validate_excludes(&["[oops".into()]),
            Err(Error::BadExcludePattern { .. })
        ));
    }
}
