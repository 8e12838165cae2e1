//! What the test modules share: where the repository, the test models and the reference
//! Python environment are.

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A test model file installed by `scripts/setup.sh models`, by its path under `models/`.
pub fn model(relative: &str) -> PathBuf {
    let path = repo().join("models").join(relative);
    assert!(
        path.is_file(),
        "{} missing: run `scripts/setup.sh models`",
        path.display()
    );
    path
}

/// The test-only reference Python (`scripts/setup.sh reference`).
pub fn python() -> PathBuf {
    let python = repo().join(".deps/venv-ref/bin/python");
    assert!(
        python.is_file(),
        "reference Python missing: run `scripts/setup.sh reference`"
    );
    python
}
