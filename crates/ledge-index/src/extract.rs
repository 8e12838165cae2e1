//! Extraction: from a file's bytes to the text that gets chunked, or a recorded reason not to.
//!
//! The kind of a file comes from its extension ([`Kind`]); files with an unknown extension or
//! none (`README`, `/usr/share/common-licenses/GPL-3`) are read and kept when their bytes are
//! text. Binary files (a NUL byte, or mostly invalid UTF-8), empty files and files over the
//! size cap are skipped with a [`SkipReason`]; known binary formats (images, archives, and
//! formats this version cannot read yet: legacy Office, OpenDocument) are skipped without
//! being read.
//!
//! Documents: PDF (text per page, see `pdf`), DOCX and EPUB (zip packages of XML, see
//! `office`) and RTF (see `rtf`). A file with an unknown extension that starts like a PDF or
//! an RTF document is read as one. A document that cannot be read (malformed, encrypted, a
//! decompression bomb, too slow) is skipped with its reason, and indexing goes on.
//!
//! User files are opened read-only, and read at most `cap + 1` bytes however large they are.
//!
//! Offsets: for text files that are valid UTF-8 (plain text, Markdown, code, CSV/JSON) the
//! extracted text *is* the file, so chunk byte offsets and line numbers point into the file.
//! HTML is converted to text without its navigation and other boilerplate (headings kept as
//! Markdown `#` lines, the title kept beside the text; see `html`), decoded by the charset it
//! declares when it is not UTF-8; elsewhere a few invalid UTF-8 bytes are replaced by U+FFFD:
//! there line numbers still hold for plain text but offsets refer to the extracted text. For documents, offsets and lines always refer to the extracted text.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

use serde::Serialize;

/// What kind of text a file holds; decides how it is chunked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Kind {
    /// Prose without markup.
    Plain,
    /// Markdown (headings and code fences structure the chunks).
    Markdown,
    /// Source code.
    Code,
    /// HTML, converted to Markdown-like text.
    Html,
    /// Structured data read as text: CSV, JSON, YAML, TOML, XML.
    Data,
    /// PDF: text per page; chunks never span pages and carry their page number.
    Pdf,
    /// Word (DOCX): paragraphs, headings as `#` lines.
    Docx,
    /// EPUB: chapters in reading order, converted like HTML.
    Epub,
    /// Rich Text Format, as plain text.
    Rtf,
}

impl Kind {
    /// The name stored in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Plain => "plain",
            Kind::Markdown => "markdown",
            Kind::Code => "code",
            Kind::Html => "html",
            Kind::Data => "data",
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Epub => "epub",
            Kind::Rtf => "rtf",
        }
    }
}

/// Why a file was not indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The file is empty (or only whitespace).
    Empty,
    /// The file is larger than the folder's size cap.
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The cap in bytes.
        limit: u64,
    },
    /// The file holds NUL bytes: it is binary.
    Binary,
    /// The file is mostly not valid UTF-8.
    NotText,
    /// A format this version does not read (images, archives, legacy office documents).
    Unsupported {
        /// The extension, lower-case.
        extension: String,
    },
    /// A document that needs a password to be read.
    Encrypted,
    /// A document that is damaged or not what its name says (truncated, garbage, a parser
    /// failure).
    Malformed {
        /// The format it was read as (`PDF`, `DOCX`, ...).
        format: String,
        /// What went wrong.
        detail: String,
    },
    /// A zip package (DOCX, EPUB) with too many entries or that unpacks to too much, or a PDF
    /// with a compressed stream that inflates past the limit: a decompression bomb, or at least
    /// not a document worth the memory.
    UnpackLimit {
        /// Which limit, and the numbers.
        detail: String,
    },
    /// Extraction took longer than the limit for one document.
    TimedOut {
        /// The limit in seconds.
        seconds: u64,
    },
    /// A document with no text to extract (a scanned PDF holds only images).
    NoText,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Empty => write!(f, "empty"),
            SkipReason::TooLarge { size, limit } => {
                write!(f, "too large ({size} bytes, limit {limit})")
            }
            SkipReason::Binary => write!(f, "binary"),
            SkipReason::NotText => write!(f, "not text (invalid UTF-8)"),
            SkipReason::Unsupported { extension } => write!(f, "unsupported type .{extension}"),
            SkipReason::Encrypted => write!(f, "encrypted (needs a password)"),
            SkipReason::Malformed { format, detail } => write!(f, "malformed {format}: {detail}"),
            SkipReason::UnpackLimit { detail } => write!(f, "refused ({detail})"),
            SkipReason::TimedOut { seconds } => {
                write!(f, "extraction took longer than {seconds} s")
            }
            SkipReason::NoText => write!(f, "no text (scanned images?)"),
        }
    }
}

