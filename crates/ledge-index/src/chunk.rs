//! Chunking: cutting extracted text into passages that can be retrieved and cited.
//!
//! Text is first cut into *blocks* along its structure: Markdown (and HTML, which extraction
//! turns into Markdown-like text) into ATX and setext headings, fenced code blocks (kept whole,
//! a `#` inside one is not a heading) and paragraphs; plain text, code and data into runs of
//! lines separated by blank lines. Blocks are then packed into chunks of about
//! [`ChunkConfig::target_bytes`]: a heading always starts a new chunk (so a chunk never spans
//! two sections), and a block larger than [`ChunkConfig::max_bytes`] is split at line
//! boundaries (a single huge line at character boundaries).
//!
//! Every chunk keeps its byte range in the text (`text[byte_start..byte_end]` is the chunk),
//! its 1-based inclusive line range, and its heading path (`Install > From source`).
//!
//! Paged text (PDF) is chunked page by page ([`chunk_pages`]): a chunk never spans two pages
//! and records its page number; its offsets and lines still point into the whole text.
//! Documents converted to Markdown-like text (DOCX, EPUB) are cut like Markdown.

use std::ops::Range;

use serde::Serialize;

use crate::Kind;

/// Chunk sizes in bytes of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkConfig {
    /// Blocks are packed into a chunk until it would pass this size.
    pub target_bytes: usize,
    /// No chunk is larger than this; bigger blocks are split.
    pub max_bytes: usize,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        ChunkConfig {
            target_bytes: 1200,
            max_bytes: 2400,
        }
    }
}

/// One passage of a file's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chunk {
    /// Start of the chunk in the text, in bytes.
    pub byte_start: usize,
    /// End of the chunk in the text (exclusive), in bytes.
    pub byte_end: usize,
    /// First line of the chunk, 1-based.
    pub line_start: u32,
    /// Last line of the chunk, 1-based, inclusive.
    pub line_end: u32,
    /// The headings above the chunk, outermost first, joined with ` > ` (empty when none).
    pub heading: String,
    /// The page the chunk is on, 1-based, for paged formats (PDF).
    pub page: Option<u32>,
}

impl Chunk {
    /// The chunk's text, cut from the text it was made from.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.byte_start..self.byte_end).unwrap_or_default()
    }
}

/// A line of the text: byte range without its line ending.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum BlockKind {
    Heading { level: usize, title: String },
    Body,
}

/// A run of lines that belongs together (indices into the line table, inclusive).
#[derive(Debug, Clone)]
struct Block {
    first: usize,
    last: usize,
    kind: BlockKind,
}

fn lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        if byte == b'\n' {
            let end = if i > start && text.as_bytes()[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            lines.push(Line { start, end });
            start = i + 1;
        }
    }
    if start < text.len() {
        lines.push(Line {
            start,
            end: text.len(),
        });
    }
    lines
}

fn atx_heading(line: &str) -> Option<(usize, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None;
    }
    let title = after.trim().trim_end_matches('#').trim();
    Some((level, short_title(title)))
}

fn fence(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let count = trimmed.len() - trimmed.trim_start_matches(marker).len();
    (count >= 3).then_some((marker, count))
}

fn setext_level(line: &str) -> Option<usize> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.bytes().all(|b| b == b'=') {
        Some(1)
    } else if trimmed.len() >= 2 && trimmed.bytes().all(|b| b == b'-') {
        Some(2)
    } else {
        None
    }
}

/// Longest line taken as a definition list's term.
const MAX_TERM_WORDS: usize = 25;

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Whether line `i` is a definition list's term, as HTML extraction writes `<dt>` (an API
/// signature, an option) with its `<dd>` indented below: unindented, followed at once by an
/// indented line, and not a sentence or a lead-in to code (those end in `.`, `:` or `;`).
fn is_term(text: &str, lines: &[Line], i: usize) -> bool {
    let line = &text[lines[i].start..lines[i].end];
    let trimmed = line.trim();
    let next = lines.get(i + 1).map(|l| &text[l.start..l.end]);
    !trimmed.is_empty()
        && indentation(line) == 0
        && next.is_some_and(|next| !next.trim().is_empty() && indentation(next) >= 2)
        && !trimmed.ends_with(['.', ':', ';', ','])
        && trimmed.split_whitespace().count() <= MAX_TERM_WORDS
}

