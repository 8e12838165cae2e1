//! The running app's core: one [`Session`] per app. It owns the index (shared by the
//! assistant and the background [`Indexer`]), loads the chat model off the UI thread with
//! progress, answers questions on their own threads with a stop button, and keeps the app's
//! settings in the assistant's store.
//!
//! Every method returns quickly or says it blocks; the shell calls blocking ones from a
//! worker thread. State changes reach the shell through [`Events`].

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

use ledge_core::backend::manage::{self, NewBackend};
use ledge_core::catalog;
use ledge_core::download::{DownloadProgress, DownloadRequest, Hub, download_model};
use ledge_core::embedding::EmbeddingModel;
use ledge_core::registry::{ModelEntry, ModelRegistry, ModelRole};
use ledge_core::store::Store;
use ledge_core::{
    AnswerEvent, AskRequest, Assistant, AssistantSettings, DEFAULT_MODEL_SETTING, DataDir,
    NO_CHAT_MODEL_NAME, Source,
};
use ledge_index::{Index, IndexOptions};
use ledge_llm::Runtime;
use ledge_llm::generate::{CancelToken, Generator};
use ledge_llm::import::{ImportOptions, import_folder, import_gguf};

use crate::indexer::{Indexer, Job};
use crate::view::{
    AddedBackendView, AnswerSummary, AskEvent, BackendTestView, BackendsView, CatalogModelView,
    ConversationSummary, FolderView, IndexingState, MessageView, ModelState, ModelView,
    ProblemView, QuoteView, SearchHitView, SentenceView, SourceView, snippet_of,
};
use crate::{Error, Result};

/// Setting: whether the first-run onboarding was completed (`"1"`).
pub const ONBOARDED_SETTING: &str = "desktop.onboarded";
/// Setting: the global hotkey, as the shortcut parser reads it.
pub const HOTKEY_SETTING: &str = "desktop.hotkey";

/// The default global hotkey: Option+Space on a Mac, Ctrl+Alt+Space elsewhere.
pub const DEFAULT_HOTKEY: &str = if cfg!(target_os = "macos") {
    "Alt+Space"
} else {
    "Ctrl+Alt+Space"
};

/// Where the session reports state changes (the shell turns them into UI events).
pub trait Events: Send + Sync {
    /// Background indexing changed.
    fn indexing(&self, state: &IndexingState);
    /// The chat model's state changed.
    fn model(&self, state: &ModelState);
}

/// Where to find things.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The data folder.
    pub data_dir: DataDir,
    /// More folders to look for models in (`LEDGE_MODEL_PATH`).
    pub extra_model_dirs: Vec<PathBuf>,
    /// How answers are made.
    pub settings: AssistantSettings,
}

struct Shared {
    config: SessionConfig,
    index: Arc<Mutex<Index>>,
    store: Mutex<Store>,
    indexer: Mutex<Option<Indexer>>,
    assistant: Mutex<Option<Arc<Assistant>>>,
    embedder: Mutex<Option<Arc<Mutex<EmbeddingModel>>>>,
    model: Mutex<ModelState>,
    model_changed: Condvar,
    events: Arc<dyn Events>,
    answers: Mutex<HashMap<u64, CancelToken>>,
    next_answer: AtomicU64,
    /// The model download under way, if any.
    download: Mutex<Option<CancelToken>>,
}

/// Frees the one download slot however the download ends, a panic included.
struct DownloadSlot<'a>(&'a Mutex<Option<CancelToken>>);

impl Drop for DownloadSlot<'_> {
    fn drop(&mut self) {
        *lock(self.0) = None;
    }
}

