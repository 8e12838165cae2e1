//! Discovery of a few paths inside an indexed folder (what a file watcher reports), with the
//! rules of a full walk: the deny-list, the data folder, the user's excludes, hidden files,
//! and the `.gitignore`/`.ignore` files of every folder from the indexed folder down.
//!
//! A path that is a folder is walked like the indexed folder itself, with the ignore rules of
//! the folders above it added (a walk that begins inside a folder would not read them). Two
//! simplifications against a full walk: a rule below the path cannot re-include (`!pattern`)
//! what a rule above it ignores, and `.git/info/exclude` above the path is not read.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{
    DENY_LIST, Discovered, FoundFile, IndexOptions, Problem, deny_matcher, exclude_matcher,
    generator_copy, mtime_ns, walk,
};
use crate::{CancelToken, Error, Result};

/// The ignore files of a chain of folders, outermost first.
#[derive(Debug)]
pub(crate) struct IgnoreRules {
    folders: Vec<(PathBuf, Gitignore)>,
}

impl IgnoreRules {
    /// The rules of `root` and of each folder below it down to `dir` (inclusive).
    fn load(root: &Path, dir: &Path) -> IgnoreRules {
        let mut folders = Vec::new();
        let mut current = root.to_path_buf();
        let relative = dir.strip_prefix(root).unwrap_or(Path::new(""));
        let mut chain = vec![current.clone()];
        for component in relative.components() {
            current.push(component);
            chain.push(current.clone());
        }
        for folder in chain {
            let mut builder = GitignoreBuilder::new(&folder);
            let mut any = false;
            // `.ignore` after `.gitignore`: the last matching rule wins, as in the walk.
            for name in [".gitignore", ".ignore"] {
                let file = folder.join(name);
                if file.is_file() {
                    any = true;
                    if let Some(error) = builder.add(&file) {
                        tracing::debug!(path = %file.display(), %error, "ignore file");
                    }
                }
            }
            if any && let Ok(rules) = builder.build() {
                folders.push((folder, rules));
            }
        }
        IgnoreRules { folders }
    }

    /// Whether a rule of a folder above `path` ignores it (the deepest matching rule decides).
    pub fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        for (folder, rules) in self.folders.iter().rev() {
            if path == folder || !path.starts_with(folder) {
                continue;
            }
            match rules.matched(path, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
}

/// What a full walk of `root` would find at `paths` (absolute paths under `root`; a path that
/// no longer exists finds nothing).
pub(crate) fn discover_paths(
    root: &Path,
    options: &IndexOptions,
    skip: &[PathBuf],
    paths: &[PathBuf],
    cancel: &CancelToken,
) -> Result<Discovered> {
    let deny = deny_matcher(DENY_LIST)?;
    let exclude = exclude_matcher(&options.exclude)?;
    let mut found = Discovered::default();
    for path in paths {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let Some(parent) = path.parent().filter(|_| !relative.as_os_str().is_empty()) else {
            merge(&mut found, walk(root, root, options, skip, None, cancel)?);
            continue;
        };
        let metadata = match fs::symlink_metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => {
                found.problems.push(problem(path, &error));
                continue;
            }
        };
        let rules = IgnoreRules::load(root, parent);
        let is_dir = metadata.is_dir();
        let mut current = root.to_path_buf();
        let mut allowed = true;
        for component in relative.components() {
            current.push(component);
            let last = current == *path;
            let hidden = component.as_os_str().to_string_lossy().starts_with('.');
            if deny.is_match(&current) {
                found.denied += 1;
                allowed = false;
            } else if generator_copy(&current, !last || is_dir) {
                found.generated += 1;
                allowed = false;
            } else if skip.iter().any(|s| current.starts_with(s))
                || current
                    .strip_prefix(root)
                    .is_ok_and(|r| exclude.is_match(r))
                || (hidden && !options.include_hidden)
                || rules.ignores(&current, !last || is_dir)
            {
                allowed = false;
            }
            if !allowed {
                break;
            }
        }
        if !allowed {
            continue;
        }
        let metadata = if metadata.file_type().is_symlink() {
            if !options.follow_links {
                found.not_regular += 1;
                continue;
            }
            match fs::canonicalize(path).and_then(|target| Ok((fs::metadata(&target)?, target))) {
                Ok((_, target)) if deny.is_match(&target) => {
                    found.denied += 1;
                    continue;
                }
                Ok((metadata, _)) => metadata,
                Err(error) => {
                    found.problems.push(problem(path, &error));
                    continue;
                }
            }
        } else {
            metadata
        };
        if metadata.is_dir() {
            let above = Arc::new(IgnoreRules::load(root, parent));
            merge(
                &mut found,
                walk(root, path, options, skip, Some(above), cancel)?,
            );
        } else if !metadata.is_file() {
            found.not_regular += 1;
        } else if let Some(key) = path.to_str() {
            found.files.push(FoundFile {
                key: key.to_owned(),
                path: path.clone(),
                size: metadata.len(),
                mtime_ns: mtime_ns(&metadata),
            });
        } else {
            found.problems.push(Problem {
                path: path.clone(),
                message: "the path is not valid UTF-8; Ledge cannot record it".to_owned(),
            });
        }
    }
    found.files.sort_by(|a, b| a.key.cmp(&b.key));
    found.files.dedup_by(|a, b| a.key == b.key);
    Ok(found)
}

fn merge(into: &mut Discovered, from: Discovered) {
    into.files.extend(from.files);
    into.problems.extend(from.problems);
    into.denied += from.denied;
    into.not_regular += from.not_regular;
    into.generated += from.generated;
}

fn problem(path: &Path, error: &io::Error) -> Problem {
    Problem {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}
