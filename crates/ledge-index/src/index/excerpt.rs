//! Reading an indexed file back by lines or by page, as the index extracted it: what a
//! person (or an MCP client) reads to check a citation, without Ledge opening the file again.
//! Only files in the index can be read this way, so the index's exclusions (secrets, denied
//! folders) hold for it too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Index;
use crate::Result;

/// Which part of a file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Lines `first..=last` of the extracted text, 1-based.
    Lines {
        /// First line.
        first: u32,
        /// Last line, inclusive.
        last: u32,
    },
    /// One page of a paged format (PDF), 1-based.
    Page(u32),
}

/// A run of lines of an indexed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excerpt {
    /// The file, as recorded in the index.
    pub path: PathBuf,
    /// First line returned, 1-based (0 when nothing was).
    pub first_line: u32,
    /// Last line returned, inclusive (0 when nothing was).
    pub last_line: u32,
    /// The file's last line with text in the index.
    pub total_lines: u32,
    /// The file's last page, for paged formats.
    pub pages: Option<u32>,
    /// The lines, joined with `\n`.
    pub text: String,
    /// The line to read from next when the span was cut at the line limit.
    pub next_line: Option<u32>,
}

impl Index {
    /// The lines of `span` of an indexed file, at most `max_lines` of them (`None`: the file
    /// is not in the index). Lines the index holds no text for (blank lines between
    /// passages) come back empty, so line numbers stay those of citations.
    pub fn read_excerpt(&self, path: &Path, span: Span, max_lines: u32) -> Result<Option<Excerpt>> {
        let records = self.file_chunks(path)?;
        let Some(first_record) = records.first() else {
            return Ok(None);
        };
        let recorded = first_record.path.clone();
        let total_lines = records.iter().map(|r| r.line_end).max().unwrap_or(0);
        let pages = records.iter().filter_map(|r| r.page).max();
        let (first, last) = match span {
            Span::Lines { first, last } => (first.max(1), last.min(total_lines)),
            Span::Page(page) => {
                let on_page = records.iter().filter(|r| r.page == Some(page));
                let first = on_page.clone().map(|r| r.line_start).min();
                let last = on_page.map(|r| r.line_end).max();
                match (first, last) {
                    (Some(first), Some(last)) => (first, last),
                    _ => (1, 0),
                }
            }
        };
        let mut excerpt = Excerpt {
            path: recorded,
            first_line: 0,
            last_line: 0,
            total_lines,
            pages,
            text: String::new(),
            next_line: None,
        };
        if first > last || max_lines == 0 {
            return Ok(Some(excerpt));
        }
        let cut = last.min(first.saturating_add(max_lines - 1));
        let mut lines: BTreeMap<u32, String> = BTreeMap::new();
        for record in records
            .iter()
            .filter(|r| r.line_end >= first && r.line_start <= cut)
        {
            for (number, line) in (record.line_start..).zip(record.text.split('\n')) {
                if (first..=cut).contains(&number) {
                    // A line longer than a passage is split across two: join its parts.
                    lines
                        .entry(number)
                        .or_default()
                        .push_str(line.trim_end_matches('\r'));
                }
            }
        }
        excerpt.first_line = first;
        excerpt.last_line = cut;
        excerpt.text = (first..=cut)
            .map(|n| lines.get(&n).map_or("", String::as_str))
            .collect::<Vec<_>>()
            .join("\n");
        excerpt.next_line = (cut < last).then_some(cut + 1);
        Ok(Some(excerpt))
    }
}
