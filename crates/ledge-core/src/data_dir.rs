//! Ledge's data folder: the one place all of Ledge's state lives (index, catalog,
//! conversations, settings, installed models), and nothing else is written.
//!
//! Which folder: `LEDGE_HOME` when the user sets it, otherwise the platform's application
//! data folder: `~/Library/Application Support/Ledge` on macOS, `$XDG_DATA_HOME/ledge`
//! (default `~/.local/share/ledge`) on Linux. The shell looks both up and calls
//! [`DataDir::resolve`]; the core never reads the environment.
//!
//! A folder Ledge creates is readable by the user only (0700 on Unix). A folder that already
//! exists is used as it is and never re-permissioned (it may be the user's own), but
//! [`DataDir::is_private`] lets `ledge doctor` warn about it.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Why this data folder was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDirSource {
    /// The `LEDGE_HOME` environment variable.
    LedgeHome,
    /// The platform's application data folder.
    Platform,
}

/// Ledge's data folder, created and ready to use.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    source: DataDirSource,
    created: bool,
}

/// The folder name under the platform data folder.
const PLATFORM_FOLDER_NAME: &str = if cfg!(target_os = "macos") {
    "Ledge"
} else {
    "ledge"
};

impl DataDir {
    /// Chooses the data folder from `LEDGE_HOME` (`ledge_home`, ignored when empty) or the
    /// platform's data folder (`platform_data_dir`, e.g. `dirs::data_dir()`), and creates it.
    pub fn resolve(
        ledge_home: Option<OsString>,
        platform_data_dir: Option<PathBuf>,
    ) -> Result<DataDir> {
        match (
            ledge_home.filter(|value| !value.is_empty()),
            platform_data_dir,
        ) {
            (Some(home), _) => DataDir::open(PathBuf::from(home), DataDirSource::LedgeHome),
            (None, Some(platform)) => {
                DataDir::open(platform.join(PLATFORM_FOLDER_NAME), DataDirSource::Platform)
            }
            (None, None) => Err(Error::NoDataDir),
        }
    }

    /// Uses `root` as the data folder, creating it (and missing parents) if needed.
    pub fn open(root: PathBuf, source: DataDirSource) -> Result<DataDir> {
        let unusable = |source| Error::DataDirUnusable {
            path: root.clone(),
            source,
        };
        let created = match fs::metadata(&root) {
            Ok(metadata) if metadata.is_dir() => false,
            Ok(_) => return Err(Error::DataDirNotAFolder { path: root }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                create_private_dir(&root).map_err(unusable)?;
                tracing::info!(path = %root.display(), "created the data folder");
                true
            }
            Err(error) => return Err(unusable(error)),
        };
        // Resolve symlinks and relative paths once, so every path handed out is absolute.
        let root = fs::canonicalize(&root).map_err(unusable)?;
        Ok(DataDir {
            root,
            source,
            created,
        })
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Why this folder was chosen.
    pub fn source(&self) -> DataDirSource {
        self.source
    }

    /// Whether this call created the folder (a first run).
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// Where installed models live.
    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// Where model downloads are kept while they are incomplete (a Hugging Face cache layout,
    /// so that an interrupted download resumes); emptied of a repository once it is installed.
    pub fn downloads_dir(&self) -> PathBuf {
        self.root.join("downloads")
    }

    /// Where the file index lives (its SQLite catalog and full-text index).
    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }

    /// Whether only the owner can read the folder (always true where permissions are not
    /// Unix modes).
    pub fn is_private(&self) -> Result<bool> {
        let metadata = fs::metadata(&self.root).map_err(|source| Error::DataDirUnusable {
            path: self.root.clone(),
            source,
        })?;
        Ok(mode_is_private(&metadata))
    }

    /// The Unix permission bits of the folder, for display.
    #[cfg(unix)]
    pub fn mode(&self) -> Option<u32> {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(&self.root)
            .ok()
            .map(|m| m.permissions().mode() & 0o777)
    }

    /// The Unix permission bits of the folder, for display.
    #[cfg(not(unix))]
    pub fn mode(&self) -> Option<u32> {
        None
    }
}

#[cfg(unix)]
fn create_private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    // Parents the user lacks (e.g. ~/.local/share) get ordinary permissions; the data folder
    // itself is created 0700 from the start, so it is never briefly readable by others.
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::DirBuilder::new().mode(0o700).create(path)
}

#[cfg(not(unix))]
fn create_private_dir(path: &Path) -> io::Result<()> {
    fs::create_dir_all(path)
}

#[cfg(unix)]
fn mode_is_private(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o077 == 0
}

#[cfg(not(unix))]
fn mode_is_private(_: &fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledge_home_wins_over_the_platform_folder() {
        let temp = tempfile::tempdir().unwrap();
        let home = temp.path().join("custom");
        let dir = DataDir::resolve(
            Some(home.clone().into()),
            Some(temp.path().join("platform")),
        )
        .unwrap();
        assert_eq!(dir.root(), fs::canonicalize(&home).unwrap());
        assert_eq!(dir.source(), DataDirSource::LedgeHome);
        assert_eq!(dir.index_dir(), dir.root().join("index"));
        assert_eq!(dir.models_dir(), dir.root().join("models"));
        assert!(
            !temp.path().join("platform").exists(),
            "the platform folder must stay untouched"
        );
    }

    #[test]
    fn an_empty_ledge_home_falls_back_to_the_platform_folder() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::resolve(Some(OsString::new()), Some(temp.path().to_path_buf())).unwrap();
        assert_eq!(
            dir.root(),
            temp.path()
                .canonicalize()
                .unwrap()
                .join(PLATFORM_FOLDER_NAME)
        );
        assert_eq!(dir.source(), DataDirSource::Platform);
    }

    #[test]
    fn no_folder_at_all_is_a_clear_error() {
        assert!(matches!(
            DataDir::resolve(None, None),
            Err(Error::NoDataDir)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_new_data_folder_is_private_with_its_missing_parents_created() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("a/b/ledge");
        let dir = DataDir::open(root, DataDirSource::LedgeHome).unwrap();
        assert!(dir.was_created());
        assert_eq!(dir.mode(), Some(0o700));
        assert!(dir.is_private().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_folder_is_used_as_it_is_and_reported_when_shared() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let dir = DataDir::open(temp.path().to_path_buf(), DataDirSource::LedgeHome).unwrap();
        assert!(!dir.was_created());
        assert_eq!(
            dir.mode(),
            Some(0o755),
            "an existing folder is never re-permissioned"
        );
        assert!(!dir.is_private().unwrap());
    }

    #[test]
    fn a_file_in_the_way_is_refused_and_left_alone() {
        let temp = tempfile::tempdir().unwrap();
        let file = temp.path().join("not-a-folder");
        fs::write(&file, b"user data").unwrap();
        let error = DataDir::open(file.clone(), DataDirSource::LedgeHome).unwrap_err();
        assert!(matches!(error, Error::DataDirNotAFolder { .. }), "{error}");
        assert_eq!(fs::read(&file).unwrap(), b"user data");
    }
}
