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

/// How far search by meaning reaches, for one embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// Passages with a vector, stale ones included: those search by meaning finds.
    pub searchable: u64,
    /// Passages whose vectors are current (made from the text the embedder reads now).
    pub current: u64,
    /// Passages in the index.
    pub total: u64,
}

/// The indexed folders, one line each, then how much is found by meaning.
pub fn folders(folders: &[FolderInfo], embedded: Option<Reach>) -> String {
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
        Some(reach) if reach.searchable >= reach.total => {
            out.push_str("Every passage can be found by meaning as well as by words");
            if reach.current < reach.total {
                // After an upgrade that changed what a vector is made from (catalog
                // migration 0008): the old vectors serve until they are replaced.
                out.push_str(&format!(
                    "; {} of them through vectors an older version of Ledge made, which the \
                     next embedding run replaces (the app's, or `ledge index refresh`)",
                    reach.total - reach.current
                ));
            }
            out.push_str(".\n");
        }
        Some(reach) => out.push_str(&format!(
            "{} of {} passages can be found by meaning so far (the rest by words).\n",
            reach.searchable, reach.total
        )),
        None => out.push_str("No embedding model is loaded: passages are found by words.\n"),
    }
    out
}

pub fn folders_json(folders: &[FolderInfo], embedded: Option<Reach>) -> serde_json::Value {
    json!({
        "folders": folders,
        "embedded": embedded.map(|reach| json!({
            "passages": reach.searchable,
            "current": reach.current,
            "of": reach.total,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_folder() -> Vec<FolderInfo> {
        vec![FolderInfo {
            path: "/home/someone/Documents".into(),
            options: Default::default(),
            scanned_at: None,
            files_indexed: 3,
            files_skipped: 0,
            files_failed: 0,
            chunks: 40,
            bytes: 10_000,
            problems: 0,
        }]
    }

    #[test]
    fn the_folders_say_how_far_search_by_meaning_reaches() {
        let listed = one_folder();
        let reach = |searchable, current| {
            Some(Reach {
                searchable,
                current,
                total: 40,
            })
        };
        let all = folders(&listed, reach(40, 40));
        assert!(all.contains("Every passage can be found by meaning as well as by words.\n"));
        assert!(!all.contains("older version"));

        // Upgraded: every passage still found by meaning, 30 through old vectors.
        let stale = folders(&listed, reach(40, 10));
        assert!(stale.contains("Every passage can be found by meaning as well as by words; 30 of them through vectors an older version of Ledge made"), "{stale}");
        let json = folders_json(&listed, reach(40, 10));
        assert_eq!(json["embedded"]["passages"], 40);
        assert_eq!(json["embedded"]["current"], 10);
        assert_eq!(json["embedded"]["of"], 40);

        let partly = folders(&listed, reach(25, 25));
        assert!(partly.contains("25 of 40 passages can be found by meaning so far"));
        assert!(folders(&listed, None).contains("found by words"));
    }
}
