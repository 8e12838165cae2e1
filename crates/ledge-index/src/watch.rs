//! Watching the indexed folders for changes: [`Watcher`] turns the operating system's file
//! events (inotify on Linux, FSEvents on macOS, through the `notify` crate) into debounced
//! batches of changed paths, which the caller hands to
//! [`Index::refresh_paths`](crate::Index::refresh_paths).
//!
//! The watcher only reports; it never touches the index, so [`Index`](crate::Index) stays a
//! plain blocking value the caller owns. Events arrive on a `notify` thread, are gathered on
//! a `ledge-watch` thread and go out over a `std::sync::mpsc` channel; an async caller can
//! read it from a blocking task. Reads are not changes: `Access` events (the indexer reading a
//! file, or `notify` listing a folder, causes them) are dropped, so a refresh never triggers
//! another.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::{Error, Index, Result};

/// The quiet time after a change before its batch is sent.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(500);

/// Under a steady stream of changes a batch still goes out this many quiet times after its
/// first change, so a busy folder (a build writing files) does not starve the index.
const MAX_DELAY_FACTOR: u32 = 6;

/// Paths that changed (created, modified, deleted, renamed from or to) in a quiet period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchBatch {
    /// The changed paths, each once, sorted.
    pub paths: Vec<PathBuf>,
    /// The watcher reported an error or lost events (a full event queue): refresh the whole
    /// index ([`Index::refresh_all`](crate::Index::refresh_all)) to be sure.
    pub rescan: bool,
}

/// Watches folders recursively and sends [`WatchBatch`]es; stops when dropped (the receiver
/// then reports the channel closed).
pub struct Watcher {
    watcher: RecommendedWatcher,
    folders: Vec<PathBuf>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("folders", &self.folders)
            .finish_non_exhaustive()
    }
}

fn watch_error(error: impl std::fmt::Display) -> Error {
    Error::Watch {
        message: error.to_string(),
    }
}

impl Watcher {
    /// Watches `folders`; paths under `ignored` (the index's own folder) are never reported.
    /// Batches come on the returned receiver once changes have settled for `debounce`.
    pub fn new(
        folders: &[PathBuf],
        ignored: &[PathBuf],
        debounce: Duration,
    ) -> Result<(Watcher, Receiver<WatchBatch>)> {
        let (sender, receiver) = channel();
        let ignored: Vec<PathBuf> = ignored
            .iter()
            .flat_map(|p| [p.clone(), p.canonicalize().unwrap_or_else(|_| p.clone())])
            .collect();
        let (events, raw) = channel();
        let watcher = notify::recommended_watcher(events).map_err(watch_error)?;
        thread::Builder::new()
            .name("ledge-watch".to_owned())
            .spawn(move || debounce_loop(&raw, &sender, &ignored, debounce))
            .map_err(watch_error)?;
        let mut watcher = Watcher {
            watcher,
            folders: Vec::new(),
        };
        for folder in folders {
            watcher.watch(folder)?;
        }
        Ok((watcher, receiver))
    }

    /// Watches every folder of `index`, leaving out its own folder.
    pub fn for_index(index: &Index, debounce: Duration) -> Result<(Watcher, Receiver<WatchBatch>)> {
        let folders: Vec<PathBuf> = index.folders()?.into_iter().map(|f| f.path).collect();
        Watcher::new(&folders, index.never_indexed(), debounce)
    }

    /// Starts watching one more folder (after [`Index::add_folder`](crate::Index::add_folder)).
    pub fn watch(&mut self, folder: &Path) -> Result<()> {
        self.watcher
            .watch(folder, RecursiveMode::Recursive)
            .map_err(watch_error)?;
        self.folders.push(folder.to_path_buf());
        tracing::debug!(folder = %folder.display(), "watching");
        Ok(())
    }

    /// Stops watching a folder (after [`Index::remove_folder`](crate::Index::remove_folder)).
    pub fn unwatch(&mut self, folder: &Path) -> Result<()> {
        self.watcher.unwatch(folder).map_err(watch_error)?;
        self.folders.retain(|f| f != folder);
        Ok(())
    }

    /// The folders watched.
    pub fn folders(&self) -> &[PathBuf] {
        &self.folders
    }
}

/// Gathers raw events into batches: a batch goes out once no event came for `debounce`, or
/// `MAX_DELAY_FACTOR` times that after its first event. Reads and ignored paths are left out.
/// Ends when the watcher is dropped (and its sender with it) or nobody listens.
fn debounce_loop(
    raw: &Receiver<notify::Result<Event>>,
    sender: &Sender<WatchBatch>,
    ignored: &[PathBuf],
    debounce: Duration,
) {
    let mut paths = BTreeSet::new();
    let mut rescan = false;
    let mut first: Option<Instant> = None;
    loop {
        let received = match first {
            None => raw.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(_) => raw.recv_timeout(debounce),
        };
        let quiet = match received {
            Ok(Ok(event)) => {
                let lost = event.need_rescan();
                if lost || !matches!(event.kind, EventKind::Access(_)) {
                    rescan |= lost;
                    let before = paths.len();
                    paths.extend(
                        event
                            .paths
                            .into_iter()
                            .filter(|path| !ignored.iter().any(|i| path.starts_with(i))),
                    );
                    if paths.len() > before || lost {
                        first.get_or_insert_with(Instant::now);
                    }
                }
                false
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "file watcher error; a full refresh is needed");
                rescan = true;
                first.get_or_insert_with(Instant::now);
                false
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let Some(since) = first else {
            continue;
        };
        if quiet || since.elapsed() >= debounce * MAX_DELAY_FACTOR {
            let batch = WatchBatch {
                paths: std::mem::take(&mut paths).into_iter().collect(),
                rescan: std::mem::take(&mut rescan),
            };
            first = None;
            if sender.send(batch).is_err() {
                return;
            }
        }
    }
}
