//! Answers as plain text, for the shells that print them (`ledge ask`, `ledge chat`, the MCP
//! tools): the extractive answer with each quote's place, the model's sentences with Ledge's
//! marks, the notes that explain the marks, and the sources.
//!
//! The marks are part of the answer's trust contract: a sentence Ledge matched to a source
//! the model did not cite gets `[n†]`, one the sources do not back gets [`UNVERIFIED_MARK`].

use crate::Answer;
use crate::citation::Source;
use crate::grounding::{CheckedSentence, MOSTLY_UNSUPPORTED, Quote, Support};

/// What follows a sentence of the answer that the sources do not back.
pub const UNVERIFIED_MARK: &str = "[⚠ unverified]";

/// A file's name, or its whole path when it has none.
fn file_name(source: &Source) -> String {
    source.path.file_name().map_or_else(
        || source.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// One quote of the extractive answer: `“text” [n] file, line 12` (or `page 4`).
pub fn quote_line(quote: &Quote, sources: &[Source]) -> String {
    let place = sources
        .iter()
        .find(|source| source.n == quote.n)
        .map(|source| {
            let name = file_name(source);
            match quote.page {
                Some(page) => format!("{name}, page {page}"),
                None => format!("{name}, line {}", quote.line),
            }
        })
        .unwrap_or_default();
    format!("“{}” [{}] {place}", quote.text, quote.n)
}

/// A checked sentence as shown: as the model wrote it (whitespace kept), then Ledge's mark.
pub fn marked_sentence(sentence: &CheckedSentence) -> String {
    let text = sentence.text.trim_end();
    let trailing = &sentence.text[text.len()..];
    let mark = match (sentence.support, sentence.matched) {
        (Support::Unsupported, _) => format!(" {UNVERIFIED_MARK}"),
        (Support::Supported, Some(n)) => format!(" [{n}†]"),
        _ => String::new(),
    };
    format!("{text}{mark}{trailing}")
}

/// One source: `*[2] /path/file (lines 3-10) — heading`, `*` when the model cited it, `†`
/// when Ledge matched a sentence to it.
pub fn source_line(source: &Source) -> String {
    let mark = match (source.cited, source.matched) {
        (true, _) => "*",
        (false, true) => "†",
        _ => " ",
    };
    let mut line = format!(
        "{mark}[{}] {} ({})",
        source.n,
        source.path.display(),
        source.location()
    );
    if !source.heading.is_empty() {
        line.push_str(" — ");
        line.push_str(&source.heading);
    }
    line
}

/// The lines that go after an answer: the warning when most of it is unsupported, then what
/// its marks mean (nothing when it has none).
pub fn check_notes(answer: &Answer) -> Vec<String> {
    let sentences = &answer.grounding.sentences;
    let mut notes = Vec::new();
    if answer.grounding.support.mostly_unsupported {
        notes.push(format!("⚠ {MOSTLY_UNSUPPORTED}"));
    }
    let unverified = sentences.iter().any(|s| s.support == Support::Unsupported);
    let matched = sentences.iter().any(|s| s.matched.is_some());
    if unverified || matched {
        let mut legend = Vec::new();
        if matched {
            legend.push("[n†] source matched by Ledge".to_owned());
        }
        if unverified {
            legend.push(format!("{UNVERIFIED_MARK} not found in the sources"));
        }
        notes.push(format!("({})", legend.join("; ")));
    }
    notes
}

/// The whole answer as text: the quotes ("From your files:"), the model's answer with its
/// marks, the notes, and the sources.
pub fn answer_text(answer: &Answer) -> String {
    let mut out = String::new();
    if !answer.grounding.quotes.is_empty() {
        out.push_str("From your files:\n");
        for quote in &answer.grounding.quotes {
            out.push_str("  ");
            out.push_str(&quote_line(quote, &answer.sources));
            out.push('\n');
        }
        out.push('\n');
    }
    let sentences = &answer.grounding.sentences;
    let body = if sentences.is_empty() {
        answer.text.clone()
    } else {
        sentences.iter().map(marked_sentence).collect()
    };
    if !body.trim().is_empty() {
        if !answer.sources.is_empty() {
            out.push_str(&format!("Answer ({}):\n", answer.model));
        }
        out.push_str(body.trim());
        out.push('\n');
    }
    let notes = check_notes(answer);
    if !notes.is_empty() {
        out.push('\n');
        for note in notes {
            out.push_str(&note);
            out.push('\n');
        }
    }
    if !answer.sources.is_empty() {
        out.push_str("\nSources:\n");
        for source in &answer.sources {
            out.push_str(&source_line(source));
            out.push('\n');
        }
    }
    out
}
