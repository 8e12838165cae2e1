//! Refreshing just the paths a watcher reported, instead of walking whole folders.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::Index;
use crate::Result;
use crate::discover::discover_paths;
use crate::progress::{CancelToken, IndexReport, Progress};
use crate::scan::{Batch, scan};

impl Index {
    /// Brings the index up to date for `paths` only: files (new, changed, deleted) and
    /// folders (everything under them), each handled as a full [`refresh`](Self::refresh) of
    /// its indexed folder would handle it (that folder's options, the deny-list, excludes,
    /// hidden files, ignore files; see `discover`). A rename is picked up when both its old
    /// and new path are given, as a watcher reports them. Paths outside every indexed folder,
    /// and under the index's own folder, are passed over.
    ///
    /// One report sums the work over the folders involved (`folder` is the first of them).
    pub fn refresh_paths(
        &mut self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<IndexReport> {
        self.repair_if_dirty()?;
        let folders = self.catalog.folders()?;
        let never: Vec<PathBuf> = self
            .never_index
            .iter()
            .flat_map(|n| [n.clone(), fs::canonicalize(n).unwrap_or_else(|_| n.clone())])
            .collect();
        let mut by_folder: BTreeMap<usize, Vec<PathBuf>> = BTreeMap::new();
        for path in paths {
            let path = absolute(path);
            if never.iter().any(|n| path.starts_with(n)) {
                continue;
            }
            if let Some(position) = folders.iter().position(|f| path.starts_with(&f.path)) {
                let scope = by_folder.entry(position).or_default();
                if !scope.contains(&path) {
                    scope.push(path);
                }
            }
        }
        let mut total = IndexReport::default();
        for (position, scope) in by_folder {
            let folder = &folders[position];
            if !folder.path.is_dir() {
                tracing::warn!(folder = %folder.path.display(), "indexed folder is gone; not refreshed");
                continue;
            }
            let discovered = discover_paths(
                &folder.path,
                &folder.options,
                &self.never_index,
                &scope,
                cancel,
            )?;
            let mut batch = Batch::new(&self.catalog, &self.fulltext, self.crash)?;
            let outcome = scan(
                &mut batch,
                folder,
                discovered,
                Some(&scope),
                self.chunking,
                false,
                progress,
                cancel,
            );
            if outcome.is_err() {
                batch.abort();
            }
            add(&mut total, outcome?);
        }
        Ok(total)
    }
}

/// `path` with its folder resolved the way discovery records it (the file itself may be
/// gone, or a link, which must stay as named).
fn absolute(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

fn add(total: &mut IndexReport, report: IndexReport) {
    if total.folder.as_os_str().is_empty() {
        total.folder = report.folder;
    }
    total.files_found += report.files_found;
    total.indexed += report.indexed;
    total.unchanged += report.unchanged;
    total.touched += report.touched;
    total.renamed += report.renamed;
    total.deleted += report.deleted;
    total.skipped.extend(report.skipped);
    total.failed.extend(report.failed);
    total.problems.extend(report.problems);
    total.denied += report.denied;
    total.generated += report.generated;
    total.chunks_added += report.chunks_added;
    total.chunks_removed += report.chunks_removed;
    total.bytes_read += report.bytes_read;
    total.elapsed_ms += report.elapsed_ms;
}
