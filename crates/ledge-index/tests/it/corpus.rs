//! A temporary folder of real documents, and helpers to index and inspect it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ledge_index::{CancelToken, Index, IndexOptions, IndexReport, SearchHit};
use tempfile::TempDir;

pub const LICENSES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/data/common-licenses"
);

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A temporary folder with `docs/` (the user's documents) and `index/` (Ledge's index).
#[derive(Debug)]
pub struct Corpus {
    _temp: TempDir,
    pub docs: PathBuf,
    pub index_dir: PathBuf,
}

impl Corpus {
    /// `docs/` holds licence texts, a Markdown guide and two HTML pages.
    pub fn new() -> Corpus {
        let temp = tempfile::tempdir().unwrap();
        let docs = temp.path().join("docs");
        for (from, to) in [
            (format!("{LICENSES}/Apache-2.0"), "licenses/Apache-2.0"),
            (format!("{LICENSES}/GPL-3"), "licenses/GPL-3"),
            (format!("{LICENSES}/MPL-2.0"), "licenses/MPL-2.0"),
            (format!("{LICENSES}/BSD"), "licenses/BSD"),
            (format!("{LICENSES}/CC0-1.0"), "notes/edit-me.txt"),
        ] {
            copy(Path::new(&from), &docs.join(to));
        }
        for (from, to) in [
            ("node-console.md", "guides/node-console.md"),
            ("libffi-introduction.html", "web/libffi-introduction.html"),
            (
                "libffi-closure-example.html",
                "web/libffi-closure-example.html",
            ),
        ] {
            copy(&data(from), &docs.join(to));
        }
        let docs = docs.canonicalize().unwrap();
        Corpus {
            index_dir: temp.path().join("index"),
            _temp: temp,
            docs,
        }
    }

    /// An empty `docs/`, for tests that bring their own documents.
    pub fn empty() -> Corpus {
        let temp = tempfile::tempdir().unwrap();
        let docs = temp.path().join("docs");
        fs::create_dir_all(&docs).unwrap();
        let docs = docs.canonicalize().unwrap();
        Corpus {
            index_dir: temp.path().join("index"),
            _temp: temp,
            docs,
        }
    }

    /// The stored chunks of one file, in order: (page, heading, text), read straight from the
    /// catalog: each text cut from its zstd block (see migration 0005), without the index's
    /// code.
    pub fn chunks_of(&self, relative: &str) -> Vec<(Option<u32>, String, String)> {
        let conn = rusqlite::Connection::open(self.index_dir.join("catalog.sqlite3")).unwrap();
        let mut statement = conn
            .prepare(
                "SELECT c.page, c.heading, t.data, t.raw_bytes, c.text_start, c.text_end
                 FROM chunks c JOIN files f ON f.id = c.file_id
                 JOIN chunk_texts t ON t.id = c.text_block
                 WHERE f.path = ?1 ORDER BY c.ordinal",
            )
            .unwrap();
        let path = self.path(relative).to_str().unwrap().to_owned();
        statement
            .query_map([path], |row| {
                let data: Vec<u8> = row.get(2)?;
                let raw_bytes: usize = row.get(3)?;
                let (start, end): (usize, usize) = (row.get(4)?, row.get(5)?);
                let block = zstd::bulk::decompress(&data, raw_bytes).unwrap();
                let text = String::from_utf8(block[start..end].to_vec()).unwrap();
                Ok((row.get(0)?, row.get(1)?, text))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    pub fn open(&self) -> Index {
        Index::open(&self.index_dir).unwrap()
    }

    /// Adds `docs/` with `options` and returns the report.
    pub fn add(&self, index: &mut Index, options: &IndexOptions) -> IndexReport {
        index
            .add_folder(&self.docs, options, &mut |_| {}, &CancelToken::new())
            .unwrap()
    }

    pub fn refresh(&self, index: &mut Index) -> IndexReport {
        index
            .refresh(&self.docs, &mut |_| {}, &CancelToken::new())
            .unwrap()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.docs.join(relative)
    }

    /// The catalog's file rows: path -> (status, error).
    pub fn catalog_files(&self) -> BTreeMap<String, (String, Option<String>)> {
        let conn = rusqlite::Connection::open(self.index_dir.join("catalog.sqlite3")).unwrap();
        let mut statement = conn
            .prepare("SELECT path, status, error FROM files")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

pub fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}

/// Every file under `root` with its content hash and modification time.
pub fn fingerprint(root: &Path) -> BTreeMap<PathBuf, (blake3::Hash, std::time::SystemTime, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let hash = blake3::hash(&fs::read(&path).unwrap());
                out.insert(
                    path,
                    (hash, meta.modified().unwrap(), meta.permissions().mode()),
                );
            }
        }
    }
    out
}

/// Lines `start..=end` (1-based) of a file, joined with `\n`.
pub fn lines(path: &Path, start: u32, end: u32) -> String {
    let text = fs::read_to_string(path).unwrap();
    text.lines()
        .skip(start as usize - 1)
        .take((end - start + 1) as usize)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks that a hit's line range and byte range both give back the same text from the file.
pub fn assert_hit_points_into_its_file(hit: &SearchHit) -> String {
    let bytes = fs::read(&hit.path).unwrap();
    let by_bytes = std::str::from_utf8(&bytes[hit.byte_start as usize..hit.byte_end as usize])
        .unwrap()
        .to_owned();
    let by_lines = lines(&hit.path, hit.line_start, hit.line_end);
    assert_eq!(by_bytes, by_lines, "byte and line ranges disagree: {hit:?}");
    by_lines
}

/// Lower-cased words of `text`, for comparing across line breaks.
pub fn words(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn hit_paths(hits: &[SearchHit]) -> Vec<PathBuf> {
    hits.iter().map(|h| h.path.clone()).collect()
}