fn markdown_blocks(text: &str, lines: &[Line]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Option<usize> = None;
    let mut in_fence: Option<(usize, char, usize)> = None;
    // A definition list's term and the last non-blank line of its indented description,
    // blank lines between its paragraphs included: one block, so a chunk never holds a
    // description without the term it describes ("The directory can be cleaned up by
    // calling cleanup()" without "class tempfile.TemporaryDirectory").
    let mut definition: Option<(usize, usize)> = None;
    let close = |blocks: &mut Vec<Block>, paragraph: &mut Option<usize>, last: usize| {
        if let Some(first) = paragraph.take() {
            blocks.push(Block {
                first,
                last,
                kind: BlockKind::Body,
            });
        }
    };
    for (i, line) in lines.iter().enumerate() {
        let content = &text[line.start..line.end];
        if let Some((first, marker, count)) = in_fence {
            if fence(content).is_some_and(|(m, c)| m == marker && c >= count)
                && content.trim().trim_start_matches(marker).is_empty()
            {
                blocks.push(Block {
                    first,
                    last: i,
                    kind: BlockKind::Body,
                });
                in_fence = None;
            }
            continue;
        }
        if let Some((first, last)) = definition {
            if content.trim().is_empty() {
                continue;
            }
            if indentation(content) >= 2 && fence(content).is_none() {
                definition = Some((first, i));
                continue;
            }
            blocks.push(Block {
                first,
                last,
                kind: BlockKind::Body,
            });
            definition = None;
        }
        if paragraph.is_none() && is_term(text, lines, i) {
            definition = Some((i, i));
            continue;
        }
        if let Some((marker, count)) = fence(content) {
            close(&mut blocks, &mut paragraph, i.saturating_sub(1));
            in_fence = Some((i, marker, count));
        } else if content.trim().is_empty() {
            close(&mut blocks, &mut paragraph, i.saturating_sub(1));
        } else if let Some((level, title)) = atx_heading(content) {
            close(&mut blocks, &mut paragraph, i.saturating_sub(1));
            blocks.push(Block {
                first: i,
                last: i,
                kind: BlockKind::Heading { level, title },
            });
        } else if let (Some(first), Some(level)) = (paragraph, setext_level(content)) {
            if first + 1 == i {
                let title = short_title(text[lines[first].start..lines[first].end].trim());
                paragraph = None;
                blocks.push(Block {
                    first,
                    last: i,
                    kind: BlockKind::Heading { level, title },
                });
            }
            // A longer paragraph: the underline is just text in it.
        } else if paragraph.is_none() {
            paragraph = Some(i);
        }
    }
    if let Some((first, last)) = definition {
        blocks.push(Block {
            first,
            last,
            kind: BlockKind::Body,
        });
    }
    if let Some((first, _, _)) = in_fence {
        // An unclosed fence runs to the end of the text.
        blocks.push(Block {
            first,
            last: lines.len() - 1,
            kind: BlockKind::Body,
        });
    }
    close(&mut blocks, &mut paragraph, lines.len().saturating_sub(1));
    blocks
}

fn paragraph_blocks(text: &str, lines: &[Line]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut first = None;
    for (i, line) in lines.iter().enumerate() {
        let blank = text[line.start..line.end].trim().is_empty();
        match (blank, first) {
            (true, Some(start)) => {
                blocks.push(Block {
                    first: start,
                    last: i - 1,
                    kind: BlockKind::Body,
                });
                first = None;
            }
            (false, None) => first = Some(i),
            _ => {}
        }
    }
    if let Some(start) = first {
        blocks.push(Block {
            first: start,
            last: lines.len() - 1,
            kind: BlockKind::Body,
        });
    }
    blocks
}

/// The chunk being filled.
#[derive(Debug)]
struct Open {
    first: usize,
    last: usize,
    heading: String,
    /// Whether it holds more than headings.
    has_body: bool,
}

struct Packer<'a> {
    text: &'a str,
    lines: &'a [Line],
    config: ChunkConfig,
    chunks: Vec<Chunk>,
    open: Option<Open>,
}