impl SkipReason {
    /// A short stable name for counting reasons (`empty`, `too_large`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::Empty => "empty",
            SkipReason::TooLarge { .. } => "too_large",
            SkipReason::Binary => "binary",
            SkipReason::NotText => "not_text",
            SkipReason::Unsupported { .. } => "unsupported",
            SkipReason::Encrypted => "encrypted",
            SkipReason::Malformed { .. } => "malformed",
            SkipReason::UnpackLimit { .. } => "unpack_limit",
            SkipReason::TimedOut { .. } => "timed_out",
            SkipReason::NoText => "no_text",
        }
    }
}

/// What the extension says about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Classified {
    Known(Kind),
    /// Unknown or no extension: read it and keep it if it is text.
    Sniff,
    Unsupported(String),
}

const MARKDOWN: &[&str] = &["md", "markdown", "mdown", "mkd", "mdx"];
const HTML: &[&str] = &["html", "htm", "xhtml"];
const PLAIN: &[&str] = &[
    "txt", "text", "log", "rst", "org", "adoc", "asciidoc", "tex", "bib", "srt", "vtt", "me",
];
const DATA: &[&str] = &[
    "csv",
    "tsv",
    "json",
    "jsonl",
    "ndjson",
    "yaml",
    "yml",
    "toml",
    "xml",
    "ini",
    "cfg",
    "conf",
    "properties",
];
const CODE: &[&str] = &[
    "rs", "py", "pyi", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "hxx", "go", "java", "kt", "kts",
    "scala", "swift", "m", "mm", "cs", "fs", "js", "mjs", "cjs", "jsx", "ts", "tsx", "vue",
    "svelte", "rb", "php", "pl", "pm", "lua", "r", "jl", "sh", "bash", "zsh", "fish", "ps1", "bat",
    "sql", "hs", "ml", "mli", "ex", "exs", "erl", "clj", "cljs", "el", "lisp", "scm", "dart",
    "zig", "nim", "d", "f90", "cmake", "mk", "gradle", "proto", "graphql", "tf", "nix", "css",
    "scss", "less", "sass", "vim", "awk", "sed", "diff", "patch",
];
const UNSUPPORTED: &[&str] = &[
    "png",
    "jpg",
    "jpeg",
    "gif",
    "bmp",
    "webp",
    "tif",
    "tiff",
    "ico",
    "icns",
    "heic",
    "svg",
    "psd",
    "mp3",
    "mp4",
    "m4a",
    "mov",
    "avi",
    "mkv",
    "webm",
    "wav",
    "flac",
    "ogg",
    "zip",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "zst",
    "7z",
    "rar",
    "tar",
    "jar",
    "war",
    "deb",
    "rpm",
    "exe",
    "dll",
    "so",
    "dylib",
    "o",
    "a",
    "lib",
    "class",
    "pyc",
    "wasm",
    "bin",
    "dat",
    "db",
    "sqlite",
    "sqlite3",
    "iso",
    "dmg",
    "img",
    "ttf",
    "otf",
    "woff",
    "woff2",
    "doc",
    "odt",
    "xlsx",
    "xls",
    "pptx",
    "ppt",
    "pages",
    "numbers",
    "key",
    "gguf",
    "safetensors",
    "npy",
];

