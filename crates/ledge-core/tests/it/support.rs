//! The shared fixture: models imported once, a corpus of real documents, data folders.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ledge_core::DataDir;
use ledge_core::DataDirSource;
use ledge_core::embedding::EmbeddingModel;
use ledge_index::{CancelToken, Index, IndexOptions};
use ledge_llm::import::{ImportOptions, import_folder, import_gguf};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

static MODELS: OnceLock<tempfile::TempDir> = OnceLock::new();

/// Statics are never dropped: the shared models are removed when the test binary exits
/// (else every run would leave a few hundred MB in the temporary folder).
extern "C" fn remove_models() {
    if let Some(dir) = MODELS.get() {
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

/// A folder of models shared by all tests: SmolLM2 (chat) and all-MiniLM-L6-v2 (embedding),
/// imported through the same library calls `ledge models import` uses.
pub fn models() -> &'static Path {
    MODELS
        .get_or_init(|| {
            ledge_llm::Runtime::init().unwrap();
            let dir = tempfile::tempdir().unwrap();
            // SAFETY: registers a function that takes and captures nothing.
            unsafe { libc::atexit(remove_models) };
            let gguf = repo().join("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
            let embedder = repo().join("models/all-MiniLM-L6-v2");
            assert!(
                gguf.is_file() && embedder.is_dir(),
                "test models missing: run `scripts/setup.sh models`"
            );
            let options = ImportOptions {
                name: Some("smollm2".into()),
                ..ImportOptions::default()
            };
            import_gguf(&gguf, dir.path(), &options, |_| {}).unwrap();
            import_folder(&embedder, dir.path(), None, |_| {}).unwrap();
            dir
        })
        .path()
}

/// The chat model's folder.
pub fn chat_model() -> PathBuf {
    models().join("smollm2")
}

/// The embedding model's folder.
pub fn embedding_model() -> PathBuf {
    models().join("all-MiniLM-L6-v2")
}

/// The licences the corpus is made of: (file in tests/data/common-licenses, a copy of Debian's /usr/share/common-licenses, name in the corpus).
pub const CORPUS: &[(&str, &str)] = &[
    ("Apache-2.0", "apache-2.0.txt"),
    ("MPL-2.0", "mpl-2.0.txt"),
    ("BSD", "bsd.txt"),
    ("CC0-1.0", "cc0-1.0.txt"),
    ("Artistic", "artistic.txt"),
];

/// A fresh data folder and a corpus folder (copies of real licence texts).
pub struct Fixture {
    _temp: tempfile::TempDir,
    pub data_dir: DataDir,
    pub corpus: PathBuf,
    pub outside: PathBuf,
}

impl Fixture {
    /// The data folder, the corpus, and a folder of files that are not indexed.
    pub fn new() -> Fixture {
        let temp = tempfile::tempdir().unwrap();
        let data_dir = DataDir::open(temp.path().join("home"), DataDirSource::LedgeHome).unwrap();
        let corpus = temp.path().join("docs");
        std::fs::create_dir_all(&corpus).unwrap();
        for (source, name) in CORPUS {
            let from = Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/common-licenses"
            ))
            .join(source);
            std::fs::copy(&from, corpus.join(name))
                .unwrap_or_else(|e| panic!("{}: {e} (base-files should ship it)", from.display()));
        }
        let outside = temp.path().join("elsewhere");
        std::fs::create_dir_all(&outside).unwrap();
        Fixture {
            _temp: temp,
            data_dir,
            corpus,
            outside,
        }
    }

    /// Indexes the corpus, with vectors from the embedding model when `vectors`.
    pub fn index(&self, vectors: bool) {
        let mut index = Index::open(&self.data_dir.index_dir()).unwrap();
        let report = index
            .add_folder(
                &self.corpus,
                &IndexOptions::default(),
                &mut |_| {},
                &CancelToken::new(),
            )
            .unwrap();
        assert_eq!(report.indexed as usize, CORPUS.len(), "{report:?}");
        if vectors {
            let mut embedder = EmbeddingModel::load(&embedding_model()).unwrap();
            index
                .embed_pending(&mut embedder, 32, &mut |_| {}, &CancelToken::new())
                .unwrap();
            let (embedded, chunks) = index.embedding_status(embedder.id()).unwrap();
            assert_eq!(embedded, chunks);
            assert!(chunks > 10);
        }
    }
}
