//! What the tools return: text a client shows (or hands its model) and the same facts as
//! structured JSON for programs.

use std::time::{SystemTime, UNIX_EPOCH};

use ledge_core::retrieve::Retrieval;
use ledge_index::{ChunkRecord, Excerpt, FolderInfo, Span};
use serde_json::json;

/// `lines 3-10` or `page 4`.
fn location(chunk: &ChunkRecord) -> String {
    match chunk.page {
        Some(page) => format!("page {page}"),
        None if chunk.line_start == chunk.line_end => format!("line {}", chunk.line_start),
        None => format!("lines {}-{}", chunk.line_start, chunk.line_end),
    }
}

/// The passages `search` found, best first, each under its place.
pub fn passages(query: &str, retrieval: &Retrieval) -> String {
    if retrieval.passages.is_empty() {
        return format!("Nothing in the indexed files matches “{query}”.");
    }
    let how = if retrieval.used_vectors {
        "by words and meaning"
    } else {
        "by words"
    };
    let mut out = format!(
        "{} passages for “{query}” ({how}), best first:\n",
        retrieval.passages.len()
    );
    for (rank, passage) in retrieval.passages.iter().enumerate() {
        let chunk = &passage.chunk;
        out.push_str(&format!(
            "\n[{}] {} ({})",
            rank + 1,
            chunk.path.display(),
            location(chunk)
        ));
        if !chunk.heading.is_empty() {
            out.push_str(" — ");
            out.push_str(&chunk.heading);
        }
        out.push('\n');
        out.push_str(chunk.text.trim());
        out.push('\n');
    }
    out
}

/// The passages as JSON: the same shape as `POST /v1/ledge/search`.
pub fn passages_json(retrieval: &Retrieval) -> serde_json::Value {
    serde_json::to_value(retrieval).unwrap_or_else(|error| json!({ "error": error.to_string() }))
}

/// An excerpt with its place, or why there is nothing to show.
pub fn excerpt(excerpt: &Excerpt, span: Span) -> Result<String, String> {
    let path = excerpt.path.display();
    if excerpt.first_line == 0 {
        return Err(match span {
            Span::Page(page) => match excerpt.pages {
                Some(pages) => format!("{path} has no text on page {page} (pages 1-{pages})."),
                None => format!(
                    "{path} has no pages: read it by lines (1-{}).",
                    excerpt.total_lines
                ),
            },
            Span::Lines { first, .. } => format!(
                "{path} has {} lines; line {first} is past its end.",
                excerpt.total_lines
            ),
        });
    }
    let mut out = match span {
        Span::Page(page) => format!(
            "{path}, page {page} (lines {}-{}):\n",
            excerpt.first_line, excerpt.last_line
        ),
        Span::Lines { .. } => format!(
            "{path}, lines {}-{} of {}:\n",
            excerpt.first_line, excerpt.last_line, excerpt.total_lines
        ),
    };
    let width = excerpt.last_line.to_string().len();
    for (number, line) in (excerpt.first_line..).zip(excerpt.text.split('\n')) {
        out.push_str(&format!("{number:>width$}  {line}\n"));
    }
    if let Some(next) = excerpt.next_line {
        out.push_str(&format!(
            "(cut at {} lines: read on from line {next})\n",
            crate::MAX_READ_LINES
        ));
    }
    Ok(out)
}

/// How long ago a unix time was, roughly.
fn ago(unix_seconds: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let seconds = now.saturating_sub(unix_seconds).max(0);
    match seconds {
        0..60 => "just now".to_owned(),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

/// The indexed folders, one line each, then how much is found by meaning.
pub fn folders(folders: &[FolderInfo], embedded: Option<(u64, u64)>) -> String {
    if folders.is_empty() {
        return "No folder is indexed yet: the person adds folders in Ledge's settings or with \
                `ledge index add FOLDER`."
            .to_owned();
    }
    let mut out = String::new();
    for folder in folders {
        out.push_str(&format!(
            "{}: {} files, {} passages",
            folder.path.display(),
            folder.files_indexed,
            folder.chunks
        ));
        let unreadable = folder.files_failed + folder.problems;
        if unreadable > 0 {
            out.push_str(&format!(", {unreadable} could not be read"));
        }
        if folder.files_skipped > 0 {
            out.push_str(&format!(", {} skipped", folder.files_skipped));
        }
        match folder.scanned_at {
            Some(at) => out.push_str(&format!(", scanned {}", ago(at))),
            None => out.push_str(", first scan not finished"),
        }
        out.push('\n');
    }
    match embedded {
        Some((done, total)) if done >= total => {
            out.push_str("Every passage can be found by meaning as well as by words.\n");
        }
        Some((done, total)) => out.push_str(&format!(
            "{done} of {total} passages can be found by meaning so far (the rest by words).\n"
        )),
        None => out.push_str("No embedding model is loaded: passages are found by words.\n"),
    }
    out
}

/// The folders as JSON.
pub fn folders_json(folders: &[FolderInfo], embedded: Option<(u64, u64)>) -> serde_json::Value {
    json!({
        "folders": folders,
        "embedded": embedded.map(|(done, total)| json!({ "passages": done, "of": total })),
    })
}