/// Classifies `path` by its extension (and a few well-known names).
pub(crate) fn classify(path: &Path) -> Classified {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if matches!(name, "Makefile" | "Dockerfile" | "Justfile" | "Rakefile") {
        return Classified::Known(Kind::Code);
    }
    let Some(extension) = path.extension().and_then(|e| e.to_str()) else {
        return Classified::Sniff;
    };
    let extension = extension.to_ascii_lowercase();
    let is = |list: &[&str]| list.contains(&extension.as_str());
    if is(MARKDOWN) {
        Classified::Known(Kind::Markdown)
    } else if is(HTML) {
        Classified::Known(Kind::Html)
    } else if is(PLAIN) {
        Classified::Known(Kind::Plain)
    } else if is(DATA) {
        Classified::Known(Kind::Data)
    } else if is(CODE) {
        Classified::Known(Kind::Code)
    } else if let Some(kind) = document_kind(&extension) {
        Classified::Known(kind)
    } else if is(UNSUPPORTED) {
        Classified::Unsupported(extension)
    } else {
        Classified::Sniff
    }
}

fn document_kind(extension: &str) -> Option<Kind> {
    match extension {
        "pdf" => Some(Kind::Pdf),
        "docx" | "docm" => Some(Kind::Docx),
        "epub" => Some(Kind::Epub),
        "rtf" => Some(Kind::Rtf),
        _ => None,
    }
}

/// A document format recognised by its first bytes, for files whose name says nothing.
pub(crate) fn sniff_document(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else if bytes.starts_with(b"{\\rtf") {
        Some(Kind::Rtf)
    } else {
        None
    }
}

/// Reads a file read-only, at most `limit + 1` bytes: `Ok(Err(TooLarge))` when it is larger.
pub(crate) fn read_capped(path: &Path, limit: u64) -> io::Result<Result<Vec<u8>, SkipReason>> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Err(SkipReason::TooLarge { size, limit }));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    if read > limit {
        // The file grew while we read it.
        return Ok(Err(SkipReason::TooLarge { size: read, limit }));
    }
    Ok(Ok(bytes))
}

/// A file's text, ready for chunking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extracted {
    /// What kind of text it is.
    pub kind: Kind,
    /// The text.
    pub text: String,
    /// For paged formats, the byte range of each page in `text` (page `i + 1` at `i`);
    /// empty otherwise.
    pub pages: Vec<Range<usize>>,
    /// The document's title, where the format has one (HTML's `<title>`).
    pub title: Option<String>,
}

/// Turns a file's bytes into text of the given kind (`None`: sniff), or says why not.
///
/// `max_file_bytes` is the folder's size cap; zip packages may unpack to a few times that.
pub(crate) fn extract(
    kind: Option<Kind>,
    bytes: &[u8],
    max_file_bytes: u64,
) -> Result<Extracted, SkipReason> {
    extract_within(kind, bytes, max_file_bytes, crate::pdf::TIME_LIMIT)
}