/// The app's session; cheap to clone (clones share everything).
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("data_dir", &self.shared.config.data_dir.root())
            .field("model", &*lock(&self.shared.model))
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    /// Opens the index and the store in the data folder and starts background indexing:
    /// every indexed folder is re-read once (changes made while the app was closed) and then
    /// watched. Loads nothing heavy: the models load on [`load_model`](Self::load_model).
    pub fn open(config: SessionConfig, events: Arc<dyn Events>) -> Result<Session> {
        let mut index = Index::open(&config.data_dir.index_dir())?;
        index.never_index(config.data_dir.root());
        let store = ledge_core::open_store(&config.data_dir)?;
        let index = Arc::new(Mutex::new(index));
        let has_folders = !lock(&index).folders()?.is_empty();
        let shared = Arc::new(Shared {
            config,
            index: Arc::clone(&index),
            store: Mutex::new(store),
            indexer: Mutex::new(None),
            assistant: Mutex::new(None),
            embedder: Mutex::new(None),
            model: Mutex::new(ModelState::NotLoaded),
            model_changed: Condvar::new(),
            events,
            answers: Mutex::new(HashMap::new()),
            next_answer: AtomicU64::new(1),
            download: Mutex::new(None),
        });
        let session = Session { shared };
        session.start_indexer(index);
        if has_folders {
            session.indexer(|indexer| indexer.enqueue(Job::Everything));
        }
        let initial = match session.chat_model_entry() {
            Ok(Some(_)) => ModelState::NotLoaded,
            Ok(None) => ModelState::None,
            Err(error) => ModelState::Failed {
                message: error.to_string(),
            },
        };
        session.set_model_state(initial);
        Ok(session)
    }

    fn start_indexer(&self, index: Arc<Mutex<Index>>) {
        let events = Arc::clone(&self.shared.events);
        let indexer = Indexer::start(index, Arc::new(move |state| events.indexing(state)));
        *lock(&self.shared.indexer) = Some(indexer);
    }

    fn indexer<T>(&self, f: impl FnOnce(&Indexer) -> T) -> Option<T> {
        lock(&self.shared.indexer).as_ref().map(f)
    }

    /// The data folder.
    pub fn data_dir(&self) -> &DataDir {
        &self.shared.config.data_dir
    }

    fn registry(&self) -> ModelRegistry {
        ledge_core::registry(
            &self.shared.config.data_dir,
            self.shared.config.extra_model_dirs.clone(),
        )
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.shared.store)
    }

    /// A setting from the store.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.store().setting(key)?)
    }

    /// Stores (or, with `None`, removes) a setting.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        Ok(self.store().set_setting(key, value)?)
    }

    /// Whether the first-run onboarding was completed.
    pub fn onboarded(&self) -> Result<bool> {
        Ok(self.setting(ONBOARDED_SETTING)?.as_deref() == Some("1"))
    }

    /// The hotkey the person chose, or the default.
    pub fn hotkey(&self) -> Result<String> {
        Ok(self
            .setting(HOTKEY_SETTING)?
            .unwrap_or_else(|| DEFAULT_HOTKEY.to_owned()))
    }

    // ---- the chat model ----

    /// The chat model that would answer: the default setting, else the only one installed.
    pub fn chat_model_entry(&self) -> Result<Option<ModelEntry>> {
        let default = self.setting(DEFAULT_MODEL_SETTING)?;
        match self.registry().chat_model(None, default.as_deref()) {
            Ok(entry) => Ok(Some(entry)),
            Err(ledge_core::Error::NoChatModel) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The embedding model, when one is installed.
    pub fn embedder_entry(&self) -> Result<Option<ModelEntry>> {
        Ok(self.registry().embedding_model(None)?)
    }

    /// Where the chat model stands.
    pub fn model_state(&self) -> ModelState {
        lock(&self.shared.model).clone()
    }

    fn set_model_state(&self, state: ModelState) {
        *lock(&self.shared.model) = state.clone();
        self.shared.model_changed.notify_all();
        self.shared.events.model(&state);
    }

    /// Starts loading the chat model (and the embedder) in the background, unless loaded or
    /// loading. Progress and the outcome arrive as [`Events::model`].
    pub fn load_model(&self) {
        {
            let mut state = lock(&self.shared.model);
            if matches!(
                *state,
                ModelState::Loading { .. } | ModelState::Ready { .. }
            ) {
                return;
            }
            // No chat model, and the quotes-only assistant is already there.
            if *state == ModelState::None && lock(&self.shared.assistant).is_some() {
                return;
            }
            *state = ModelState::Loading {
                step: "Starting…".to_owned(),
            };
        }
        let session = self.clone();
        let spawned = thread::Builder::new()
            .name("ledge-load-model".to_owned())
            .spawn(move || {
                let outcome = session.load_blocking();
                let state = match outcome {
                    Ok(model) => ModelState::Ready { model },
                    Err(Error::NoChatModel) => ModelState::None,
                    Err(error) => ModelState::Failed {
                        message: error.to_string(),
                    },
                };
                session.set_model_state(state);
            });
        if let Err(error) = spawned {
            self.set_model_state(ModelState::Failed {
                message: format!("cannot start loading: {error}"),
            });
        }
    }

    fn load_blocking(&self) -> Result<String> {
        let step = |text: String| {
            self.set_model_state(ModelState::Loading { step: text });
        };
        // Without a chat model the assistant still answers, with quotes from the sources;
        // the state stays `None` so the UI keeps offering a model.
        let chat = self.chat_model_entry()?;
        let runtime_for = match &chat {
            Some(chat) => Some(chat.path.clone()),
            None => self.embedder_entry()?.map(|entry| entry.path),
        };
        if let Some(path) = runtime_for {
            step("Starting the model runtime…".to_owned());
            Runtime::init().map_err(|source| ledge_core::Error::Model { path, source })?;
        }
        let embedder = self.ensure_embedder()?;
        let generator = match &chat {
            Some(chat) => {
                step(format!("Loading {}…", chat.name));
                let generator =
                    Generator::load(&chat.path).map_err(|source| ledge_core::Error::Model {
                        path: chat.path.clone(),
                        source,
                    })?;
                Some(Arc::new(Mutex::new(generator)))
            }
            None => None,
        };
        let store = ledge_core::open_store(&self.shared.config.data_dir)?;
        let name = chat.as_ref().map_or(NO_CHAT_MODEL_NAME, |chat| &chat.name);
        let assistant = Assistant::new(
            Arc::clone(&self.shared.index),
            generator,
            name.to_owned(),
            embedder,
            store,
            self.shared.config.settings.clone(),
        );
        *lock(&self.shared.assistant) = Some(Arc::new(assistant));
        match chat {
            Some(chat) => Ok(chat.name),
            None => Err(Error::NoChatModel),
        }
    }

    /// Loads the embedding model once (when installed) and hands it to the indexer too.
    fn ensure_embedder(&self) -> Result<Option<Arc<Mutex<EmbeddingModel>>>> {
        if let Some(embedder) = lock(&self.shared.embedder).clone() {
            return Ok(Some(embedder));
        }
        let Some(entry) = self.embedder_entry()? else {
            return Ok(None);
        };
        self.set_model_state(ModelState::Loading {
            step: format!("Loading {}…", entry.name),
        });
        let model = Arc::new(Mutex::new(EmbeddingModel::load(&entry.path)?));
        *lock(&self.shared.embedder) = Some(Arc::clone(&model));
        self.indexer(|indexer| indexer.set_embedder(Some(Arc::clone(&model))));
        Ok(Some(model))
    }

    /// Waits for the model to load (starting it if needed) and returns the assistant.
    /// Blocks: call it off the UI thread.
    pub fn assistant(&self) -> Result<Arc<Assistant>> {
        self.load_model();
        let mut state = lock(&self.shared.model);
        loop {
            match &*state {
                ModelState::Ready { .. } => {
                    if let Some(assistant) = lock(&self.shared.assistant).clone() {
                        return Ok(assistant);
                    }
                }
                ModelState::Failed { message } => {
                    return Err(Error::ModelFailed {
                        message: message.clone(),
                    });
                }
                // No chat model: the quotes-only assistant, when loading made one.
                ModelState::None => {
                    return lock(&self.shared.assistant)
                        .clone()
                        .ok_or(Error::NoChatModel);
                }
                ModelState::NotLoaded | ModelState::Loading { .. } => {}
            }
            state = self
                .shared
                .model_changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Forgets the loaded models (after the default changed, or models were removed); the
    /// next question loads them again.
    pub fn unload_model(&self) -> Result<()> {
        *lock(&self.shared.assistant) = None;
        let state = match self.chat_model_entry()? {
            Some(_) => ModelState::NotLoaded,
            None => ModelState::None,
        };
        self.set_model_state(state);
        Ok(())
    }

    // ---- answers ----

    /// Asks `request.question` on a thread of its own; `on_event` gets the conversation, the
    /// sources, the text as it comes, and last a `done` or `error`. Returns the id
    /// [`stop_answer`](Self::stop_answer) takes. Background indexing steps aside until the
    /// answer ends.
    ///
    /// `request.backend` names the backend to answer with (`local` or an endpoint); `None`
    /// uses the conversation's, else the default. A name given is kept for the conversation.
    pub fn ask(
        &self,
        request: AskRequest,
        mut on_event: Box<dyn FnMut(AskEvent) + Send>,
    ) -> Result<u64> {
        if request.question.trim().is_empty() {
            return Err(Error::EmptyQuestion);
        }
        let id = self.shared.next_answer.fetch_add(1, Ordering::Relaxed);
        let cancel = CancelToken::new();
        lock(&self.shared.answers).insert(id, cancel.clone());
        let session = self.clone();
        thread::Builder::new()
            .name(format!("ledge-answer-{id}"))
            .spawn(move || {
                let outcome = session.answer(&request, &cancel, &mut on_event);
                lock(&session.shared.answers).remove(&id);
                match outcome {
                    Ok(summary) => on_event(AskEvent::Done { answer: summary }),
                    Err(error) => on_event(AskEvent::Error {
                        message: error.to_string(),
                    }),
                }
            })
            .map_err(|source| Error::Io {
                path: PathBuf::from("(thread)"),
                source,
            })?;
        Ok(id)
    }

    fn answer(
        &self,
        request: &AskRequest,
        cancel: &CancelToken,
        on_event: &mut dyn FnMut(AskEvent),
    ) -> Result<AnswerSummary> {
        let assistant = self.assistant()?;
        let _hold = self.indexer(Indexer::hold);
        let index = Arc::clone(&self.shared.index);
        let answer = assistant.ask(request, cancel, &mut |event| match event {
            AnswerEvent::Started { conversation } => on_event(AskEvent::Started {
                conversation_id: conversation,
            }),
            AnswerEvent::Sources(sources) => {
                let sources = source_views(&index, &sources);
                on_event(AskEvent::Sources { sources });
            }
            AnswerEvent::Quotes(quotes) => on_event(AskEvent::Quotes {
                quotes: quotes.iter().map(QuoteView::from).collect(),
            }),
            AnswerEvent::Text(text) => on_event(AskEvent::Text { text }),
            AnswerEvent::Checked(sentence) => on_event(AskEvent::Checked {
                sentence: SentenceView::from(&sentence),
            }),
            AnswerEvent::Fallback { reason } => on_event(AskEvent::Fallback { reason }),
            // The outcome is returned by `ask` itself.
            AnswerEvent::Done(_) => {}
        })?;
        Ok(AnswerSummary::from(&answer))
    }

    /// Stops an answer; what was written so far is kept. Unknown ids are ignored.
    pub fn stop_answer(&self, id: u64) {
        if let Some(cancel) = lock(&self.shared.answers).get(&id) {
            cancel.cancel();
        }
    }

    /// Searches the index: by words and meaning when the model is loaded, by words otherwise.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHitView>> {
        let assistant = lock(&self.shared.assistant).clone();
        if let Some(assistant) = assistant {
            let retrieval = assistant.search(query, limit)?;
            return Ok(retrieval
                .passages
                .iter()
                .map(|p| SearchHitView::from(&p.chunk))
                .collect());
        }
        let index = lock(&self.shared.index);
        let ids: Vec<i64> = index
            .search(query, limit)?
            .iter()
            .map(|hit| hit.chunk_id)
            .collect();
        let records = index.chunks(&ids)?;
        Ok(records.iter().map(SearchHitView::from).collect())
    }

    // ---- conversations ----

    /// The conversations, newest first.
    pub fn conversations(&self) -> Result<Vec<ConversationSummary>> {
        let store = self.store();
        let counts = store.message_counts()?;
        Ok(store
            .conversations()?
            .iter()
            .map(|c| ConversationSummary::new(c, counts.get(&c.id).copied().unwrap_or(0)))
            .collect())
    }

    /// One conversation's messages, oldest first.
    pub fn conversation(&self, id: i64) -> Result<Vec<MessageView>> {
        let messages = self.store().messages(id)?;
        let index = lock(&self.shared.index);
        let snippet = |source: &Source| {
            source
                .chunk_id
                .and_then(|chunk| index.chunks(&[chunk]).ok())
                .and_then(|records| records.first().map(snippet_of))
                .unwrap_or_default()
        };
        Ok(messages
            .iter()
            .map(|m| MessageView::new(m, &snippet))
            .collect())
    }

    /// Deletes a conversation.
    pub fn delete_conversation(&self, id: i64) -> Result<()> {
        Ok(self.store().delete_conversation(id)?)
    }

    /// The backend a conversation answers with: its own choice, else the default.
    pub fn conversation_backend(&self, id: i64) -> Result<String> {
        let store = self.store();
        match store.conversation_backend(id)? {
            Some(name) => Ok(name),
            None => Ok(manage::default_backend(&store)?),
        }
    }

    /// Makes a conversation answer with `backend` from now on.
    pub fn set_conversation_backend(&self, id: i64, backend: &str) -> Result<()> {
        Ok(manage::set_conversation_backend(
            &self.store(),
            id,
            backend,
        )?)
    }

    // ---- backends ----

    /// The built-in model and the endpoints added; with `discover`, the known servers
    /// answering on this machine too.
    pub fn backends(&self, discover: bool) -> Result<BackendsView> {
        let (mut list, endpoints) = {
            let store = self.store();
            (manage::list_backends(&store, false)?, store.backends()?)
        };
        // Discovery waits on the network: not while holding the store.
        if discover {
            list.found = manage::found_servers(&endpoints);
        }
        Ok(list.into())
    }

    /// Adds an endpoint (asking it for its models first when `new.check`).
    pub fn add_backend(&self, new: NewBackend) -> Result<AddedBackendView> {
        manage::refuse_taken_name(&self.store(), &new.name)?;
        let make_default = new.make_default;
        // Checking asks the server: not while holding the store.
        let added = manage::prepare_backend(new)?;
        manage::save_backend(&self.store(), &added, make_default)?;
        Ok(added.into())
    }

    /// Removes an endpoint; its conversations go back to the default backend.
    pub fn remove_backend(&self, name: &str) -> Result<()> {
        Ok(self.store().remove_backend(name)?)
    }

    /// Makes `name` the backend questions use by default.
    pub fn set_default_backend(&self, name: &str) -> Result<()> {
        Ok(manage::set_default_backend(&self.store(), name)?)
    }

    /// Asks an endpoint for a one-word reply and times it.
    pub fn test_backend(&self, name: &str) -> Result<BackendTestView> {
        let endpoint = manage::endpoint(&self.store(), name)?;
        let test = manage::test_backend(&endpoint).map_err(ledge_core::Error::from)?;
        Ok(test.into())
    }

    // ---- folders ----

    /// The indexed folders with their counts and problems.
    pub fn folders(&self) -> Result<Vec<FolderView>> {
        let index = lock(&self.shared.index);
        let mut out = Vec::new();
        for info in index.folders()? {
            let (walk, files) = index.folder_problems(&info.path)?;
            let problems = walk
                .into_iter()
                .map(|p| ProblemView {
                    path: p.path.display().to_string(),
                    reason: p.message,
                })
                .chain(files.into_iter().map(|(path, _code, message)| ProblemView {
                    path: path.display().to_string(),
                    reason: message,
                }))
                .collect();
            out.push(FolderView::new(&info, problems));
        }
        Ok(out)
    }

    /// Adds a folder; indexing runs in the background.
    pub fn add_folder(&self, path: &Path) -> Result<PathBuf> {
        let folder = fs::canonicalize(path)
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| ledge_index::Error::NotAFolder {
                path: path.to_path_buf(),
            })?;
        let overlapping = lock(&self.shared.index).folders()?.into_iter().find(|f| {
            f.path != folder && (f.path.starts_with(&folder) || folder.starts_with(&f.path))
        });
        if let Some(existing) = overlapping {
            return Err(ledge_index::Error::FolderOverlaps {
                path: folder,
                existing: existing.path,
            }
            .into());
        }
        self.indexer(|indexer| {
            indexer.enqueue(Job::Folder(folder.clone()));
            indexer.watch(&folder);
        });
        Ok(folder)
    }

    /// Sets a folder's own exclusions (globs: `*.log`, `node_modules`, `drafts/**`) and
    /// re-reads it in the background: what they exclude leaves the index.
    pub fn set_folder_exclusions(&self, path: &Path, patterns: Vec<String>) -> Result<()> {
        let patterns: Vec<String> = patterns
            .into_iter()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        let folder = {
            let mut index = lock(&self.shared.index);
            let info = index
                .folders()?
                .into_iter()
                .find(|f| f.path == path)
                .ok_or_else(|| ledge_index::Error::UnknownFolder {
                    path: path.to_path_buf(),
                })?;
            let options = IndexOptions {
                exclude: patterns,
                ..info.options
            };
            index.set_folder_options(&info.path, &options)?;
            info.path
        };
        self.indexer(|indexer| indexer.enqueue(Job::Folder(folder)));
        Ok(())
    }

    /// Removes a folder from the index (the folder itself is untouched).
    pub fn remove_folder(&self, path: &Path) -> Result<()> {
        let folder = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let _hold = self.indexer(|indexer| {
            indexer.forget(&folder);
            indexer.hold()
        });
        lock(&self.shared.index).remove_folder(&folder)?;
        Ok(())
    }

    /// Pauses background indexing.
    pub fn pause_indexing(&self) {
        self.indexer(Indexer::pause);
    }

    /// Resumes background indexing.
    pub fn resume_indexing(&self) {
        self.indexer(Indexer::resume);
    }

    /// Re-reads every folder now.
    pub fn refresh_all(&self) {
        self.indexer(|indexer| indexer.enqueue(Job::Everything));
    }

    /// Background indexing now.
    pub fn indexing(&self) -> IndexingState {
        self.indexer(Indexer::state).unwrap_or_default()
    }

    /// Waits until background indexing has nothing left to do (tests, the CLI), at most
    /// `timeout`; returns whether it finished.
    pub fn wait_indexed(&self, timeout: std::time::Duration) -> bool {
        self.indexer(|indexer| indexer.wait_idle(timeout))
            .unwrap_or(true)
    }

    // ---- models ----

    /// The installed models, the default chat model marked.
    pub fn models(&self) -> Result<Vec<ModelView>> {
        let default = self.chat_model_entry().ok().flatten().map(|e| e.name);
        Ok(self
            .registry()
            .list()?
            .iter()
            .map(|entry| {
                let is_default = entry.role == Some(ModelRole::Chat)
                    && default.as_deref() == Some(entry.name.as_str());
                ModelView::new(entry, is_default)
            })
            .collect())
    }

    /// The catalog's models for this computer's platform, judged for its memory, best first.
    pub fn catalog(&self) -> Result<Vec<CatalogModelView>> {
        let machine = catalog::Machine::this();
        let installed = self.registry().list()?;
        Ok(
            catalog::recommend(catalog::catalog()?, &machine, &installed)
                .into_iter()
                .filter(|r| r.fit != catalog::Fit::OtherPlatform)
                .map(CatalogModelView::from)
                .collect(),
        )
    }

    /// Makes `name` the default chat model; the next question loads it.
    pub fn set_default_model(&self, name: &str) -> Result<()> {
        let entry = self.registry().chat_model(Some(name), None)?;
        self.set_setting(DEFAULT_MODEL_SETTING, Some(&entry.name))?;
        let loaded = lock(&self.shared.assistant)
            .as_ref()
            .map(|a| a.model_name().to_owned());
        if loaded.is_some_and(|loaded| loaded != entry.name) {
            self.unload_model()?;
        }
        Ok(())
    }

    /// Imports a GGUF file or a model folder into the data folder. Blocks (minutes for big
    /// models); progress arrives as [`ModelState::Loading`] steps.
    pub fn import_model(&self, path: &Path) -> Result<PathBuf> {
        let models_dir = self.shared.config.data_dir.models_dir();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let report = |fraction: Option<f64>| {
            let step = match fraction {
                Some(f) => format!("Importing {name}: {:.0} %", f * 100.0),
                None => format!("Importing {name}…"),
            };
            self.shared.events.model(&ModelState::Loading { step });
        };
        report(None);
        let import_error = |source| Error::Import {
            path: path.to_path_buf(),
            source,
        };
        let installed = if path.is_dir() {
            import_folder(path, &models_dir, None, |_| report(None)).map_err(import_error)?
        } else {
            import_gguf(path, &models_dir, &ImportOptions::default(), |progress| {
                report(Some(progress.done as f64 / progress.total.max(1) as f64))
            })
            .map_err(import_error)?
        };
        // Back to the real state, which may now be "not loaded" instead of "none".
        if matches!(
            self.model_state(),
            ModelState::None | ModelState::Failed { .. }
        ) {
            // The quotes-only assistant gives way to one with the new model.
            *lock(&self.shared.assistant) = None;
            self.set_model_state(ModelState::NotLoaded);
        } else {
            self.shared.events.model(&self.model_state());
        }
        Ok(installed)
    }

    /// Downloads `repo` (`owner/name`) from the Hugging Face `hub` and installs it, showing
    /// its progress as the model state (as an import does). The one network access of the
    /// app, and only when the person asks for it; one download at a time, which
    /// [`cancel_download`](Self::cancel_download) stops. A cancelled or interrupted download
    /// resumes next time.
    pub fn download_model(&self, hub: &Hub, repo: &str, name: Option<String>) -> Result<PathBuf> {
        let cancel = CancelToken::new();
        {
            let mut running = lock(&self.shared.download);
            if running.is_some() {
                return Err(Error::DownloadRunning);
            }
            *running = Some(cancel.clone());
        }
        let _slot = DownloadSlot(&self.shared.download);
        self.download_with(hub, repo, name, cancel)
    }

    /// Stops the model download under way, if any; it ends with a "cancelled" error.
    pub fn cancel_download(&self) {
        if let Some(cancel) = lock(&self.shared.download).as_ref() {
            cancel.cancel();
        }
    }

    fn download_with(
        &self,
        hub: &Hub,
        repo: &str,
        name: Option<String>,
        cancel: CancelToken,
    ) -> Result<PathBuf> {
        let request = DownloadRequest {
            repo: repo.to_owned(),
            revision: None,
            name,
            cancel,
        };
        let report = |step: String| self.shared.events.model(&ModelState::Loading { step });
        report(format!("Downloading {repo}…"));
        let outcome = download_model(
            hub,
            &request,
            &self.shared.config.data_dir.downloads_dir(),
            &self.shared.config.data_dir.models_dir(),
            |event| match event {
                DownloadProgress::Bytes {
                    bytes_done,
                    bytes_total,
                    ..
                } => report(format!(
                    "Downloading {repo}: {:.0} % ({} of {} MB)",
                    *bytes_done as f64 * 100.0 / (*bytes_total).max(1) as f64,
                    bytes_done / 1_000_000,
                    bytes_total / 1_000_000
                )),
                DownloadProgress::Installing => {
                    report(format!("Checking that {repo} loads…"));
                }
                DownloadProgress::Planned { .. } | DownloadProgress::Verified { .. } => {}
            },
        );
        // Back to the real state, whatever happened.
        if matches!(
            self.model_state(),
            ModelState::None | ModelState::Failed { .. }
        ) && outcome.is_ok()
        {
            *lock(&self.shared.assistant) = None;
            self.set_model_state(ModelState::NotLoaded);
        } else {
            self.shared.events.model(&self.model_state());
        }
        let downloaded = outcome.map_err(ledge_core::Error::from)?;
        Ok(downloaded.path)
    }

    // ---- forgetting ----

    /// Deletes Ledge's index, conversations and settings (the installed models stay), and
    /// starts afresh. The person's own files are never touched.
    pub fn forget_everything(&self) -> Result<()> {
        for cancel in lock(&self.shared.answers).values() {
            cancel.cancel();
        }
        // Stop the worker and the watcher before the index goes.
        drop(lock(&self.shared.indexer).take());
        *lock(&self.shared.assistant) = None;
        let data_dir = &self.shared.config.data_dir;
        let index_dir = data_dir.index_dir();
        {
            let mut index = lock(&self.shared.index);
            let mut store = self.store();
            // Swap in throw-away handles so the files can be removed.
            *store = Store::in_memory()?;
            remove_path(&index_dir)?;
            let store_path = data_dir.root().join(ledge_core::STORE_FILE);
            for suffix in ["", "-wal", "-shm"] {
                remove_path(&PathBuf::from(format!("{}{suffix}", store_path.display())))?;
            }
            let mut fresh = Index::open(&index_dir)?;
            fresh.never_index(data_dir.root());
            *index = fresh;
            *store = ledge_core::open_store(data_dir)?;
        }
        self.start_indexer(Arc::clone(&self.shared.index));
        if let Some(embedder) = lock(&self.shared.embedder).clone() {
            self.indexer(|indexer| indexer.set_embedder(Some(embedder)));
        }
        self.unload_model()
    }
}

fn remove_path(path: &Path) -> Result<()> {
    let outcome = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    };
    outcome.map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The UI's view of `sources`, with passage text from the index where it has it.
fn source_views(index: &Mutex<Index>, sources: &[Source]) -> Vec<SourceView> {
    let ids: Vec<i64> = sources.iter().filter_map(|s| s.chunk_id).collect();
    let records = lock(index).chunks(&ids).unwrap_or_default();
    sources
        .iter()
        .map(|source| {
            let snippet = source
                .chunk_id
                .and_then(|id| records.iter().find(|r| r.chunk_id == id))
                .map(snippet_of)
                .unwrap_or_default();
            SourceView::new(source, snippet)
        })
        .collect()
}