impl Packer<'_> {
    fn span(&self, first: usize, last: usize) -> usize {
        self.lines[last].end - self.lines[first].start
    }

    fn flush(&mut self) {
        if let Some(open) = self.open.take() {
            self.push(open.first, open.last, open.heading);
        }
    }

    fn push(&mut self, first: usize, last: usize, heading: String) {
        // A blank run (a split of a fenced block at its blank lines) is no passage.
        let text = self
            .text
            .get(self.lines[first].start..self.lines[last].end)
            .unwrap_or_default();
        if text.trim().is_empty() {
            return;
        }
        self.chunks.push(Chunk {
            byte_start: self.lines[first].start,
            byte_end: self.lines[last].end,
            line_start: line_number(first),
            line_end: line_number(last),
            heading,
            page: None,
        });
    }

    fn add_body(&mut self, block: &Block, heading: &str) {
        if let Some(open) = &self.open {
            let grown = self.span(open.first, block.last);
            if open.has_body && grown > self.config.target_bytes {
                self.flush();
            }
        }
        let size = self.span(block.first, block.last);
        let fits = match &self.open {
            Some(open) => self.span(open.first, block.last) <= self.config.max_bytes,
            None => size <= self.config.max_bytes,
        };
        if fits {
            let open = self.open.get_or_insert_with(|| Open {
                first: block.first,
                last: block.last,
                heading: heading.to_owned(),
                has_body: false,
            });
            open.last = block.last;
            open.has_body = true;
            return;
        }
        // Too big: whatever is open goes alone, then the block is split by lines.
        self.flush();
        self.split_lines(block.first, block.last, heading);
    }

    fn split_lines(&mut self, first: usize, last: usize, heading: &str) {
        let mut start = first;
        while start <= last {
            let mut end = start;
            while end < last && self.span(start, end + 1) <= self.config.target_bytes {
                end += 1;
            }
            if self.span(start, end) > self.config.max_bytes {
                self.split_long_line(start, heading);
            } else {
                self.push(start, end, heading.to_owned());
            }
            start = end + 1;
        }
    }

    fn split_long_line(&mut self, index: usize, heading: &str) {
        let Line { start, end } = self.lines[index];
        let mut from = start;
        while from < end {
            let mut to = (from + self.config.max_bytes).min(end);
            while !self.text.is_char_boundary(to) {
                to -= 1;
            }
            if to == from {
                break;
            }
            self.chunks.push(Chunk {
                byte_start: from,
                byte_end: to,
                line_start: line_number(index),
                line_end: line_number(index),
                heading: heading.to_owned(),
                page: None,
            });
            from = to;
        }
    }
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// Cuts `text` of the given kind into chunks.
pub fn chunk(text: &str, kind: Kind, config: ChunkConfig) -> Vec<Chunk> {
    let lines = lines(text);
    let blocks = match kind {
        Kind::Markdown | Kind::Html | Kind::Docx | Kind::Epub => markdown_blocks(text, &lines),
        _ => paragraph_blocks(text, &lines),
    };
    let mut packer = Packer {
        text,
        lines: &lines,
        config,
        chunks: Vec::new(),
        open: None,
    };
    let mut headings: Vec<(usize, String)> = Vec::new();
    for block in &blocks {
        match &block.kind {
            BlockKind::Heading { level, title } => {
                while headings.last().is_some_and(|(l, _)| l >= level) {
                    headings.pop();
                }
                headings.push((*level, title.clone()));
                let path = heading_path(&headings);
                if packer.span(block.first, block.last) > config.max_bytes {
                    // A heading longer than a chunk may be is cut like an overlong body.
                    packer.flush();
                    packer.split_lines(block.first, block.last, &path);
                    continue;
                }
                // Consecutive headings ("# A" then "## B") share one chunk while it fits.
                let shares = packer.open.as_ref().is_some_and(|open| {
                    !open.has_body && packer.span(open.first, block.last) <= config.max_bytes
                });
                match &mut packer.open {
                    Some(open) if shares => {
                        open.last = block.last;
                        open.heading = path;
                    }
                    _ => {
                        packer.flush();
                        packer.open = Some(Open {
                            first: block.first,
                            last: block.last,
                            heading: path,
                            has_body: false,
                        });
                    }
                }
            }
            BlockKind::Body => {
                let path = heading_path(&headings);
                packer.add_body(block, &path);
            }
        }
    }
    packer.flush();
    packer.chunks
}

/// Cuts paged text into chunks page by page: `pages[i]` is the byte range of page `i + 1` in
/// `text`. Without pages this is [`chunk()`].
pub(crate) fn chunk_pages(
    text: &str,
    kind: Kind,
    pages: &[Range<usize>],
    config: ChunkConfig,
) -> Vec<Chunk> {
    if pages.is_empty() {
        return chunk(text, kind, config);
    }
    let mut chunks = Vec::new();
    let mut counted = 0;
    let mut lines_before = 0u32;
    for (index, range) in pages.iter().enumerate() {
        let Some(page_text) = text.get(range.clone()) else {
            continue;
        };
        let skipped = text.get(counted..range.start).unwrap_or_default();
        lines_before = lines_before.saturating_add(skipped.matches('\n').count() as u32);
        counted = range.start;
        let page = u32::try_from(index + 1).ok();
        for mut piece in chunk(page_text, kind, config) {
            piece.byte_start += range.start;
            piece.byte_end += range.start;
            piece.line_start = piece.line_start.saturating_add(lines_before);
            piece.line_end = piece.line_end.saturating_add(lines_before);
            piece.page = page;
            chunks.push(piece);
        }
    }
    chunks
}