/// [`extract`] with another time limit for a PDF (the fuzzing harness uses a short one).
pub(crate) fn extract_within(
    kind: Option<Kind>,
    bytes: &[u8],
    max_file_bytes: u64,
    pdf_time_limit: std::time::Duration,
) -> Result<Extracted, SkipReason> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SkipReason::Empty);
    }
    let kind = kind.or_else(|| sniff_document(bytes));
    let document = |kind: Kind, text: String| {
        if text.trim().is_empty() {
            Err(SkipReason::NoText)
        } else {
            Ok(Extracted {
                kind,
                title: first_line_title(&text),
                text,
                pages: Vec::new(),
            })
        }
    };
    match kind {
        Some(Kind::Pdf) => {
            return paged(crate::pdf::pages_within(bytes.to_vec(), pdf_time_limit)?);
        }
        Some(Kind::Docx) => {
            let budget = crate::office::unpacked_budget(max_file_bytes);
            return document(Kind::Docx, crate::office::docx(bytes, budget)?);
        }
        Some(Kind::Epub) => {
            let budget = crate::office::unpacked_budget(max_file_bytes);
            return document(Kind::Epub, crate::office::epub(bytes, budget)?);
        }
        Some(Kind::Rtf) => return document(Kind::Rtf, crate::rtf::extract(bytes)?),
        _ => {}
    }
    if kind == Some(Kind::Html) {
        return extract_html(bytes);
    }
    let (kind, text) = extract_text(kind, bytes)?;
    let title = match kind {
        Kind::Plain | Kind::Markdown => first_line_title(&text),
        _ => None,
    };
    Ok(Extracted {
        kind,
        text,
        pages: Vec::new(),
        title,
    })
}

/// Longest first line taken as a document's title; a longer one is a sentence.
const MAX_FIRST_LINE_TITLE: usize = 120;

/// The title of a document whose format has no title of its own (plain text, Markdown, a
/// PDF's first page): its first line that is not blank, when it reads like a title. Licence
/// texts, READMEs and manuals open with their name ("Apache License", "# Ledge", "The
/// geometry package"), which then weighs in search as an HTML page's `<title>` does; a first
/// line that is a copyright notice, a sentence or has no letter is not a title.
pub(crate) fn first_line_title(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = line.trim_start_matches('#').trim();
    let lower = line.to_lowercase();
    let not_a_title = line.len() > MAX_FIRST_LINE_TITLE
        || !line.chars().any(char::is_alphabetic)
        || lower.starts_with("copyright")
        || lower.starts_with("(c)")
        || line.starts_with('©')
        || (line.ends_with('.') && line.split_whitespace().count() > 8);
    (!not_a_title).then(|| crate::chunk::short_title(line))
}

/// Pages joined by blank lines, with the range of each.
fn paged(pages: Vec<String>) -> Result<Extracted, SkipReason> {
    if pages.iter().all(|p| p.trim().is_empty()) {
        return Err(SkipReason::NoText);
    }
    let mut text = String::with_capacity(pages.iter().map(|p| p.len() + 2).sum());
    let mut ranges = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        if i > 0 {
            text.push_str("\n\n");
        }
        let start = text.len();
        text.push_str(page);
        ranges.push(start..text.len());
    }
    Ok(Extracted {
        kind: Kind::Pdf,
        title: pages
            .iter()
            .find(|page| !page.trim().is_empty())
            .and_then(|page| first_line_title(page)),
        text,
        pages: ranges,
    })
}

/// Text formats: plain text, Markdown, code, data, HTML.
fn extract_text(kind: Option<Kind>, bytes: &[u8]) -> Result<(Kind, String), SkipReason> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SkipReason::Empty);
    }
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if head.contains(&0) {
        return Err(SkipReason::Binary);
    }
    let text = decode(bytes)?;
    Ok((kind.unwrap_or(Kind::Plain), text))
}

/// An HTML page: decoded by its byte order mark, else as UTF-8 when it is, else by the
/// charset it declares (a Latin-1 page is not "mostly invalid UTF-8" but a page in another
/// encoding), then converted without its boilerplate (see `html`).
fn extract_html(bytes: &[u8]) -> Result<Extracted, SkipReason> {
    let decoded = match encoding_rs::Encoding::for_bom(bytes) {
        // UTF-16 has NUL bytes in ASCII text: the BOM says it is text all the same.
        Some((encoding, bom)) => encoding.decode_without_bom_handling(&bytes[bom..]).0,
        None => {
            let head = &bytes[..bytes.len().min(64 * 1024)];
            if head.contains(&0) {
                return Err(SkipReason::Binary);
            }
            match std::str::from_utf8(bytes) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => {
                    declared_encoding(bytes)
                        .decode_without_bom_handling(bytes)
                        .0
                }
            }
        }
    };
    let converted = crate::html::html_to_text(&decoded);
    if converted.text.trim().is_empty() {
        return Err(SkipReason::Empty);
    }
    Ok(Extracted {
        kind: Kind::Html,
        text: converted.text,
        pages: Vec::new(),
        title: converted.title,
    })
}

