//! Background indexing: one worker thread runs a queue of jobs (scan a folder, re-read paths a
//! watcher reported, embed new passages) against the index the assistant also reads.
//!
//! A scan holds the index for the whole folder, so anything that needs the index sooner
//! *interrupts* the job: pausing, and every question ([`Indexer::hold`]). The job is cancelled
//! (the index commits what it did, file by file) and stays first in the queue; when the
//! pause or the question ends it runs again, and since a scan skips files whose size and time
//! are unchanged and embedding resumes after the last stored vector, nothing is redone.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ledge_core::embedding::EmbeddingModel;
use ledge_index::{CancelToken, EmbedProgress, Index, IndexOptions, Progress, WatchBatch, Watcher};

use crate::view::{IndexingPhase, IndexingState};

/// Passages embedded per committed batch: small, so a question interrupts embedding quickly.
const EMBED_BATCH: usize = 8;

/// How often progress is reported at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(150);

/// One unit of background work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Index a folder (added now, or re-read: only what changed is read again).
    Folder(PathBuf),
    /// Re-read every indexed folder (at start, and when the watcher lost track).
    Everything,
    /// Re-read these paths (a watcher batch).
    Paths(Vec<PathBuf>),
    /// Embed the passages that have no vector yet.
    Embed,
}

/// Receives the indexing state whenever it changes.
pub type StateSink = Arc<dyn Fn(&IndexingState) + Send + Sync>;

struct Queue {
    jobs: VecDeque<Job>,
    paused: bool,
    holds: usize,
    shutdown: bool,
    /// The token of the job running now.
    current: Option<CancelToken>,
}

struct Shared {
    index: Arc<Mutex<Index>>,
    embedder: Mutex<Option<Arc<Mutex<EmbeddingModel>>>>,
    queue: Mutex<Queue>,
    wake: Condvar,
    state: Mutex<IndexingState>,
    sink: StateSink,
    watcher: Mutex<Option<Watcher>>,
}

/// The background indexer; dropping it stops the worker after its current file.
pub struct Indexer {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("state", &*lock(&self.shared.state))
            .finish_non_exhaustive()
    }
}