/// The most bytes of a heading kept in the heading path: every chunk under a heading carries
/// it, so a heading of a whole paragraph (or a hostile one) would be stored many times over.
pub(crate) const MAX_TITLE_BYTES: usize = 200;

pub(crate) fn short_title(title: &str) -> String {
    if title.len() <= MAX_TITLE_BYTES {
        return title.to_owned();
    }
    let mut end = MAX_TITLE_BYTES;
    while !title.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &title[..end])
}

fn heading_path(headings: &[(usize, String)]) -> String {
    headings
        .iter()
        .map(|(_, title)| title.as_str())
        .collect::<Vec<_>>()
        .join(" > ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(text: &str, kind: Kind, config: ChunkConfig) -> String {
        chunk(text, kind, config)
            .iter()
            .map(|c| {
                let body = c.text(text).replace('\n', "⏎");
                format!("{}-{} [{}] {}", c.line_start, c.line_end, c.heading, body)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    const SMALL: ChunkConfig = ChunkConfig {
        target_bytes: 40,
        max_bytes: 60,
    };

    #[test]
    fn markdown_sections_fences_and_setext_headings() {
        let text = "# Guide\n\nIntro text.\n\n## Install\n### From source\n\n```sh\n# not a heading\nmake\n```\n\nSetext\n------\nBody.\n";
        expect_test::expect![[r#"
            1-3 [Guide] # Guide⏎⏎Intro text.
            5-11 [Guide > Install > From source] ## Install⏎### From source⏎⏎```sh⏎# not a heading⏎make⏎```
            13-15 [Guide > Setext] Setext⏎------⏎Body."#]]
        .assert_eq(&summary(text, Kind::Markdown, ChunkConfig::default()));
    }

    #[test]
    fn a_definition_keeps_its_term_and_every_paragraph_of_its_description() {
        // As HTML extraction writes Python's tempfile page: `<dt>` then `<dd>` indented.
        let text = "## Functions\n\nclass tempfile.TemporaryDirectory(suffix=None)\n  \
                    Creates a temporary directory.\n\n  The directory can be cleaned up \
                    by calling cleanup().\n\nExample:\n  code that follows a lead-in\n\n\
                    A sentence.\n  An indented line under a sentence.\n";
        let config = ChunkConfig {
            target_bytes: 40,
            max_bytes: 400,
        };
        expect_test::expect![[r#"
            1-6 [Functions] ## Functions⏎⏎class tempfile.TemporaryDirectory(suffix=None)⏎  Creates a temporary directory.⏎⏎  The directory can be cleaned up by calling cleanup().
            8-9 [Functions] Example:⏎  code that follows a lead-in
            11-12 [Functions] A sentence.⏎  An indented line under a sentence."#]]
        .assert_eq(&summary(text, Kind::Html, config));
    }

    #[test]
    fn big_blocks_split_at_lines_and_long_lines_at_characters() {
        let text = "alpha beta gamma\ndelta epsilon zeta\neta theta iota\nkappa lambda mu\n\n\
                    ééééééééééééééééééééééééééééééééééééé\n";
        expect_test::expect![[r#"
            1-2 [] alpha beta gamma⏎delta epsilon zeta
            3-4 [] eta theta iota⏎kappa lambda mu
            6-6 [] éééééééééééééééééééééééééééééé
            6-6 [] ééééééé"#]]
        .assert_eq(&summary(text, Kind::Plain, SMALL));
    }

    #[test]
    fn crlf_and_missing_final_newline_keep_offsets_exact() {
        let text = "one\r\ntwo\r\n\r\nthree";
        let chunks = chunk(text, Kind::Plain, ChunkConfig::default());
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text(text), "one\r\ntwo\r\n\r\nthree");
        assert_eq!((chunks[0].line_start, chunks[0].line_end), (1, 4));
        assert!(chunk("", Kind::Plain, ChunkConfig::default()).is_empty());
    }

    #[test]
    fn pages_are_chunked_apart_and_keep_offsets_and_lines() {
        let text = "one\ntwo\n\nthree\n\nfour five";
        let pages = [0..7, 9..14, 16..25];
        let chunks = chunk_pages(text, Kind::Pdf, &pages, ChunkConfig::default());
        let summary: Vec<_> = chunks
            .iter()
            .map(|c| (c.text(text), c.line_start, c.line_end, c.page))
            .collect();
        assert_eq!(
            summary,
            [
                ("one\ntwo", 1, 2, Some(1)),
                ("three", 4, 4, Some(2)),
                ("four five", 6, 6, Some(3)),
            ]
        );
    }
}
