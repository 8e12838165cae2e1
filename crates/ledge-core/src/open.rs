//! Putting an assistant together from the data folder: the index, the chosen chat model, the
//! embedder (when installed and the index has its vectors) and the conversation store.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ledge_index::Index;
use ledge_llm::Runtime;
use ledge_llm::generate::Generator;

use crate::assistant::{Assistant, AssistantSettings};
use crate::embedding::EmbeddingModel;
use crate::registry::{ModelEntry, ModelRegistry};
use crate::store::Store;
use crate::{DEFAULT_MODEL_SETTING, DataDir, Error, Result, STORE_FILE};

/// The model name an answer records when no chat model was installed.
pub const NO_CHAT_MODEL_NAME: &str = "none (quotes only)";

/// Whether to search by meaning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EmbedderChoice {
    /// The installed embedding model, when the index holds its vectors.
    #[default]
    Auto,
    /// Words only.
    Off,
    /// This embedding model (a name or a folder).
    Named(String),
}

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The chat model (a name or a folder); default: the default-model setting, else the
    /// only chat model installed.
    pub chat_model: Option<String>,
    /// The embedder.
    pub embedder: EmbedderChoice,
    /// How answers are made.
    pub settings: AssistantSettings,
}

/// A step of loading, for progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadStep {
    /// Opening the index.
    Index,
    /// Loading the chat model.
    ChatModel(String),
    /// Loading the embedding model.
    Embedder(String),
}

/// The models Ledge finds: its own `models/` folder, then `extra` folders.
pub fn registry(data_dir: &DataDir, extra: Vec<PathBuf>) -> ModelRegistry {
    ModelRegistry::new(data_dir.models_dir(), extra)
}

/// Opens the assistant's database in the data folder.
pub fn open_store(data_dir: &DataDir) -> Result<Store> {
    Store::open(&data_dir.root().join(STORE_FILE))
}

/// The chat model `requested`, else the default setting, else the only one installed.
pub fn choose_chat_model(
    registry: &ModelRegistry,
    store: &Store,
    requested: Option<&str>,
) -> Result<ModelEntry> {
    let default = store.setting(DEFAULT_MODEL_SETTING)?;
    registry.chat_model(requested, default.as_deref())
}

impl Assistant {
    /// Loads everything an assistant needs from `data_dir`, reporting each step.
    pub fn open(
        data_dir: &DataDir,
        extra_model_dirs: Vec<PathBuf>,
        options: OpenOptions,
        on_step: &mut dyn FnMut(LoadStep),
    ) -> Result<Assistant> {
        let registry = registry(data_dir, extra_model_dirs);
        let store = open_store(data_dir)?;
        // No chat model installed (and none asked for): the assistant answers with quotes.
        let chat = match choose_chat_model(&registry, &store, options.chat_model.as_deref()) {
            Ok(chat) => Some(chat),
            Err(Error::NoChatModel) if options.chat_model.is_none() => None,
            Err(error) => return Err(error),
        };

        on_step(LoadStep::Index);
        let index = Index::open(&data_dir.index_dir())?;

        let embedder_entry = match &options.embedder {
            EmbedderChoice::Off => None,
            EmbedderChoice::Auto => registry.embedding_model(None)?,
            EmbedderChoice::Named(name) => Some(registry.embedding_model(Some(name))?.ok_or_else(
                || Error::NoSuchModel {
                    name: name.clone(),
                    installed: Vec::new(),
                },
            )?),
        };

        let runtime_path = chat
            .as_ref()
            .map(|chat| chat.path.clone())
            .or_else(|| embedder_entry.as_ref().map(|entry| entry.path.clone()));
        if let Some(path) = runtime_path {
            Runtime::init().map_err(|source| Error::Model { path, source })?;
        }
        let embedder = match embedder_entry {
            Some(entry) => {
                let (embedded, _) = index.embedding_status(&entry.name)?;
                // Vectors only help when the index has them for this model.
                if embedded > 0 || options.embedder != EmbedderChoice::Auto {
                    on_step(LoadStep::Embedder(entry.name.clone()));
                    Some(Arc::new(Mutex::new(EmbeddingModel::load(&entry.path)?)))
                } else {
                    None
                }
            }
            None => None,
        };

        let (generator, model_name) = match chat {
            Some(chat) => {
                on_step(LoadStep::ChatModel(chat.name.clone()));
                let generator = Generator::load(&chat.path).map_err(|source| Error::Model {
                    path: chat.path.clone(),
                    source,
                })?;
                (Some(Arc::new(Mutex::new(generator))), chat.name)
            }
            None => (None, NO_CHAT_MODEL_NAME.to_owned()),
        };
        Ok(Assistant::new(
            Arc::new(Mutex::new(index)),
            generator,
            model_name,
            embedder,
            store,
            options.settings,
        ))
    }
}