/// While alive, indexing stays out of the index's way (see [`Indexer::hold`]).
pub struct Hold {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hold")
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let shared = &self.shared;
        let mut queue = lock(&shared.queue);
        queue.holds = queue.holds.saturating_sub(1);
        shared.wake.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Indexer {
    /// Starts the worker over `index`, watching its folders for changes (when the platform's
    /// watcher starts; otherwise changes are picked up at the next start). `sink` gets every
    /// change of state.
    pub fn start(index: Arc<Mutex<Index>>, sink: StateSink) -> Indexer {
        let watched = Watcher::for_index(&lock(&index), ledge_index::DEFAULT_DEBOUNCE);
        let shared = Arc::new(Shared {
            index,
            embedder: Mutex::new(None),
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                paused: false,
                holds: 0,
                shutdown: false,
                current: None,
            }),
            wake: Condvar::new(),
            state: Mutex::new(IndexingState::default()),
            sink,
            watcher: Mutex::new(None),
        });
        match watched {
            Ok((watcher, batches)) => {
                *lock(&shared.watcher) = Some(watcher);
                let weak = Arc::downgrade(&shared);
                let spawned = thread::Builder::new()
                    .name("ledge-watch-jobs".to_owned())
                    .spawn(move || {
                        for batch in batches {
                            let Some(shared) = weak.upgrade() else { break };
                            enqueue(&shared, watch_job(batch));
                        }
                    });
                if let Err(error) = spawned {
                    tracing::warn!(%error, "cannot start the watcher thread");
                }
            }
            Err(error) => tracing::warn!(%error, "cannot watch the indexed folders"),
        }
        let worker = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("ledge-indexer".to_owned())
                .spawn(move || work(&shared))
        };
        let worker = match worker {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::error!(%error, "cannot start the indexing thread");
                None
            }
        };
        Indexer { shared, worker }
    }

    /// Queues `job` (a job already queued is not queued twice).
    pub fn enqueue(&self, job: Job) {
        enqueue(&self.shared, job);
    }

    /// Starts watching `folder` (after it was added).
    pub fn watch(&self, folder: &std::path::Path) {
        if let Some(watcher) = lock(&self.shared.watcher).as_mut()
            && let Err(error) = watcher.watch(folder)
        {
            tracing::warn!(%error, folder = %folder.display(), "cannot watch");
        }
    }

    /// Stops watching `folder` and drops its queued jobs (before it is removed).
    pub fn forget(&self, folder: &std::path::Path) {
        if let Some(watcher) = lock(&self.shared.watcher).as_mut() {
            let _ = watcher.unwatch(folder);
        }
        let mut queue = lock(&self.shared.queue);
        queue
            .jobs
            .retain(|job| !matches!(job, Job::Folder(path) if path.starts_with(folder)));
        if let Some(current) = &queue.current {
            current.cancel();
        }
    }

    /// Uses `embedder` to embed new passages after each scan (`None`: words only).
    pub fn set_embedder(&self, embedder: Option<Arc<Mutex<EmbeddingModel>>>) {
        let has = embedder.is_some();
        *lock(&self.shared.embedder) = embedder;
        if has {
            self.enqueue(Job::Embed);
        }
    }

    /// Pauses: the running job stops after its current file or batch and waits.
    pub fn pause(&self) {
        let mut queue = lock(&self.shared.queue);
        queue.paused = true;
        if let Some(current) = &queue.current {
            current.cancel();
        }
        drop(queue);
        self.update(|state| state.paused = true);
    }

    /// Goes on after [`pause`](Self::pause).
    pub fn resume(&self) {
        lock(&self.shared.queue).paused = false;
        self.shared.wake.notify_all();
        self.update(|state| state.paused = false);
    }

    /// Keeps indexing off the index until the returned guard is dropped: a question takes the
    /// index at once instead of waiting for a folder scan to end.
    pub fn hold(&self) -> Hold {
        let mut queue = lock(&self.shared.queue);
        queue.holds += 1;
        if let Some(current) = &queue.current {
            current.cancel();
        }
        Hold {
            shared: Arc::clone(&self.shared),
        }
    }

    /// The state now.
    pub fn state(&self) -> IndexingState {
        lock(&self.shared.state).clone()
    }

    /// Whether nothing is queued or running (and the worker is not paused with work left).
    pub fn is_idle(&self) -> bool {
        let queue = lock(&self.shared.queue);
        queue.jobs.is_empty() && queue.current.is_none()
    }

    /// Waits until the queue is empty, at most `timeout`; returns whether it is.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut queue = lock(&self.shared.queue);
        while !(queue.jobs.is_empty() && queue.current.is_none()) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            queue = self
                .shared
                .wake
                .wait_timeout(queue, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    fn update(&self, change: impl FnOnce(&mut IndexingState)) {
        update(&self.shared, change);
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        {
            let mut queue = lock(&self.shared.queue);
            queue.shutdown = true;
            if let Some(current) = &queue.current {
                current.cancel();
            }
        }
        self.shared.wake.notify_all();
        *lock(&self.shared.watcher) = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn watch_job(batch: WatchBatch) -> Job {
    if batch.rescan {
        Job::Everything
    } else {
        Job::Paths(batch.paths)
    }
}

fn enqueue(shared: &Shared, job: Job) {
    {
        let mut guard = lock(&shared.queue);
        let queue = &mut *guard;
        let idle = queue.current.is_none();
        let already = queue.jobs.contains(&job);
        match (job, queue.jobs.back_mut()) {
            // Consecutive watcher batches merge into one refresh.
            (Job::Paths(new), Some(Job::Paths(queued))) if idle => {
                queued.extend(new);
                queued.sort();
                queued.dedup();
            }
            _ if already => {}
            (job, _) => queue.jobs.push_back(job),
        }
    }
    shared.wake.notify_all();
    update(shared, |state| state.running = true);
}

fn update(shared: &Shared, change: impl FnOnce(&mut IndexingState)) {
    let snapshot = {
        let mut state = lock(&shared.state);
        let before = state.clone();
        change(&mut state);
        (*state != before).then(|| state.clone())
    };
    if let Some(state) = snapshot {
        (shared.sink)(&state);
    }
}

/// The next job to run, once the worker may run one; `None` at shutdown.
fn next_job(shared: &Shared) -> Option<(Job, CancelToken)> {
    let mut queue = lock(&shared.queue);
    loop {
        if queue.shutdown {
            return None;
        }
        if !queue.paused
            && queue.holds == 0
            && let Some(job) = queue.jobs.front().cloned()
        {
            let token = CancelToken::new();
            queue.current = Some(token.clone());
            return Some((job, token));
        }
        queue = shared
            .wake
            .wait(queue)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

fn work(shared: &Shared) {
    while let Some((job, cancel)) = next_job(shared) {
        update(shared, |state| {
            state.running = true;
            state.phase = match job {
                Job::Embed => IndexingPhase::Embedding,
                _ => IndexingPhase::Scanning,
            };
            state.done = 0;
            state.total = None;
            state.current = None;
            state.folder = match &job {
                Job::Folder(path) => Some(path.display().to_string()),
                _ => None,
            };
        });
        let outcome = run(shared, &job, &cancel);
        let mut queue = lock(&shared.queue);
        let interrupted = matches!(outcome, Err(ledge_index::Error::Cancelled));
        if !interrupted {
            if let Some(position) = queue.jobs.iter().position(|queued| *queued == job) {
                queue.jobs.remove(position);
            }
            let scanned = !matches!(job, Job::Embed) && outcome.is_ok();
            if scanned && lock(&shared.embedder).is_some() && !queue.jobs.contains(&Job::Embed) {
                queue.jobs.push_back(Job::Embed);
            }
        }
        let idle = queue.jobs.is_empty();
        drop(queue);
        update(shared, |state| {
            match &outcome {
                Err(error) if !interrupted => {
                    tracing::warn!(%error, ?job, "indexing job failed");
                    state.last_error = Some(error.to_string());
                }
                Ok(()) => state.last_error = None,
                Err(_) => {}
            }
            if idle {
                state.running = false;
                state.phase = IndexingPhase::Idle;
                state.current = None;
                state.folder = None;
                state.total = None;
                state.done = 0;
            }
        });
        // Only now is the job over for `wait_idle`: whoever it wakes has seen the last state
        // of the job through the sink (it once woke first and read a state still running).
        lock(&shared.queue).current = None;
        shared.wake.notify_all();
    }
}

fn run(shared: &Shared, job: &Job, cancel: &CancelToken) -> ledge_index::Result<()> {
    let mut last = Instant::now() - PROGRESS_EVERY;
    let mut on_progress = |progress: &Progress| {
        let finished = progress.current.is_none();
        if !finished && last.elapsed() < PROGRESS_EVERY {
            return;
        }
        last = Instant::now();
        update(shared, |state| {
            state.done = progress.files_done;
            state.total = Some(progress.files_total);
            state.current = progress.current.as_ref().map(|p| p.display().to_string());
        });
    };
    match job {
        Job::Folder(path) => {
            let mut index = lock(&shared.index);
            let known = index.folders()?.iter().any(|f| f.path == *path);
            let report = if known {
                index.refresh(path, &mut on_progress, cancel)?
            } else {
                index.add_folder(path, &IndexOptions::default(), &mut on_progress, cancel)?
            };
            tracing::info!(folder = %path.display(), indexed = report.indexed, deleted = report.deleted, "folder indexed");
        }
        Job::Everything => {
            lock(&shared.index).refresh_all(&mut on_progress, cancel)?;
        }
        Job::Paths(paths) => {
            lock(&shared.index).refresh_paths(paths, &mut on_progress, cancel)?;
        }
        Job::Embed => {
            let Some(embedder) = lock(&shared.embedder).clone() else {
                return Ok(());
            };
            let mut model = embedder.lock().unwrap_or_else(PoisonError::into_inner);
            let mut index = lock(&shared.index);
            let mut on_embedded = |progress: EmbedProgress| {
                if last.elapsed() < PROGRESS_EVERY && progress.done < progress.total {
                    return;
                }
                last = Instant::now();
                update(shared, |state| {
                    state.done = progress.done;
                    state.total = Some(progress.total);
                });
            };
            index.embed_pending(&mut *model, EMBED_BATCH, &mut on_embedded, cancel)?;
        }
    }
    Ok(())
}