/// The encoding an HTML page that is not UTF-8 declares in its first kilobytes (`<meta
/// charset=...>` or `content="text/html; charset=..."`). A page that declares UTF-8 (wrongly,
/// since it is not) or nothing is read as windows-1252, the web's default, in which every byte
/// is a character: text that is never refused and rarely far off.
fn declared_encoding(bytes: &[u8]) -> &'static encoding_rs::Encoding {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let declared = head.match_indices("charset=").find_map(|(at, found)| {
        let value = head[at + found.len()..].trim_start_matches(['"', '\'', ' ']);
        let end = value
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')))
            .unwrap_or(value.len());
        encoding_rs::Encoding::for_label(&value.as_bytes()[..end])
    });
    match declared {
        Some(encoding) if encoding != encoding_rs::UTF_8 => encoding,
        _ => encoding_rs::WINDOWS_1252,
    }
}

/// UTF-8 text; a few invalid bytes (under 1 in 100 characters) become U+FFFD.
fn decode(bytes: &[u8]) -> Result<String, SkipReason> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let replaced = text.chars().filter(|&c| c == '\u{FFFD}').count();
            let total = text.chars().count().max(1);
            if replaced * 100 > total {
                Err(SkipReason::NotText)
            } else {
                Ok(text.into_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_by_extension_and_name() {
        assert_eq!(
            classify(Path::new("a/README.md")),
            Classified::Known(Kind::Markdown)
        );
        assert_eq!(classify(Path::new("x.RS")), Classified::Known(Kind::Code));
        assert_eq!(
            classify(Path::new("Makefile")),
            Classified::Known(Kind::Code)
        );
        assert_eq!(
            classify(Path::new("data.CSV")),
            Classified::Known(Kind::Data)
        );
        assert_eq!(classify(Path::new("GPL-3")), Classified::Sniff);
        assert_eq!(classify(Path::new("notes.weird")), Classified::Sniff);
        assert_eq!(
            classify(Path::new("photo.JPG")),
            Classified::Unsupported("jpg".into())
        );
    }

    #[test]
    fn a_first_line_that_reads_like_a_title_is_the_title() {
        let licence = |name: &str| {
            std::fs::read_to_string(format!(
                "{}/{name}",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../tests/data/common-licenses"
                )
            ))
            .unwrap()
        };
        let title = |text: &str| first_line_title(text);
        assert_eq!(
            title(&licence("Apache-2.0")).as_deref(),
            Some("Apache License")
        );
        assert_eq!(
            title(&licence("MPL-2.0")).as_deref(),
            Some("Mozilla Public License Version 2.0")
        );
        assert_eq!(title(&licence("BSD")), None, "a copyright line");
        assert_eq!(title("# Ledge\n\nAn assistant.").as_deref(), Some("Ledge"));
        assert_eq!(title("\n  ----  \n12 34\n"), None, "no letter");
        assert_eq!(
            title("This file explains how the build works and which of its steps you may skip."),
            None,
            "a sentence"
        );
        let long = "word ".repeat(40);
        assert_eq!(title(&long), None);
    }

    #[test]
    fn binary_empty_and_mostly_invalid_bytes_are_refused() {
        assert_eq!(extract_text(None, b""), Err(SkipReason::Empty));
        assert_eq!(extract_text(None, b" \n\t\n"), Err(SkipReason::Empty));
        assert_eq!(
            extract_text(None, b"ELF\0\x01\x02"),
            Err(SkipReason::Binary)
        );
        let latin1: Vec<u8> = (0..200).map(|i| 0xC0 + (i % 30) as u8).collect();
        assert_eq!(extract_text(None, &latin1), Err(SkipReason::NotText));
        let mut mostly_fine = b"caf".to_vec();
        mostly_fine.push(0xE9); // Latin-1 e-acute in otherwise ASCII text
        mostly_fine.extend(std::iter::repeat_n(b'x', 200));
        let (kind, text) = extract_text(None, &mostly_fine).unwrap();
        assert_eq!(kind, Kind::Plain);
        assert!(text.starts_with("caf\u{FFFD}x"));
    }

    #[test]
    fn html_in_other_encodings_is_decoded_by_its_charset_or_as_windows_1252() {
        let html = |head: &str| {
            let mut bytes = format!("<html><head>{head}<title>Caf").into_bytes();
            bytes.push(0xE9); // e-acute in Latin-1
            bytes.extend_from_slice(b"</title></head><body><p>");
            bytes.extend(std::iter::repeat_n(0xE9, 300)); // mostly not UTF-8
            bytes.extend_from_slice(b"</p></body></html>");
            bytes
        };
        for head in [
            "<meta charset=\"iso-8859-1\">",
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=latin1\">",
            "<meta charset=\"utf-8\">", // wrong
            "",                         // missing
        ] {
            let extracted = extract(Some(Kind::Html), &html(head), 1 << 20).unwrap();
            assert_eq!(extracted.title.as_deref(), Some("Café"), "{head}");
            assert!(extracted.text.contains(&"é".repeat(300)), "{head}");
        }
        // UTF-16 with its byte order mark: NUL bytes, and text all the same.
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "<title>Wide</title><p>wide text</p>".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let extracted = extract(Some(Kind::Html), &utf16, 1 << 20).unwrap();
        assert_eq!(extracted.title.as_deref(), Some("Wide"));
        assert!(extracted.text.contains("wide text"));
    }

    #[test]
    fn odd_html_is_indexed_with_what_it_has() {
        let html = |s: &str| extract(Some(Kind::Html), s.as_bytes(), 1 << 30);
        // No body text, no title: nothing to index; with a title, the title.
        assert_eq!(
            html("<html><head><script>x()</script></head><body><nav>a</nav></body></html>"),
            Err(SkipReason::Empty)
        );
        let titled = html("<title>Only a title</title><body><img src=x></body>").unwrap();
        assert_eq!(titled.text, "# Only a title\n");
        // One giant table of data (not links) is content.
        let rows: String = (0..5000)
            .map(|i| format!("<tr><td>row {i}</td><td>{}</td></tr>", i * 7))
            .collect();
        let table = html(&format!("<table>{rows}</table>")).unwrap();
        let last = table.text.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("row 4999") && last.ends_with(" 34993"),
            "{last}"
        );
        // A title of a megabyte is cut; an empty one is no title.
        let long = html(&format!("<title>{}</title><p>x</p>", "t".repeat(1 << 20))).unwrap();
        assert!(long.title.unwrap().len() < 300);
        assert_eq!(html("<title></title><p>body</p>").unwrap().title, None);
    }

    #[test]
    fn html_keeps_headings_and_drops_markup() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body>\
            <h1>Users and groups</h1><p>The <b>root</b> user, see <a href=\"x\">this</a>.</p>\
            <h2>Static ids</h2><ul><li>one</li></ul></body></html>";
        let extracted = extract(Some(Kind::Html), html.as_bytes(), 1 << 20).unwrap();
        let (kind, text) = (extracted.kind, extracted.text);
        assert_eq!(kind, Kind::Html);
        assert_eq!(extracted.title.as_deref(), Some("T"));
        assert!(text.contains("# Users and groups"), "{text}");
        assert!(text.contains("## Static ids"), "{text}");
        assert!(text.contains("The root user, see"), "{text}");
        assert!(!text.contains('<'), "{text}");
    }
}
